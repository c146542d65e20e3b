//! Division by run-time values of either sign (`Div`, `Reciprocal`, `Softsign`) and the
//! normalisations built on it (`GroupNormalization`, `MeanVarianceNormalization`): each within
//! a stated tolerance of its float reference, proven and verified; a changed output refused;
//! a zero divisor a run-time error naming the node.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use runtime::RuntimeError;
use starkml_tests::onnx_build::{self as ob, attr_int, attr_ints, initializer, node, value_info};
use transpiler::TranspileOptions;

/// Scale 10: a unit is ~0.001. Every result below is within `TOL` of float.
const SCALE: u8 = 10;
const TOL: f64 = 0.02;

fn compile(m: &onnx_protobuf::ModelProto) -> runtime::Program {
    let opts = TranspileOptions {
        input_range: Some((-2.0, 2.0)),
        scale: Some(SCALE),
        ..Default::default()
    };
    transpiler::transpile(&ob::bytes(m), &opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs, compares output 0 with `want` within `TOL`, proves, verifies, and checks that a
/// changed output is refused.
fn check(m: &onnx_protobuf::ModelProto, inputs: Vec<Vec<f64>>, want: &[f64]) {
    let program = compile(m);
    let outs = runtime::run(&program, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let got = outs[0].to_f64();
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= TOL, "output [{i}]: {g} vs float {w}");
    }
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, &inputs, |o| o[0][0] += 1);
}

fn binary_div() -> onnx_protobuf::ModelProto {
    ob::model(
        vec![node("Div", "ratio", &["a", "b"], &["y"], vec![])],
        vec![],
        vec![value_info("a", &[1, 6]), value_info("b", &[1, 6])],
        vec![value_info("y", &[1, 6])],
    )
}

#[test]
fn division_by_run_time_values_of_either_sign() {
    let a = vec![1.0, -1.5, 0.3, 1.9, -0.2, 0.0];
    let b = vec![-1.5, -0.75, 0.5, 1.25, 2.0, -2.0];
    let want: Vec<f64> = a.iter().zip(&b).map(|(p, q)| p / q).collect();
    check(&binary_div(), vec![a, b], &want);
}

#[test]
fn a_zero_divisor_is_a_run_time_error_naming_the_node() {
    let program = compile(&binary_div());
    let err = runtime::run(&program, &[vec![1.0; 6], vec![1.0, 0.0, 1.0, 1.0, 1.0, 1.0]])
        .expect_err("a zero divisor");
    match err {
        RuntimeError::NonPositiveDivisor { origin, value, .. } => {
            assert_eq!(origin, "ratio");
            assert_eq!(value, 0);
        }
        other => panic!("expected NonPositiveDivisor, got {other}"),
    }
}

#[test]
fn reciprocal_and_softsign() {
    let x = vec![-1.6, -0.5, 0.25, 0.8, 1.7, -1.0];
    let m = ob::model(
        vec![
            node("Reciprocal", "inv", &["x"], &["r"], vec![]),
            node("Softsign", "soft", &["x"], &["s"], vec![]),
            node("Concat", "both", &["r", "s"], &["y"], vec![attr_int("axis", 1)]),
        ],
        vec![],
        vec![value_info("x", &[1, 6])],
        vec![value_info("y", &[1, 12])],
    );
    let mut want: Vec<f64> = x.iter().map(|v| 1.0 / v).collect();
    want.extend(x.iter().map(|v| v / (1.0 + v.abs())));
    check(&m, vec![x], &want);
}

/// `m` at ai.onnx opset `v` (the builder writes 13).
fn at_opset(mut m: onnx_protobuf::ModelProto, v: i64) -> onnx_protobuf::ModelProto {
    for o in &mut m.opset_import {
        if o.domain.is_empty() {
            o.version = v;
        }
    }
    m
}

fn normalise(v: &[f64]) -> Vec<f64> {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    v.iter().map(|x| (x - mean) / (var + 1e-5).sqrt()).collect()
}

fn sample(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7) % 13) as f64 / 6.5 - 1.0).collect()
}

