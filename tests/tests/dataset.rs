//! Batches and dataset proofs: a program of N samples per run computes what N runs of the
//! one-sample program compute; an evaluation program proves every prediction of a test set
//! and the count of correct labels (or the sum of absolute errors) in one proof, bound to the
//! test set by its digest.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use runtime::dataset::{score, test_set_digest, Score, CORRECT_OUTPUT, LABELS_INPUT};
use starkml_tests::classical::{compile, eval_program, test_set, Classical};
use transpiler::{Calibration, Eval, Metric, TestSet, TranspileError, TranspileOptions};

fn output_index(program: &runtime::Program, name: &str) -> usize {
    program
        .outputs
        .iter()
        .position(|id| program.tensor(*id).is_some_and(|t| t.name == name))
        .unwrap_or_else(|| panic!("no output {name}"))
}

/// Proves the evaluation program of `name`'s 100-sample test set and checks the proven count
/// against onnxruntime's labels; the negative twins change one label.
fn accuracy_proof(name: &str) {
    let c = Classical::load(name);
    let set = test_set(name);
    assert_eq!(set.len(), 100);
    let program = eval_program(name, &set);
    let inputs = set.program_inputs(&program).unwrap();
    // onnxruntime's float model gets this many right; the fixed-point labels equal its labels
    // on every sample (tests/classical.rs), so the count is exact.
    let ort = c.testset.ort_label.as_ref().unwrap();
    let want = ort.iter().zip(&c.testset.labels).filter(|(p, y)| **p as f64 == **y).count();
    let k = output_index(&program, CORRECT_OUTPUT);
    let proven =
        starkml_tests::prove_and_refuse_tampered(&program, &inputs, |o| o[k][0] += 1 << 16);
    let outputs: Vec<Vec<i64>> = proven.iter().map(|t| t.data.clone()).collect();
    assert_eq!(
        score(&program, &outputs),
        Some(Score::Accuracy { correct: want as u64, samples: 100 }),
        "{name}"
    );

    let (proof, _) =
        air::prove(&program, &inputs, air::Preset::Fast, air::HashKind::Blake3).unwrap();
    let q = runtime::quantize_inputs(&program, &inputs).unwrap();
    assert_eq!(test_set_digest(&program, &proof.inputs), test_set_digest(&program, &q));

    // Negative twins: one label changed (a correctly predicted sample now counts as wrong).
    let i = (0..100).find(|&i| ort[i] as f64 == c.testset.labels[i]).unwrap();
    let mut changed = set.clone();
    changed.labels[i][0] = (changed.labels[i][0] + 1.0) % 3.0;
    let changed_inputs = changed.program_inputs(&program).unwrap();
    let cq = runtime::quantize_inputs(&program, &changed_inputs).unwrap();
    // (a) the changed test set has another digest: `verify --dataset` refuses the proof;
    assert_ne!(test_set_digest(&program, &cq), test_set_digest(&program, &proof.inputs));
    // (b) the proof with the changed labels put in its inputs no longer verifies;
    let l = program
        .inputs
        .iter()
        .position(|id| program.tensor(*id).is_some_and(|t| t.name == LABELS_INPUT))
        .unwrap();
    let mut forged = proof.clone();
    forged.inputs[l] = cq[l].clone();
    assert!(matches!(air::verify(&program, &forged), Err(air::VerifyError::Stark(_))));
    // (c) the changed test set proves one correct label fewer.
    let out = runtime::run(&program, &changed_inputs).unwrap();
    let q_out: Vec<Vec<i64>> = out.iter().map(|t| t.data.clone()).collect();
    assert_eq!(
        score(&program, &q_out),
        Some(Score::Accuracy { correct: want as u64 - 1, samples: 100 })
    );
}

#[test]
fn accuracy_of_a_decision_tree_on_its_test_set_is_proven_in_one_proof() {
    accuracy_proof("dt_wine");
}

#[test]
fn accuracy_of_a_linear_svm_on_its_test_set_is_proven_in_one_proof() {
    accuracy_proof("linsvc_cancer");
}

