//! Graphs in the shape `torch.onnx.export` gives small PyTorch models (see
//! `models/scripts/gen_torch_style.py`): transpiled with their calibration samples, run within
//! 0.01 of onnxruntime on held-out samples with the same argmax, and proven.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use transpiler::{transpile, Calibration, TranspileOptions};

const TOLERANCE: f64 = 0.01;

fn data(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/torch_style")).join(file)
}

fn check(name: &str) {
    let bytes = std::fs::read(data(&format!("{name}.onnx"))).unwrap();
    let calib = Calibration::from_json(
        &std::fs::read_to_string(data(&format!("{name}.calib.json"))).unwrap(),
    )
    .unwrap();
    let program =
        transpile(&bytes, &TranspileOptions { calibration: Some(calib), ..Default::default() })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    let ts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data(&format!("{name}.testset.json"))).unwrap(),
    )
    .unwrap();
    let floats = |v: &serde_json::Value| {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>()
    };
    let inputs: Vec<Vec<f64>> = ts["inputs"].as_array().unwrap().iter().map(floats).collect();
    let expected: Vec<Vec<f64>> = ts["expected"].as_array().unwrap().iter().map(floats).collect();
    assert!(!inputs.is_empty());
    for (x, want) in inputs.iter().zip(&expected) {
        let got = runtime::run(&program, std::slice::from_ref(x)).unwrap()[0].to_f64();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= TOLERANCE, "{name}: {g} vs {w}");
        }
        assert_eq!(starkml_tests::argmax(&got), starkml_tests::argmax(want), "{name}");
    }
    let (proof, outs) =
        air::prove(&program, &inputs[..1], air::Preset::Fast, air::HashKind::Blake3)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(proof.outputs[0], outs[0].data);
    air::verify(&program, &proof).unwrap_or_else(|e| panic!("{name}: {e}"));
}

#[test]
fn torch_cnn_conv_bn_pool_view_gemm_relu6() {
    check("torch_cnn");
}

#[test]
fn torch_mlp_leaky_relu_and_residual() {
    check("torch_mlp");
}
