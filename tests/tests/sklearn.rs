//! scikit-learn style exports (skl2onnx): `ai.onnx.ml` linear classifiers and MLPs ending in
//! Softmax, compiled for their label output, run and proven.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::onnx_build::{self as ob, attr_int, initializer, node, value_info};
use starkml_tests::sklearn::{float_label, label_only, logistic_regression, COEF, INTERCEPTS};
use transpiler::{transpile, TranspileError, TranspileOptions};

#[test]
fn all_outputs_compile_with_logistic_probabilities_normalised() {
    // LinearClassifier (LOGISTIC) + Normalizer (L1), as skl2onnx writes a one-vs-rest
    // LogisticRegression: probabilities sigmoid(s_c) / sum_c sigmoid(s_c), within 0.002 of
    // float at the automatic scale; the label the first maximum of the scores.
    let opts = TranspileOptions { input_range: Some((-4.0, 4.0)), ..Default::default() };
    let program = transpile(&ob::bytes(&logistic_regression()), &opts).unwrap();
    assert_eq!(program.outputs.len(), 2);
    let x = [1.0, 2.0, -1.0, 0.5];
    let out = runtime::run(&program, &[x.to_vec()]).unwrap();
    assert_eq!(out[0].data, vec![float_label(&x) as i64]);
    let sig: Vec<f64> = (0..3)
        .map(|c| {
            let s = f64::from(INTERCEPTS[c])
                + (0..4).map(|f| f64::from(COEF[c * 4 + f]) * x[f]).sum::<f64>();
            1.0 / (1.0 + (-s).exp())
        })
        .collect();
    let total: f64 = sig.iter().sum();
    for (c, p) in out[1].to_f64().iter().enumerate() {
        let want = sig[c] / total;
        assert!((p - want).abs() < 2e-3, "p[{c}] = {p}, want {want}");
    }
}

#[test]
fn unknown_output_name_lists_the_outputs() {
    let opts = TranspileOptions { outputs: Some(vec!["proba".into()]), ..Default::default() };
    match transpile(&ob::bytes(&logistic_regression()), &opts) {
        Err(TranspileError::BadGraphOutput { name, reason }) => {
            assert_eq!(name, "proba");
            assert!(reason.contains("label, probabilities"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn logistic_regression_label_runs_and_proves() {
    let program = transpile(&ob::bytes(&logistic_regression()), &label_only()).unwrap();
    assert_eq!(program.outputs.len(), 1);
    for x in [
        [1.0, 2.0, -1.0, 0.5],
        [-2.0, 0.5, 3.0, -1.0],
        [0.0, 0.0, 0.0, 0.0],
        [3.5, -3.5, 1.25, 2.0],
    ] {
        let out = runtime::run(&program, &[x.to_vec()]).unwrap();
        assert_eq!(out[0].data, vec![float_label(&x) as i64], "{x:?}");
    }
    let (proof, _) = air::prove(
        &program,
        &[vec![1.0, 2.0, -1.0, 0.5]],
        air::Preset::Fast,
        air::HashKind::Blake3,
    )
    .unwrap();
    air::verify(&program, &proof).unwrap();
    let mut bad = proof.clone();
    bad.outputs[0][0] = (bad.outputs[0][0] + 1) % 3;
    assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
}

#[test]
fn argmax_of_softmax_reads_the_logits_and_softmax_values_compile() {
    let build = |outputs: Vec<onnx_protobuf::ValueInfoProto>| {
        ob::model(
            vec![
                node("Gemm", "fc", &["x", "W", "b"], &["logits"], vec![]),
                node("Softmax", "sm", &["logits"], &["probabilities"], vec![attr_int("axis", 1)]),
                node(
                    "ArgMax",
                    "top",
                    &["probabilities"],
                    &["label"],
                    vec![attr_int("axis", 1), attr_int("keepdims", 0)],
                ),
            ],
            vec![initializer("W", &[4, 3], &COEF), initializer("b", &[3], &INTERCEPTS)],
            vec![value_info("x", &[1, 4])],
            outputs,
        )
    };
    let opts = TranspileOptions { input_range: Some((-4.0, 4.0)), ..Default::default() };
    let program = transpile(&ob::bytes(&build(vec![value_info("label", &[1])])), &opts).unwrap();
    assert!(program.ops.iter().all(|n| n.op.name() != "softmax"));
    let x = vec![0.5, -1.0, 2.0, 1.0];
    let scores: Vec<f64> = (0..3)
        .map(|c| {
            f64::from(INTERCEPTS[c])
                + (0..4).map(|f| f64::from(COEF[f * 3 + c]) * x[f]).sum::<f64>()
        })
        .collect();
    assert_eq!(
        runtime::run(&program, &[x]).unwrap()[0].data,
        vec![starkml_tests::argmax(&scores) as i64]
    );
    // The label's program has no softmax parts; the probabilities' has them and sums to 1.
    assert!(program.ops.iter().all(|n| !matches!(n.op.name(), "table" | "div")));
    let probs =
        transpile(&ob::bytes(&build(vec![value_info("probabilities", &[1, 3])])), &opts).unwrap();
    assert!(probs.ops.iter().any(|n| n.op.name() == "div"));
    let x = vec![0.5, -1.0, 2.0, 1.0];
    let p = runtime::run(&probs, &[x]).unwrap()[0].to_f64();
    let e: Vec<f64> = scores.iter().map(|s| s.exp()).collect();
    for c in 0..3 {
        let want = e[c] / e.iter().sum::<f64>();
        assert!((p[c] - want).abs() < 0.01, "p[{c}] = {}, want {want}", p[c]);
    }
}
