//! The `starkml` binary as a user runs it: compile, inspect, run, and its errors.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{compile, data, starkml, stderr, tmp};

#[test]
fn compile_and_run_json_on_every_model() {
    for name in models::ALL_MODELS {
        let prog = compile(name);
        let o = starkml(&[
            "run",
            &prog.display().to_string(),
            "--input",
            &data(&format!("{name}.input.json")),
            "--json",
        ]);
        assert!(o.status.success(), "run {name}: {}", stderr(&o));
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data(&format!("{name}.expected.json"))).unwrap_or_default(),
        )
        .unwrap_or_default();
        assert_eq!(v["argmax"], expected["argmax"], "{name}");
        assert_eq!(v["outputs"][0]["name"], "output");
        assert_eq!(v["outputs"][0]["shape"], expected["shape"]);
        let got = v["outputs"][0]["data"].as_array().cloned().unwrap_or_default();
        let want = expected["data"].as_array().cloned().unwrap_or_default();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            let (g, w) = (g.as_f64().unwrap_or(f64::NAN), w.as_f64().unwrap_or(f64::NAN));
            assert!((g - w).abs() <= 0.01, "{name}: {g} vs {w}");
        }
    }
}

#[test]
fn ezkl_input_format_is_accepted() {
    let prog = compile("mlp_small");
    let a = starkml(&[
        "run",
        &prog.display().to_string(),
        "--input",
        &data("mlp_small.ezkl_input.json"),
        "--json",
    ]);
    let b = starkml(&[
        "run",
        &prog.display().to_string(),
        "--input",
        &data("mlp_small.input.json"),
        "--json",
    ]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn inspect_prints_listing_and_summary() {
    let prog = compile("cnn_small");
    let o = starkml(&["inspect", &prog.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "program \"cnn_small\"",
        "= conv",
        "summary",
        "digest",
        "MACs        2736",
        "parameters  1490",
    ] {
        assert!(text.contains(needle), "missing '{needle}' in:\n{text}");
    }
}

#[test]
fn inspect_lists_each_table_with_its_range() {
    let model = tmp("softmax_cnn.onnx");
    let bytes = starkml_tests::onnx_build::bytes(&starkml_tests::small_models::softmax_cnn());
    std::fs::write(&model, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp("softmax_cnn.stkm").display().to_string();
    let model = model.display().to_string();
    let o = starkml(&["compile", &model, "-o", &out, "--input-range=-1,1", "--scale", "11"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = starkml(&["inspect", &out, "--summary"]);
    let text = String::from_utf8_lossy(&o.stdout);
    // The softmax's exp table on [-12, 0] at grid 2^-10 (scale 11 fits 2^14 entries at 10
    // bits), its values e^x in (0, 1] at scale 11, read by the Softmax node.
    let line = text.lines().find(|l| l.trim_start().starts_with("table")).unwrap_or_else(|| {
        panic!("no table line in:\n{text}");
    });
    for needle in ["[-12, 0] step 2^-10 (12289 entries)", "-> [0, 1] at scale 11", "read by prob"] {
        assert!(line.contains(needle), "missing '{needle}' in: {line}");
    }
}

fn assert_fails(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(stderr(o).contains(needle), "'{needle}' not in: {}", stderr(o));
    assert!(!stderr(o).contains("panicked"), "panic: {}", stderr(o));
}

#[test]
fn bad_input_json_exits_1_with_the_reason() {
    let prog = compile("logreg_iris");
    let p = prog.display().to_string();
    let write = |name: &str, text: &str| {
        let f = tmp(name);
        std::fs::write(&f, text).unwrap_or_else(|e| panic!("{e}"));
        f.display().to_string()
    };
    assert_fails(
        &starkml(&["run", &p, "--input", &write("bad.json", "{\"data\": [1, 2")]),
        1,
        "invalid JSON",
    );
    assert_fails(
        &starkml(&["run", &p, "--input", &write("short.json", "{\"data\": [1, 2]}")]),
        1,
        "has 2 values",
    );
    assert_fails(
        &starkml(&[
            "run",
            &p,
            "--input",
            &write("shape.json", "{\"shape\": [4, 1], \"data\": [1, 2, 3, 4]}"),
        ]),
        1,
        "shape",
    );
    assert_fails(
        &starkml(&["run", &p, "--input", &write("str.json", "{\"data\": [1, \"x\", 3, 4]}")]),
        1,
        "data[1] is not a number",
    );
    assert_fails(
        &starkml(&["run", &p, "--input", &write("range.json", "{\"data\": [1, 2, 3, 400]}")]),
        1,
        "outside the declared range",
    );
    assert_fails(&starkml(&["run", &p, "--input", "/nonexistent/input.json"]), 1, "cannot read");
}

#[test]
fn malformed_model_and_program_files_exit_1() {
    let bytes = std::fs::read(data("cnn_small.onnx")).unwrap_or_default();
    let trunc = tmp("trunc.onnx");
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp("never.stkm").display().to_string();
    assert_fails(
        &starkml(&["compile", &trunc.display().to_string(), "-o", &out]),
        1,
        "cannot compile",
    );
    assert!(!Path::new(&out).exists());
    let junk = tmp("junk.stkm");
    std::fs::write(&junk, b"STKM\x01\x00\xff\xff\xff").unwrap_or_else(|e| panic!("{e}"));
    assert_fails(&starkml(&["inspect", &junk.display().to_string()]), 1, "invalid program file");
    assert_fails(
        &starkml(&["run", &bytes_path(&bytes), "--input", &data("cnn_small.input.json")]),
        1,
        "bad magic",
    );
}

fn bytes_path(bytes: &[u8]) -> String {
    let p = tmp("onnx-as-program.stkm");
    std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{e}"));
    p.display().to_string()
}

#[test]
fn usage_errors_exit_2() {
    let o = starkml(&["compile"]);
    assert_eq!(o.status.code(), Some(2));
    let o = starkml(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = starkml(&["compile", "x.onnx", "--scale", "many"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explicit_scale_and_input_range_are_used() {
    let out = tmp("iris12.stkm").display().to_string();
    let o = starkml(&[
        "compile",
        &data("logreg_iris.onnx"),
        "-o",
        &out,
        "--scale",
        "12",
        "--input-range",
        "-1,10",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = starkml(&["inspect", &out, "--summary"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("range [-1, 10] scale 12"), "{text}");
    assert_fails(
        &starkml(&["compile", &data("logreg_iris.onnx"), "-o", &out, "--input-range", "5"]),
        1,
        "LO,HI",
    );
}

#[test]
fn prove_and_verify_json() {
    let prog = compile("cnn_small");
    let p = prog.display().to_string();
    let proof = tmp("cnn_small.proof").display().to_string();
    let o = starkml(&[
        "prove",
        &p,
        "--input",
        &data("cnn_small.input.json"),
        "-o",
        &proof,
        "--security",
        "fast",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("conjectured security"), "{}", stderr(&o));
    let o = starkml(&["verify", &p, &proof, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["security"]["preset"], "fast");
    assert!(v["security"]["conjectured_bits"].as_u64().unwrap_or(0) >= 95);
    let run = starkml(&["run", &p, "--input", &data("cnn_small.input.json"), "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(v["outputs"], r["outputs"], "verified outputs equal the run's");
    assert_eq!(v["argmax"], r["argmax"]);

    // A verifier demanding more security than the `fast` preset's 95 bits refuses the proof;
    // one demanding what it has accepts it.
    assert!(starkml(&["verify", &p, &proof, "--min-bits", "95"]).status.success());
    assert_fails(
        &starkml(&["verify", &p, &proof, "--min-bits", "96"]),
        1,
        "bits of conjectured security, below the 96 required",
    );

    // Negative twins: a flipped byte, another model's program, garbage.
    let mut bytes = std::fs::read(&proof).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    let bad = tmp("flipped.proof");
    std::fs::write(&bad, &bytes).unwrap();
    assert_fails(&starkml(&["verify", &p, &bad.display().to_string()]), 1, "invalid proof");
    let other = compile("mlp_small");
    assert_fails(&starkml(&["verify", &other.display().to_string(), &proof]), 1, "is for program");
    let junk = tmp("junk.proof");
    std::fs::write(&junk, b"not a proof").unwrap();
    assert_fails(&starkml(&["verify", &p, &junk.display().to_string()]), 1, "malformed proof file");
    let o = starkml(&["verify", &p, &junk.display().to_string(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        starkml(&["prove", &p, "--input", &data("cnn_small.input.json"), "--security", "42"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn declared_bounds_are_announced_by_compile_and_marked_by_inspect() {
    // The ResNet-style CNN of tests/data/resnet only fits scale 16 with bounds declared from
    // its calibration samples.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/resnet/");
    let out = tmp("resnet.stkm");
    let o = starkml(&[
        "compile",
        &format!("{dir}resnet_cifar.onnx"),
        "-o",
        &out.display().to_string(),
        "--calibrate",
        &format!("{dir}resnet_cifar.calib.json"),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("scale 16") && err.contains("12 activation tensors have bounds declared"),
        "{err}"
    );
    assert!(!err.contains("cannot prove") && !err.contains("--calibrate SAMPLES"), "{err}");
    let o = starkml(&["inspect", &out.display().to_string()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert_eq!(text.matches(" (declared)  # ").count(), 12, "{text}");
    assert!(text.contains("declared    12 bounds from calibration"), "{text}");
}

#[test]
fn compile_without_samples_says_what_calibration_would_give() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/resnet/");
    let out = tmp("resnet_worst.stkm");
    let o =
        starkml(&["compile", &format!("{dir}resnet_cifar.onnx"), "-o", &out.display().to_string()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("with --calibrate SAMPLES, compile can declare bounds"), "{err}");
    assert!(!err.contains("have bounds declared"), "{err}");
}

/// `compile --dataset`, `prove --dataset`, `verify --dataset`: one proof of a decision tree's
/// accuracy on its 100-sample test set; the verifier refuses it for a test set with one label
/// changed.
#[test]
fn dataset_accuracy_is_proven_and_bound_to_the_test_set() {
    let dir = models::data_dir().join("classical");
    let file = |ext: &str| dir.join(format!("dt_wine.{ext}")).display().to_string();
    let prog = tmp("dt_eval.stkm").display().to_string();
    let proof = tmp("dt_eval.proof").display().to_string();
    let o = starkml(&[
        "compile",
        &file("onnx"),
        "--calibrate",
        &file("calib.json"),
        "--dataset",
        &file("testset.json"),
        "-o",
        &prog,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("evaluation program: 100 samples per run"), "{}", stderr(&o));
    let o = starkml(&["prove", &prog, "--dataset", &file("testset.json"), "-o", &proof]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("proven accuracy 97/100"), "{}", stderr(&o));
    let o = starkml(&["verify", &prog, &proof, "--dataset", &file("testset.json")]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("proven accuracy 97/100 = 0.9700 on test set"), "{out}");
    // One label changed: the proof is not one of this test set.
    let mut set: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file("testset.json")).unwrap()).unwrap();
    set["labels"][0] = serde_json::json!(set["labels"][0].as_f64().unwrap() + 1.0);
    let changed = tmp("dt_changed.json");
    std::fs::write(&changed, set.to_string()).unwrap();
    let o = starkml(&["verify", &prog, &proof, "--dataset", &changed.display().to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("made on another test set"), "{}", stderr(&o));
    // `run --dataset` on the changed set counts one fewer (sample 0 is predicted right).
    let o = starkml(&["run", &prog, "--dataset", &changed.display().to_string()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("accuracy 96/100"), "{}", stderr(&o));
    // `prove` needs exactly one of --input and --dataset.
    let o = starkml(&["prove", &prog]);
    assert!(!o.status.success());
}
