//! Ops scikit-learn exports use around its estimators: a cast of a real to an integer type
//! (AdaBoost's normaliser), ReduceLogSumExp (naive Bayes), Log of constants (Bernoulli naive
//! Bayes), each against its float definition, proven, with a tampered twin refused.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::onnx_build::{
    attr_int, bytes, initializer, int_initializer, model, node, value_info,
};
use transpiler::{transpile, TranspileOptions};

fn compile(m: &onnx_protobuf::ModelProto) -> runtime::Program {
    let opts = TranspileOptions { input_range: Some((-8.0, 8.0)), ..TranspileOptions::default() };
    transpile(&bytes(m), &opts).unwrap()
}

#[test]
fn a_cast_to_an_integer_type_truncates_toward_zero() {
    let m = model(
        vec![
            node("Cast", "to_int", &["x"], &["i"], vec![attr_int("to", 7)]),
            node("Cast", "to_float", &["i"], &["y"], vec![attr_int("to", 1)]),
        ],
        vec![],
        vec![value_info("x", &[1, 6])],
        vec![value_info("y", &[1, 6])],
    );
    let p = compile(&m);
    let x = vec![-3.7, 2.5, -0.2, 1.0, -1.0, 0.0];
    let want: Vec<f64> = x.iter().map(|v: &f64| v.trunc()).collect();
    let out = starkml_tests::prove_and_refuse_tampered(&p, &[x], |o| o[0][0] += 1);
    assert_eq!(out[0].to_f64(), want);
}

#[test]
fn reduce_log_sum_exp_matches_its_float_definition() {
    for keepdims in [0, 1] {
        let m = model(
            vec![node(
                "ReduceLogSumExp",
                "lse",
                &["x", "axes"],
                &["y"],
                vec![attr_int("keepdims", keepdims)],
            )],
            vec![int_initializer("axes", &[1], &[1])],
            vec![value_info("x", &[2, 4])],
            vec![value_info("y", &[2])],
        );
        let mut m = m;
        m.opset_import[0].version = 18;
        let p = compile(&m);
        let x = vec![-1.0, 0.5, 2.0, 3.25, -6.0, -7.5, -6.25, -5.0];
        let want: Vec<f64> =
            x.chunks(4).map(|r| r.iter().map(|v: &f64| v.exp()).sum::<f64>().ln()).collect();
        let out = starkml_tests::prove_and_refuse_tampered(&p, &[x], |o| o[0][1] -= 3);
        let shape = if keepdims == 1 { vec![2, 1] } else { vec![2] };
        assert_eq!(out[0].shape, shape);
        for (g, w) in out[0].to_f64().iter().zip(&want) {
            // The exp table on [-12, 0] and the ln table on [1, 4], each within a few units
            // of scale 16 or finer.
            assert!((g - w).abs() < 2e-3, "{g} vs {w}");
        }
    }
}

#[test]
fn log_of_constants_folds_and_a_run_time_log_is_refused() {
    let m = model(
        vec![
            node("Log", "log", &["c"], &["l"], vec![]),
            node("Add", "add", &["x", "l"], &["y"], vec![]),
        ],
        vec![initializer("c", &[3], &[1.0, std::f32::consts::E, 10.0])],
        vec![value_info("x", &[1, 3])],
        vec![value_info("y", &[1, 3])],
    );
    let p = compile(&m);
    let out = runtime::run(&p, &[vec![0.5, 0.5, 0.5]]).unwrap()[0].to_f64();
    for (g, w) in out.iter().zip([0.5, 1.5, 0.5 + 10f64.ln()]) {
        assert!((g - w).abs() < 1e-4, "{g} vs {w}");
    }
    let run_time = model(
        vec![node("Log", "log", &["x"], &["y"], vec![])],
        vec![],
        vec![value_info("x", &[1, 3])],
        vec![value_info("y", &[1, 3])],
    );
    let e = transpile(&bytes(&run_time), &TranspileOptions::default()).unwrap_err().to_string();
    assert!(e.contains("Log of a run-time value"), "{e}");
}