#[test]
fn group_normalization_per_channel_and_per_group_parameters() {
    // [1, 4, 2, 2] in 2 groups of 2 channels.
    let x = sample(16);
    let scale = [1.0f32, 0.5, -1.0, 2.0];
    let bias = [0.0f32, 0.1, 0.2, -0.3];
    let mut want = Vec::new();
    for g in 0..2 {
        let y = normalise(&x[g * 8..g * 8 + 8]);
        for (k, v) in y.iter().enumerate() {
            let c = g * 2 + k / 4;
            want.push(v * f64::from(scale[c]) + f64::from(bias[c]));
        }
    }
    let m = |s: &[f32], b: &[f32]| {
        at_opset(
            ob::model(
                vec![node(
                    "GroupNormalization",
                    "gn",
                    &["x", "s", "b"],
                    &["y"],
                    vec![attr_int("num_groups", 2)],
                )],
                vec![
                    initializer("s", &[s.len() as i64], s),
                    initializer("b", &[b.len() as i64], b),
                ],
                vec![value_info("x", &[1, 4, 2, 2])],
                vec![value_info("y", &[1, 4, 2, 2])],
            ),
            21,
        )
    };
    check(&m(&scale, &bias), vec![x.clone()], &want);
    // Opset 18's per-group parameters repeat over the group's channels.
    let (gs, gb) = ([1.5f32, -0.5], [0.25f32, 0.0]);
    let want: Vec<f64> = (0..2)
        .flat_map(|g| {
            normalise(&x[g * 8..g * 8 + 8])
                .into_iter()
                .map(move |v| v * f64::from(gs[g]) + f64::from(gb[g]))
        })
        .collect();
    check(&m(&gs, &gb), vec![x], &want);
}

#[test]
fn group_normalization_refuses_groups_that_do_not_divide_the_channels() {
    let m = at_opset(
        ob::model(
            vec![node(
                "GroupNormalization",
                "gn",
                &["x", "s", "b"],
                &["y"],
                vec![attr_int("num_groups", 3)],
            )],
            vec![initializer("s", &[4], &[1.0; 4]), initializer("b", &[4], &[0.0; 4])],
            vec![value_info("x", &[1, 4, 2, 2])],
            vec![value_info("y", &[1, 4, 2, 2])],
        ),
        21,
    );
    let err = transpiler::transpile(&ob::bytes(&m), &TranspileOptions::default())
        .expect_err("3 groups of 4 channels");
    let msg = err.to_string();
    assert!(msg.contains("gn") && msg.contains("num_groups"), "{msg}");
}

#[test]
fn mean_variance_normalization_over_the_spatial_axes() {
    // [1, 2, 2, 3] normalised over axes [2, 3] (per channel).
    let x = sample(12);
    let want: Vec<f64> = x
        .chunks(6)
        .flat_map(|c| {
            let n = c.len() as f64;
            let mean = c.iter().sum::<f64>() / n;
            let sd = (c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
            c.iter().map(move |v| (v - mean) / sd).collect::<Vec<_>>()
        })
        .collect();
    let m = ob::model(
        vec![node(
            "MeanVarianceNormalization",
            "mvn",
            &["x"],
            &["y"],
            vec![attr_ints("axes", &[2, 3])],
        )],
        vec![],
        vec![value_info("x", &[1, 2, 2, 3])],
        vec![value_info("y", &[1, 2, 2, 3])],
    );
    check(&m, vec![x], &want);
}

#[test]
fn lp_normalization_and_reduce_l2() {
    // [2, 3]: rows normalised to unit L2 norm (the zero row stays zero), their L2 norms, and
    // the L1 normalisation.
    let x = vec![0.6, -0.8, 0.0, 0.0, 0.0, 0.0];
    let m = ob::model(
        vec![
            node("LpNormalization", "l2n", &["x"], &["a"], vec![attr_int("axis", 1)]),
            node("ReduceL2", "norm", &["x"], &["n"], vec![attr_ints("axes", &[1])]),
            node("Flatten", "flat_a", &["a"], &["fa"], vec![attr_int("axis", 0)]),
            node("Flatten", "flat_n", &["n"], &["fn"], vec![attr_int("axis", 0)]),
            node("Concat", "all", &["fa", "fn"], &["y"], vec![attr_int("axis", 1)]),
        ],
        vec![],
        vec![value_info("x", &[2, 3])],
        vec![value_info("y", &[1, 8])],
    );
    let want = [0.6, -0.8, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    check(&m, vec![x], &want);
    let x = vec![0.5, -1.0, 0.5, 1.5, 0.25, -0.25];
    let m = ob::model(
        vec![node("LpNormalization", "l1n", &["x"], &["y"], vec![attr_int("p", 1)])],
        vec![],
        vec![value_info("x", &[2, 3])],
        vec![value_info("y", &[2, 3])],
    );
    let want: Vec<f64> = x
        .chunks(3)
        .flat_map(|r| {
            let n: f64 = r.iter().map(|v: &f64| v.abs()).sum();
            r.iter().map(move |v| v / n).collect::<Vec<_>>()
        })
        .collect();
    check(&m, vec![x], &want);
}