/// A regressor's evaluation program proves the sum of absolute errors; compared with
/// onnxruntime's predictions within the per-prediction tolerance of tests/classical.rs
/// (1e-3) times the sample count.
#[test]
fn mean_absolute_error_of_a_regressor_is_proven() {
    let c = Classical::load("gbr_diabetes");
    let n = 3;
    let set = TestSet {
        features: Calibration { samples: vec![c.testset.inputs[..n].to_vec()], names: None },
        labels: c.testset.labels[..n].iter().map(|&y| vec![y]).collect(),
    };
    let program = eval_program("gbr_diabetes", &set);
    let inputs = set.program_inputs(&program).unwrap();
    let want: f64 = (0..n).map(|i| (c.testset.ort_scores[i][0] - c.testset.labels[i]).abs()).sum();
    let k = output_index(&program, runtime::dataset::ABS_ERROR_OUTPUT);
    let proven = starkml_tests::prove_and_refuse_tampered(&program, &inputs, |o| o[k][0] -= 1);
    let outputs: Vec<Vec<i64>> = proven.iter().map(|t| t.data.clone()).collect();
    let Some(Score::MeanAbsError { sum, values, samples }) = score(&program, &outputs) else {
        panic!("not a regression score");
    };
    assert_eq!((values, samples), (n, n));
    assert!((sum - want).abs() <= 1e-3 * n as f64, "{sum} vs {want}");
}

/// A program of 8 samples per run gives each sample what the one-sample program gives it
/// (the same scale, so bit for bit), and one proof covers the batch.
#[test]
fn a_batch_computes_each_sample_as_a_single_run_does() {
    for name in ["dt_wine", "mlp_wine"] {
        let single = Classical::load(name);
        let batch = compile(name, TranspileOptions { batch: 8, ..TranspileOptions::default() });
        let x = &single.testset.inputs[..8];
        let out = runtime::run(&batch, &[x.concat()]).unwrap();
        for (i, xi) in x.iter().enumerate() {
            let one = runtime::run(&single.program, std::slice::from_ref(xi)).unwrap();
            for (b, o) in out.iter().zip(&one) {
                assert_eq!(b.scale, o.scale, "{name}");
                let row = o.data.len();
                assert_eq!(b.data[i * row..(i + 1) * row], o.data[..], "{name} sample {i}");
            }
        }
        if name == "dt_wine" {
            starkml_tests::prove_and_refuse_tampered(&batch, &[x.concat()], |o| o[0][7] ^= 1);
        }
    }
}

