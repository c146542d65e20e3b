//! Malformed ONNX files and inputs give their specific error, never a panic.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use runtime::RuntimeError;
use starkml_tests::onnx_build::{self as ob, attr_empty_tensor, attr_float, node};
use transpiler::{transpile, Calibration, TranspileError, TranspileOptions};

fn compile(bytes: &[u8]) -> Result<runtime::Program, TranspileError> {
    transpile(bytes, &TranspileOptions::default())
}

#[test]
fn the_valid_base_model_compiles_and_runs() {
    let p = compile(&ob::bytes(&ob::linear_relu())).unwrap_or_else(|e| panic!("{e}"));
    let out = runtime::run(&p, &[vec![1.0, 2.0, 3.0, 4.0]]).unwrap_or_else(|e| panic!("{e}"));
    // relu([1,2,3,4] @ W + b) with W[i][j] = (3i + j - 6) / 8
    let want: Vec<f64> = (0..3)
        .map(|j| {
            let b = [0.5, -0.25, 0.0][j];
            let s: f64 = (0..4).map(|i| (i as f64 + 1.0) * ((3 * i + j) as f64 - 6.0) / 8.0).sum();
            (s + b).max(0.0)
        })
        .collect();
    for (g, w) in out[0].to_f64().iter().zip(&want) {
        assert!((g - w).abs() < 1e-3, "{g} vs {w}");
    }
}

#[test]
fn truncated_files_are_errors() {
    let bytes = std::fs::read(models::data_dir().join("mlp_small.onnx")).unwrap_or_default();
    assert!(!bytes.is_empty());
    for len in (0..bytes.len()).step_by(97) {
        assert!(compile(&bytes[..len]).is_err(), "truncated at {len} compiled");
    }
    assert!(matches!(compile(&[]), Err(TranspileError::Parse { .. })));
}

#[test]
fn random_bytes_are_errors() {
    for len in [1usize, 7, 64, 1000, 10_000] {
        let bytes = starkml_tests::noise(0x2545_f491_4f6c_dd1d ^ len as u64, len);
        let err = compile(&bytes).err();
        assert!(
            matches!(
                err,
                Some(TranspileError::Parse { .. }) | Some(TranspileError::InvalidModel { .. })
            ),
            "{len}: {err:?}"
        );
    }
}

#[test]
fn byte_flips_never_panic() {
    let bytes = std::fs::read(models::data_dir().join("cnn_small.onnx")).unwrap_or_default();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0xa5;
        let _ = compile(&b);
    }
}

