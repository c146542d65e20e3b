//! A transformer encoder block as `torch.onnx.export` (opset 17) emits it (token input
//! [1, 16, 32], two attention heads, LayerNormalization, the exact Erf GELU, residuals, a
//! classification head; `models/scripts/gen_transformer.py`): compiled at the automatic scale
//! with its calibration samples, its logits within `TOLERANCE` of onnxruntime's on held-out
//! samples with the same argmax, proven and verified; a changed logit does not verify.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use transpiler::{transpile, Calibration, TranspileOptions};

/// Largest difference from onnxruntime's logits accepted.
const TOLERANCE: f64 = 0.01;

fn data(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/transformer")).join(file)
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

#[test]
fn transformer_block_runs_close_to_onnxruntime_and_proves() {
    let bytes = std::fs::read(data("transformer_block.onnx")).unwrap();
    let calib = Calibration::from_json(
        &std::fs::read_to_string(data("transformer_block.calib.json")).unwrap(),
    )
    .unwrap();
    let opts = TranspileOptions {
        calibration: Some(calib),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    let program = transpile(&bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    let ts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data("transformer_block.testset.json")).unwrap(),
    )
    .unwrap();
    let inputs: Vec<Vec<f64>> = ts["inputs"].as_array().unwrap().iter().map(floats).collect();
    let expected: Vec<Vec<f64>> = ts["expected"].as_array().unwrap().iter().map(floats).collect();
    let mut worst: f64 = 0.0;
    for (x, want) in inputs.iter().zip(&expected) {
        let got = runtime::run(&program, std::slice::from_ref(x)).unwrap()[0].to_f64();
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((g - w).abs());
        }
        assert_eq!(argmax(&got), argmax(want), "{got:?} vs {want:?}");
    }
    eprintln!(
        "scale {}, worst logit error {worst}",
        program.tensors[program.inputs[0].0 as usize].scale
    );
    assert!(worst <= TOLERANCE, "worst logit error {worst}");
    let x = &inputs[0];
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(x), |o| o[0][2] += 1);
}