fn expect_test_set_error(text: &str, needle: &str) {
    match TestSet::from_json(text) {
        Err(TranspileError::TestSet { reason }) => assert!(reason.contains(needle), "{reason}"),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn malformed_test_sets_are_refused_with_the_field_named() {
    expect_test_set_error("[1, 2", "invalid JSON");
    expect_test_set_error(r#"{"labels": [0]}"#, "missing field 'inputs'");
    expect_test_set_error(r#"{"inputs": [[1.0]]}"#, "missing field 'labels'");
    expect_test_set_error(r#"{"inputs": [[1.0]], "labels": 3}"#, "'labels' is not a list");
    expect_test_set_error(r#"{"inputs": [[1.0]], "labels": ["a"]}"#, "labels[0]");
    expect_test_set_error(r#"{"inputs": [[1.0], [2.0]], "labels": [0]}"#, "2 samples");
    expect_test_set_error(r#"{"inputs": [[1.0], [2.0]], "labels": [[0, 1], [2]]}"#, "labels[1]");
    expect_test_set_error(r#"{"inputs": [], "labels": []}"#, "no labels");
}

#[test]
fn evaluation_programs_refuse_what_does_not_fit() {
    let set = test_set("dt_wine");
    let eval = |metric, output: Option<&str>| TranspileOptions {
        eval: Some(Eval { test_set: set.clone(), metric, output: output.map(String::from) }),
        ..TranspileOptions::default()
    };
    let bytes = std::fs::read(starkml_tests::classical::dir().join("dt_wine.onnx")).unwrap();
    let err =
        |opts: &TranspileOptions| transpiler::transpile(&bytes, opts).unwrap_err().to_string();
    assert!(err(&eval(None, Some("nope"))).contains("'nope' is not a graph output"));
    let mut fractional = set.clone();
    fractional.labels[5][0] = 0.5;
    let opts = TranspileOptions {
        eval: Some(Eval { test_set: fractional, metric: Some(Metric::Accuracy), output: None }),
        ..TranspileOptions::default()
    };
    assert!(err(&opts).contains("labels[5] = 0.5 is not a class index"));
    assert!(err(&TranspileOptions { batch: 7, ..eval(None, None) }).contains("a batch of 7"));
    // A model whose batch axis is fixed at another size than 1 cannot take a batch.
    let mut fixed2 = starkml_tests::onnx_build::linear_relu();
    if let Some(g) = fixed2.graph.as_mut() {
        g.input[0] = starkml_tests::onnx_build::value_info("x", &[2, 4]);
    }
    let fixed2 = starkml_tests::onnx_build::bytes(&fixed2);
    let e = transpiler::transpile(&fixed2, &TranspileOptions { batch: 4, ..Default::default() });
    assert!(
        matches!(&e, Err(TranspileError::BadGraphInput { reason, .. }) if reason.contains("dynamic")),
        "{e:?}"
    );
    // A program that is not an evaluation program has no labels input.
    let plain = Classical::load("dt_wine").program;
    let e = set.program_inputs(&plain).unwrap_err().to_string();
    assert!(e.contains(LABELS_INPUT), "{e}");
    // A test set of another size does not fit an evaluation program.
    let program = eval_program("dt_wine", &set);
    let mut short = set.clone();
    short.labels.pop();
    short.features.samples[0].pop();
    let e = short.program_inputs(&program).unwrap_err().to_string();
    assert!(e.contains("was the program compiled for this test set"), "{e}");
}

/// `torch.onnx.export` without `dynamic_axes` fixes the batch at 1: such a model is batched
/// all the same (checked sample by sample against the one-sample program), and its accuracy
/// on a test set (the arg-max of its logits against the labels) is proven.
#[test]
fn a_model_exported_with_a_batch_of_one_is_batched_and_its_accuracy_proven() {
    let f = models::Fixture::load("mlp_small").unwrap();
    let calib = Calibration::from_json(&std::fs::read_to_string(&f.calib).unwrap()).unwrap();
    let set = TestSet {
        features: Calibration { samples: vec![f.testset.inputs.clone()], names: None },
        labels: f.testset.labels.iter().map(|&l| vec![l as f64]).collect(),
    };
    let opts = TranspileOptions {
        calibration: Some(calib),
        eval: Some(Eval { test_set: set.clone(), metric: None, output: None }),
        accept: Some(air::check_field_budget),
        ..TranspileOptions::default()
    };
    let program = transpiler::transpile(&f.onnx_bytes().unwrap(), &opts).unwrap();
    let inputs = set.program_inputs(&program).unwrap();
    let n = set.len();
    // The float model's count (the fixed-point arg-max equals the float one on these samples,
    // tests/models.rs).
    let want = f
        .testset
        .expected
        .iter()
        .zip(&f.testset.labels)
        .filter(|(e, l)| starkml_tests::argmax(e) as i64 == **l)
        .count();
    let k = output_index(&program, CORRECT_OUTPUT);
    let out = starkml_tests::prove_and_refuse_tampered(&program, &inputs, |o| o[k][0] -= 1 << 16);
    let q: Vec<Vec<i64>> = out.iter().map(|t| t.data.clone()).collect();
    assert_eq!(score(&program, &q), Some(Score::Accuracy { correct: want as u64, samples: n }));
}

/// A graph that mixes the samples of its fixed first axis (here a sum over every axis) is
/// refused at a batch above 1, with the hint to export a dynamic batch axis.
#[test]
fn a_model_mixing_its_fixed_batch_axis_is_refused() {
    use starkml_tests::onnx_build::{attr_int, bytes, model, node, value_info};
    let m = model(
        vec![node("ReduceSum", "total", &["x"], &["y"], vec![attr_int("keepdims", 1)])],
        vec![],
        vec![value_info("x", &[1, 4])],
        vec![value_info("y", &[1, 1])],
    );
    let opts = TranspileOptions { batch: 3, ..TranspileOptions::default() };
    match transpiler::transpile(&bytes(&m), &opts) {
        Err(TranspileError::Batch { reason }) => {
            assert!(reason.contains("does not compute the samples of a batch independently"));
            assert!(reason.contains("dynamic_axes"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // The per-sample model of the same export batches.
    let lin = starkml_tests::onnx_build::linear_relu();
    let p = transpiler::transpile(&bytes(&lin), &opts).unwrap();
    assert_eq!(p.tensor(p.inputs[0]).unwrap().shape, vec![3, 4]);
}

/// Test sets built through the API (not parsed) with missing parts give errors, not panics.
#[test]
fn test_sets_without_inputs_are_errors() {
    let program = eval_program("dt_wine", &test_set("dt_wine"));
    let empty = TestSet {
        features: Calibration { samples: vec![], names: None },
        labels: vec![vec![0.0]; 100],
    };
    assert!(empty.program_inputs(&program).is_err());
    let unnamed = TestSet {
        features: Calibration { samples: vec![], names: Some(vec!["X".into()]) },
        labels: vec![vec![0.0]; 100],
    };
    assert!(unnamed.program_inputs(&program).is_err());
    let opts = TranspileOptions {
        eval: Some(Eval { test_set: unnamed, metric: None, output: None }),
        ..TranspileOptions::default()
    };
    let bytes = std::fs::read(starkml_tests::classical::dir().join("dt_wine.onnx")).unwrap();
    assert!(transpiler::transpile(&bytes, &opts).is_err());
}
