//! Graphs in the shapes real exporters emit (`torch.onnx.export` at opsets 11-17, skl2onnx),
//! beyond the five benchmark models. The corpus is `tests/data/export_patterns`, written by
//! `models/scripts/gen_export_patterns.py`, which documents the pattern each model covers:
//! Gemm with transB and a symbolic batch axis, MatMul + Add on rank-3 inputs, Conv + unfolded
//! BatchNormalization + the `x.view(x.size(0), -1)` Shape/Gather/Unsqueeze/Concat/Reshape
//! chain, ReLU6 and one-sided Clip, GlobalAveragePool + Flatten, AveragePool with padding,
//! `count_include_pad` and `ceil_mode`, LeakyRelu/Dropout/Identity, a residual block,
//! depthwise and dilated convolutions, initializers listed as graph inputs, and input
//! normalisation with Transpose and Concat, and a classifier ending in Softmax.
//!
//! Every model is transpiled with its calibration samples (automatic scale), run on its
//! held-out input, and proven and verified (at the automatic scale). Tolerance: every output value within `1e-2 * max(1, |expected|)` of
//! onnxruntime's, and the same argmax in every row of the last axis. The models of
//! `refused.json` must fail to transpile with an error containing the recorded text.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::Value;
use transpiler::{transpile, Calibration, TranspileOptions};

/// Relative tolerance: `|got - expected| <= TOLERANCE * max(1, |expected|)`.
const TOLERANCE: f64 = 1e-2;

/// Every accepted model of the corpus (the `NAME.expected.json` files).
const MODELS: &[&str] = &[
    "alias_dropout_bias_fold",
    "alias_identity_bn_fold",
    "avgpool_ceil_include_pad",
    "avgpool_pad_ceil",
    "cnn_bn_view",
    "depthwise_dilated",
    "gap_flatten_gemm",
    "initializers_as_inputs",
    "leaky_dropout_identity",
    "linear_gemm_batch",
    "mlp_matmul_3d",
    "normalize_concat_transpose",
    "relu6_clip",
    "residual_block",
    "softmax_output",
];

// The two `alias_*` models fold a batch norm or a bias through an Identity/Dropout alias
// whose original name has another reader; they caught a transpiler bug (folds now require the
// value's own name) and must keep matching onnxruntime.
fn data(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/export_patterns")).join(file)
}

fn json(file: &str) -> Value {
    let text = std::fs::read_to_string(data(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn dims(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| usize::try_from(x.as_u64().unwrap()).unwrap()).collect()
}

/// Index of the largest value of each row of `row_len` values.
fn row_argmax(values: &[f64], row_len: usize) -> Vec<usize> {
    values.chunks(row_len.max(1)).map(starkml_tests::argmax).collect()
}

/// Transpiles, runs and compares model `name`; `Err` describes the first mismatch.
fn check(name: &str) -> Result<(), String> {
    let bytes = std::fs::read(data(&format!("{name}.onnx"))).unwrap();
    let calib = std::fs::read_to_string(data(&format!("{name}.calib.json"))).unwrap();
    let calib = Calibration::from_json(&calib).map_err(|e| format!("calibration: {e}"))?;
    // As `starkml compile` does: the automatic scale is one the prover accepts.
    let opts = TranspileOptions {
        calibration: Some(calib),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    let program = transpile(&bytes, &opts).map_err(|e| format!("transpile: {e}"))?;

    let input = json(&format!("{name}.input.json"));
    let x = floats(&input["data"]);
    let info = program.tensor(program.inputs[0]).unwrap();
    if info.name != input["input_name"].as_str().unwrap() || info.shape != dims(&input["shape"]) {
        return Err(format!("program input {} {:?} differs from {input}", info.name, info.shape));
    }
    let outputs =
        runtime::run(&program, std::slice::from_ref(&x)).map_err(|e| format!("run: {e}"))?;

    let expected = json(&format!("{name}.expected.json"));
    let (want, want_shape) = (floats(&expected["data"]), dims(&expected["shape"]));
    let got = outputs[0].to_f64();
    if outputs[0].shape != want_shape {
        return Err(format!("output shape {:?}, expected {want_shape:?}", outputs[0].shape));
    }
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        if (g - w).abs() > TOLERANCE * w.abs().max(1.0) {
            return Err(format!(
                "output[{i}] = {g}, expected {w} (got {got:?}, expected {want:?})"
            ));
        }
    }
    let row = *want_shape.last().unwrap_or(&1);
    let (ga, wa) = (row_argmax(&got, row), row_argmax(&want, row));
    if ga != wa {
        return Err(format!("argmax {ga:?}, expected {wa:?}"));
    }
    // Provable at the automatic scale: the proof carries the runtime's outputs and verifies.
    let (proof, proven) =
        air::prove(&program, std::slice::from_ref(&x), air::Preset::Fast, air::HashKind::Blake3)
            .map_err(|e| format!("prove: {e}"))?;
    if proven != outputs {
        return Err("the proof's outputs differ from the runtime's".into());
    }
    air::verify(&program, &proof).map_err(|e| format!("verify: {e}"))?;
    Ok(())
}

/// Every model matches onnxruntime (all failures reported at once).
#[test]
fn export_patterns_match_onnxruntime() {
    let failures: Vec<String> =
        MODELS.iter().filter_map(|n| check(n).err().map(|e| format!("{n}: {e}"))).collect();
    assert!(failures.is_empty(), "{} model(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// `MODELS` lists exactly the corpus files, each with its four files.
#[test]
fn corpus_is_complete() {
    let mut found: Vec<String> = std::fs::read_dir(data(""))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".expected.json").map(str::to_string))
        .collect();
    found.sort();
    assert_eq!(found, MODELS, "tests/data/export_patterns and MODELS differ");
    for name in MODELS {
        for ext in ["onnx", "input.json", "calib.json"] {
            assert!(data(&format!("{name}.{ext}")).is_file(), "{name}.{ext} is missing");
        }
        let samples = json(&format!("{name}.calib.json"))["inputs"].as_array().unwrap().len();
        assert!(samples >= 8, "{name}: {samples} calibration samples");
    }
}

/// The models of `refused.json` fail to transpile with the recorded message.
#[test]
fn refused_models_fail_with_clear_errors() {
    let refused = json("refused.json");
    let refused = refused.as_array().unwrap();
    assert!(refused.len() >= 2, "refused.json lists {} models", refused.len());
    for entry in refused {
        let file = entry["model"].as_str().unwrap();
        let want = entry["error_contains"].as_str().unwrap();
        let bytes = std::fs::read(data(file)).unwrap();
        match transpile(&bytes, &TranspileOptions::default()) {
            Ok(_) => panic!("{file}: transpiled, but must be refused with '{want}'"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains(want), "{file}: error '{msg}' does not contain '{want}'");
            }
        }
    }
}
