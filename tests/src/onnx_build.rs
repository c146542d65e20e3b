//! A tiny builder of ONNX models for tests (malformed inputs, single-op graphs).

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_shape_proto::dimension::Value as Dim;
use onnx_protobuf::type_proto::{Tensor as TensorType, Value as TypeValue};
use onnx_protobuf::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// A float32 tensor value-info with a static shape.
pub fn value_info(name: &str, shape: &[i64]) -> ValueInfoProto {
    let mut s = TensorShapeProto::new();
    for &d in shape {
        let mut dim = onnx_protobuf::tensor_shape_proto::Dimension::new();
        dim.value = Some(Dim::DimValue(d));
        s.dim.push(dim);
    }
    let mut tt = TensorType::new();
    tt.elem_type = 1;
    tt.shape = Some(s).into();
    let mut ty = TypeProto::new();
    ty.value = Some(TypeValue::TensorType(tt));
    let mut v = ValueInfoProto::new();
    v.name = name.to_string();
    v.type_ = Some(ty).into();
    v
}

/// A float32 initializer.
pub fn initializer(name: &str, shape: &[i64], data: &[f32]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.to_string();
    t.dims = shape.to_vec();
    t.data_type = 1;
    t.float_data = data.to_vec();
    t
}

/// An int64 initializer (shapes, axes, indices, pads).
pub fn int_initializer(name: &str, shape: &[i64], data: &[i64]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.to_string();
    t.dims = shape.to_vec();
    t.data_type = 7;
    t.int64_data = data.to_vec();
    t
}

/// A node.
pub fn node(
    op_type: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    let mut n = NodeProto::new();
    n.op_type = op_type.to_string();
    n.name = name.to_string();
    n.input = inputs.iter().map(|s| s.to_string()).collect();
    n.output = outputs.iter().map(|s| s.to_string()).collect();
    n.attribute = attrs;
    n
}

/// An INT attribute.
pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::INT.into();
    a.i = v;
    a
}

/// An INTS attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::INTS.into();
    a.ints = v.to_vec();
    a
}

/// A FLOATS attribute.
pub fn attr_floats(name: &str, v: &[f32]) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::FLOATS.into();
    a.floats = v.to_vec();
    a
}

/// A STRING attribute.
pub fn attr_string(name: &str, v: &str) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::STRING.into();
    a.s = v.as_bytes().to_vec();
    a
}

/// A node of the `ai.onnx.ml` domain.
pub fn ml_node(
    op_type: &str,
    name: &str,
    inputs: &[&str],
    outputs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    let mut n = node(op_type, name, inputs, outputs, attrs);
    n.domain = "ai.onnx.ml".into();
    n
}

/// Adds an `ai.onnx.ml` opset import (version 1) to a model.
pub fn with_ml_opset(mut m: ModelProto) -> ModelProto {
    let mut o = OperatorSetIdProto::new();
    o.domain = "ai.onnx.ml".into();
    o.version = 1;
    m.opset_import.push(o);
    m
}

/// A STRINGS attribute.
pub fn attr_strings(name: &str, v: &[&str]) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::STRINGS.into();
    a.strings = v.iter().map(|s| s.as_bytes().to_vec()).collect();
    a
}

/// A FLOAT attribute.
pub fn attr_float(name: &str, v: f32) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::FLOAT.into();
    a.f = v;
    a
}

/// A TENSOR attribute without its tensor (the payload onnx-protobuf's helpers panic on).
pub fn attr_empty_tensor(name: &str) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::TENSOR.into();
    a
}

/// A model of one graph at opset 13.
pub fn model(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
) -> ModelProto {
    let mut g = GraphProto::new();
    g.name = "test".into();
    g.node = nodes;
    g.initializer = inits;
    g.input = inputs;
    g.output = outputs;
    let mut m = ModelProto::new();
    m.ir_version = 8;
    let mut o = OperatorSetIdProto::new();
    o.version = 13;
    m.opset_import.push(o);
    m.graph = Some(g).into();
    m
}

/// Serialized bytes of a model.
pub fn bytes(m: &ModelProto) -> Vec<u8> {
    m.write_to_bytes().unwrap_or_default()
}

/// `y = relu(x W + b)` with `x: [1, 4]`, `W: [4, 3]`: a small valid model to corrupt.
pub fn linear_relu() -> ModelProto {
    let w: Vec<f32> = (0..12).map(|i| (i as f32 - 6.0) / 8.0).collect();
    model(
        vec![
            node("Gemm", "fc", &["x", "W", "b"], &["h"], vec![]),
            node("Relu", "act", &["h"], &["y"], vec![]),
        ],
        vec![initializer("W", &[4, 3], &w), initializer("b", &[3], &[0.5, -0.25, 0.0])],
        vec![value_info("x", &[1, 4])],
        vec![value_info("y", &[1, 3])],
    )
}
