//! ONNX protobuf access: parsing, attributes and tensors. The protobuf types stay inside
//! this module tree and the graph builder.

pub mod attr;
pub mod external;
pub mod tensor;

use onnx_protobuf::{Message, ModelProto, TensorProto, ValueInfoProto};

use crate::error::TranspileError;
pub use tensor::{read_tensor, ConstTensor, DType};

/// Parses ONNX model bytes.
///
/// # Errors
/// [`TranspileError::Parse`] when the bytes are not a protobuf `ModelProto`.
pub fn parse_model(bytes: &[u8]) -> Result<ModelProto, TranspileError> {
    if bytes.is_empty() {
        return Err(TranspileError::Parse { reason: "the file is empty".into() });
    }
    ModelProto::parse_from_bytes(bytes).map_err(|e| TranspileError::Parse { reason: e.to_string() })
}

/// Parses a serialized `TensorProto` (the `.pb` files of ONNX test data).
///
/// # Errors
/// [`TranspileError::Parse`] or [`TranspileError::BadTensor`].
pub fn parse_tensor(bytes: &[u8], name: &str) -> Result<ConstTensor, TranspileError> {
    let t = TensorProto::parse_from_bytes(bytes)
        .map_err(|e| TranspileError::Parse { reason: e.to_string() })?;
    read_tensor(&t, name)
}

/// Element type and shape of a graph input. Symbolic or unknown dimensions are allowed only on
/// axis 0 (the batch axis), where they become `batch` (samples per run, at least 1); a first
/// axis fixed at 1 becomes `batch` too (the transpiler then checks the samples stay apart).
///
/// # Errors
/// [`TranspileError::BadGraphInput`] for non-tensor types, unknown ranks, non-float types,
/// symbolic inner dimensions, or a `batch` above 1 for an input whose first axis is fixed at
/// another size.
pub fn input_shape(
    v: &ValueInfoProto,
    batch: usize,
) -> Result<(DType, Vec<usize>), TranspileError> {
    let bad = |reason: String| TranspileError::BadGraphInput { name: v.name.clone(), reason };
    use onnx_protobuf::type_proto::Value;
    let Some(ty) = v.type_.as_ref() else {
        return Err(bad("no type information".into()));
    };
    let Some(Value::TensorType(tt)) = &ty.value else {
        return Err(bad("not a tensor (sequences, maps and optionals are not supported)".into()));
    };
    let dtype = DType::from_onnx(tt.elem_type)
        .ok_or_else(|| bad(format!("element type {} is not supported", tt.elem_type)))?;
    let Some(shape) = tt.shape.as_ref() else {
        return Err(bad("unknown rank: export the model with a static input shape".into()));
    };
    let mut dims = Vec::with_capacity(shape.dim.len());
    for (axis, d) in shape.dim.iter().enumerate() {
        use onnx_protobuf::tensor_shape_proto::dimension::Value as D;
        match &d.value {
            // A first axis fixed at 1 takes the batch too (checked afterwards: `batch.rs`).
            Some(D::DimValue(1)) if axis == 0 && batch > 1 => dims.push(batch),
            Some(D::DimValue(n)) if axis == 0 && batch > 1 && *n != batch as i64 => {
                return Err(bad(format!(
                    "a batch of {batch} needs a dynamic first axis, but it is fixed at {n}: \
                     export the model with a dynamic batch axis (torch.onnx.export's \
                     dynamic_axes, skl2onnx's default [None, features])"
                )))
            }
            Some(D::DimValue(n)) if *n >= 0 => dims.push(*n as usize),
            Some(D::DimValue(n)) => return Err(bad(format!("dimension {axis} is {n}"))),
            _ if axis == 0 => dims.push(batch.max(1)),
            other => {
                let what = match other {
                    Some(D::DimParam(p)) => format!("symbolic ('{p}')"),
                    _ => "unknown".to_string(),
                };
                return Err(bad(format!(
                    "dimension {axis} is {what}; only the batch axis may be dynamic"
                )));
            }
        }
    }
    if dims.len() > runtime::shape::MAX_RANK || runtime::shape::numel(&dims).is_none() {
        return Err(bad(format!("shape {dims:?} is too large")));
    }
    Ok((dtype, dims))
}