#[test]
fn missing_initializer_names_the_node_and_value() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.initializer.retain(|t| t.name != "W");
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::UndefinedInput { node, input, .. }) => {
            assert_eq!((node.as_str(), input.as_str()), ("fc", "W"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_attribute_type_names_the_attribute() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.node[0].attribute.push(attr_float("transB", 1.0));
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::BadAttribute { node, attr, .. }) => {
            assert_eq!((node.as_str(), attr.as_str()), ("fc", "transB"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tensor_attribute_without_payload_is_an_error_not_a_panic() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.node.insert(0, node("Constant", "k", &[], &["k_out"], vec![attr_empty_tensor("value")]));
        g.node.push(node("Add", "use_k", &["y", "k_out"], &["z"], vec![]));
        g.output[0].name = "z".into();
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::BadAttribute { node, attr, .. }) => {
            assert_eq!((node.as_str(), attr.as_str()), ("k", "value"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsupported_ops_are_all_listed() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.node.push(node("Hardmax", "sm", &["y"], &["p"], vec![]));
        g.node.push(node("FancyOp", "fancy", &["p"], &["q"], vec![]));
        g.node[3].domain = "com.example".into();
        g.output[0].name = "q".into();
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::UnsupportedOps { nodes }) => {
            let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names, ["sm", "fancy"]);
            assert_eq!(nodes[0].op_type, "Hardmax");
            assert_eq!(nodes[0].opset, 13);
            assert_eq!(nodes[1].domain, "com.example");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incompatible_shapes_name_the_node() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.initializer[0].dims = vec![3, 4];
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::Shape { node, .. }) => assert_eq!(node, "fc"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn initializer_with_wrong_value_count_is_a_tensor_error() {
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.initializer[0].float_data.pop();
    }
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::BadTensor { name, .. }) => assert_eq!(name, "W"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_input_shape_and_range_are_run_errors() {
    let p = compile(&ob::bytes(&ob::linear_relu())).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(runtime::run(&p, &[vec![1.0; 5]]), Err(RuntimeError::InputShape { .. })));
    assert!(matches!(runtime::run(&p, &[]), Err(RuntimeError::InputCount { expected: 1, got: 0 })));
    assert!(matches!(
        runtime::run(&p, &[vec![0.0, 0.0, 99.0, 0.0]]),
        Err(RuntimeError::InputOutOfRange { index: 2, .. })
    ));
    assert!(matches!(
        runtime::run(&p, &[vec![0.0, f64::NAN, 0.0, 0.0]]),
        Err(RuntimeError::InputNotFinite { index: 1, .. })
    ));
}

#[test]
fn bad_calibration_json_is_a_calibration_error() {
    for text in ["{", "[]", "{\"inputs\": 3}", "{\"inputs\": [[1, \"a\"]]}", "{\"nothing\": 1}"] {
        assert!(
            matches!(Calibration::from_json(text), Err(TranspileError::Calibration { .. })),
            "{text}"
        );
    }
    let c = Calibration::from_json("{\"inputs\": [[1, 2, 3]]}").unwrap_or_else(|e| panic!("{e}"));
    let opts = TranspileOptions { calibration: Some(c), ..TranspileOptions::default() };
    assert!(matches!(
        transpile(&ob::bytes(&ob::linear_relu()), &opts),
        Err(TranspileError::Calibration { .. })
    ));
}

#[test]
fn a_scale_beyond_the_bound_budget_is_refused() {
    let opts = TranspileOptions {
        scale: Some(20),
        input_range: Some((-1e6, 1e6)),
        ..TranspileOptions::default()
    };
    match transpile(&ob::bytes(&ob::linear_relu()), &opts) {
        Err(TranspileError::Quantize { scale: 20, source: RuntimeError::BoundTooLarge { .. } }) => {
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_node_of_a_domain_without_opset_import_is_named() {
    let mut m = ob::linear_relu();
    m.opset_import.clear();
    match compile(&ob::bytes(&m)) {
        Err(TranspileError::InvalidModel { reason }) => {
            assert!(reason.contains("the default ONNX domain"), "{reason}");
            assert!(reason.contains("imports no opset"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// The compile result is a shape, attribute or unsupported error naming the node "moved".
fn refused_naming_moved(r: Result<runtime::Program, TranspileError>, case: &str) {
    match r {
        Err(
            TranspileError::Shape { node, .. }
            | TranspileError::BadAttribute { node, .. }
            | TranspileError::Unsupported { node, .. },
        ) => assert_eq!(node, "moved", "{case}"),
        other => panic!("{case}: {other:?}"),
    }
}

#[test]
fn bad_data_movement_parameters_name_the_node() {
    use starkml_tests::onnx_build::{attr_int, attr_string, int_initializer, value_info};
    // (op, extra inputs as int64 constants, attributes, output shape): each must be refused
    // with an error naming the node, never a panic or a huge allocation.
    type Case = (&'static str, Vec<Vec<i64>>, Vec<onnx_protobuf::AttributeProto>);
    let cases: Vec<Case> = vec![
        ("Expand", vec![vec![1, 1 << 40]], vec![]),
        ("Expand", vec![vec![3, 4]], vec![]),
        ("Tile", vec![vec![1, -2]], vec![]),
        ("Tile", vec![vec![1 << 30, 1 << 30]], vec![]),
        ("Pad", vec![vec![0, 1 << 40, 0, 0]], vec![]),
        ("Pad", vec![vec![0, -9, 0, 0]], vec![]),
        ("Pad", vec![vec![0, 1, 0, 1]], vec![attr_string("mode", "mirror")]),
        ("Slice", vec![vec![0], vec![4], vec![1], vec![0]], vec![]),
        ("Slice", vec![vec![9], vec![12], vec![1]], vec![]),
        ("Split", vec![vec![3, 3]], vec![attr_int("axis", 1)]),
        ("DepthToSpace", vec![], vec![attr_int("blocksize", 2)]),
        ("ReduceSum", vec![vec![7]], vec![]),
        ("GatherElements", vec![vec![9]], vec![]),
        ("GatherND", vec![vec![7, 7]], vec![]),
        ("GatherND", vec![vec![1, -5]], vec![]),
        ("ReverseSequence", vec![vec![9, 9]], vec![]),
        ("ReduceMax", vec![], vec![starkml_tests::onnx_build::attr_ints("axes", &[-3])]),
    ];
    for (op, consts, attrs) in cases {
        let names: Vec<String> = (0..consts.len()).map(|k| format!("c{k}")).collect();
        let mut inputs = vec!["x"];
        inputs.extend(names.iter().map(String::as_str));
        let inits = consts
            .iter()
            .zip(&names)
            .map(|(v, n)| int_initializer(n, &[v.len() as i64], v))
            .collect();
        let outs: &[&str] = if op == "Split" { &["y", "z"] } else { &["y"] };
        let mut outputs = vec![value_info("y", &[2, 4])];
        if op == "Split" {
            outputs.push(value_info("z", &[2, 4]));
        }
        let m = ob::model(
            vec![node(op, "moved", &inputs, outs, attrs)],
            inits,
            vec![value_info("x", &[2, 4])],
            outputs,
        );
        refused_naming_moved(compile(&ob::bytes(&m)), &format!("{op} {consts:?}"));
    }
}

#[test]
fn bad_resize_parameters_name_the_node() {
    use starkml_tests::onnx_build::{attr_string, initializer, int_initializer, value_info};
    let scales = |v: &[f32]| vec![initializer("c", &[v.len() as i64], v)];
    let cases: Vec<(Vec<onnx_protobuf::TensorProto>, &str)> = vec![
        (scales(&[1.0, 0.0]), "linear"),
        (scales(&[1.0, -2.0]), "nearest"),
        (scales(&[1.0, f32::NAN]), "linear"),
        (scales(&[1.0, 1e30]), "nearest"),
        (scales(&[1.0, 1.0, 2.0]), "nearest"),
        (scales(&[1.0, 2.0]), "bicubic"),
        (scales(&[1.0, 4095.0]), "linear"),
        (vec![int_initializer("c", &[2], &[2, 1 << 40])], "nearest"),
        (vec![int_initializer("c", &[2], &[2, 0])], "linear"),
    ];
    for (init, mode) in cases {
        let sizes = init[0].data_type == 7;
        let inputs: &[&str] = if sizes { &["x", "", "", "c"] } else { &["x", "", "c"] };
        let m = ob::model(
            vec![node("Resize", "moved", inputs, &["y"], vec![attr_string("mode", mode)])],
            init,
            vec![value_info("x", &[2, 4096])],
            vec![value_info("y", &[2, 4])],
        );
        refused_naming_moved(compile(&ob::bytes(&m)), mode);
    }
}
