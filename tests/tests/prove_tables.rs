//! Smooth activations through lookup tables: each runs within its stated worst error of the
//! real function, proves and verifies; the negative twins (a wrong table value, an input off
//! the table, a changed output) do not verify.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use air::debug::{check_constraints, relation_summary};
use air::layout::{main, LimbGroup};
use air::schedule::Schedule;
use air::trace::build_rows;
use air::{HashKind, Preset};
use starkml_tests::assert_unprovable;
use starkml_tests::onnx_build::{self as ob, attr_float, attr_string, node, value_info};
use transpiler::tables::Func;
use transpiler::TranspileOptions;

const SCALE: u8 = 12;

/// One model applying each `(op, attrs, function)` to the same input `x: [1, 64]`.
fn model(ops: &[(&str, Vec<onnx_protobuf::AttributeProto>)]) -> onnx_protobuf::ModelProto {
    let nodes = ops
        .iter()
        .enumerate()
        .map(|(k, (op, attrs))| {
            node(op, &format!("n{k}"), &["x"], &[&format!("y{k}")], attrs.clone())
        })
        .collect();
    let outputs = (0..ops.len()).map(|k| value_info(&format!("y{k}"), &[1, 64])).collect();
    let mut m = ob::model(nodes, vec![], vec![value_info("x", &[1, 64])], outputs);
    m.opset_import[0].version = 20;
    m
}

fn compile(m: &onnx_protobuf::ModelProto) -> runtime::Program {
    let opts = TranspileOptions {
        input_range: Some((-8.0, 8.0)),
        scale: Some(SCALE),
        ..Default::default()
    };
    transpiler::transpile(&ob::bytes(m), &opts).unwrap_or_else(|e| panic!("{e}"))
}

/// Inputs spread over `[-7.5, 7.5]`, including exact grid points and values past every
/// table's domain.
fn input() -> Vec<f64> {
    (0..64).map(|i| f64::from(i) * 15.0 / 63.0 - 7.5).collect()
}

#[test]
fn smooth_activations_run_within_their_stated_error_and_prove() {
    let funcs: Vec<(&str, Vec<onnx_protobuf::AttributeProto>, Func)> = vec![
        ("Sigmoid", vec![], Func::Sigmoid),
        ("Tanh", vec![], Func::Tanh),
        ("Erf", vec![], Func::Erf),
        ("Softplus", vec![], Func::Softplus),
        ("Elu", vec![attr_float("alpha", 0.5)], Func::Elu(0.5)),
        ("Selu", vec![], Func::Selu(1.673_263_192_176_818_8, 1.050_701_022_148_132_3)),
        ("Celu", vec![attr_float("alpha", 2.0)], Func::Celu(2.0)),
        ("Mish", vec![], Func::Mish),
        ("Gelu", vec![], Func::Gelu { tanh: false }),
        ("Gelu", vec![attr_string("approximate", "tanh")], Func::Gelu { tanh: true }),
        ("HardSwish", vec![], Func::HardSwish),
        ("ThresholdedRelu", vec![attr_float("alpha", 0.75)], Func::ThresholdedRelu(0.75)),
    ];
    let ops: Vec<_> = funcs.iter().map(|(op, a, _)| (*op, a.clone())).collect();
    let program = compile(&model(&ops));
    let x = input();
    let outs = runtime::run(&program, std::slice::from_ref(&x)).unwrap();
    for ((op, _, f), out) in funcs.iter().zip(&outs) {
        // The stated worst error (f32 parameters of the ONNX attributes add ~1e-7).
        let tol = f.max_error(SCALE) + 1e-6;
        for (xi, yi) in x.iter().zip(out.to_f64()) {
            // The error is stated for the input as quantised at the activation scale.
            let xq = runtime::fixed_point::quantize(*xi, SCALE).unwrap();
            let want = f.eval(runtime::fixed_point::dequantize(xq, SCALE));
            assert!((yi - want).abs() <= tol, "{op}({xi}) = {yi}, want {want} (tolerance {tol})");
        }
    }
    let (proof, proven) = air::prove(&program, &[x], Preset::Fast, HashKind::Blake3)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proven, outs);
    air::verify(&program, &proof).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = proof.clone();
    bad.outputs[3][10] += 1;
    assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
}

#[test]
fn exp_saturates_above_its_domain() {
    let program = compile(&model(&[("Exp", vec![])]));
    let x = input();
    let out = runtime::run(&program, std::slice::from_ref(&x)).unwrap()[0].to_f64();
    let (_, top) = Func::Exp.domain(SCALE);
    let tol = Func::Exp.max_error(SCALE);
    for (xi, yi) in x.iter().zip(out) {
        let want = xi.min(top).exp();
        assert!((yi - want).abs() <= tol.max(want * 1e-3), "exp({xi}) = {yi}, want {want}");
    }
}

struct Lookup {
    program: runtime::Program,
    schedule: Arc<Schedule>,
    rows: Vec<[i128; main::WIDTH]>,
    inputs: Vec<Vec<i64>>,
    outputs: Vec<Vec<i64>>,
    /// A lookup node that writes output element `element`.
    node: usize,
    element: usize,
}

/// A lone `Sigmoid`: its lookup nodes write the output directly.
fn lookup_setup() -> Lookup {
    let program = compile(&model(&[("Sigmoid", vec![])]));
    let schedule = Arc::new(Schedule::new(&program).unwrap());
    let (outs, witness) = runtime::run_traced(&program, &[input()]).unwrap();
    let inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    assert_eq!(air_outputs, outputs);
    let periodic = schedule.periodic_columns();
    assert!(check_constraints(&schedule, &periodic, &rows, &inputs).is_empty());
    assert!(relation_summary(&schedule, &periodic, &rows, &inputs, &outputs).balanced());
    let element = 40;
    let addr = schedule.outputs[0][element];
    let node = schedule.rows.iter().position(|r| r.addr == addr).unwrap();
    assert!(schedule.requants[schedule.rows[node].group].table.is_some());
    Lookup { program, schedule, rows, inputs, outputs, node, element }
}

#[test]
fn a_wrong_table_value_does_not_verify() {
    let s = lookup_setup();
    let slot = s.schedule.slot(s.node);
    let mut rows = s.rows.clone();
    // The node writes f(x) + 1 (and the claimed output agrees): every main constraint and the
    // linear relation hold, only the lookup of (x, f(x) + 1) finds no table entry.
    let lane = main::X + slot.lane(LimbGroup::V1, 0).unwrap();
    let limb = rows[slot.row][lane] as usize;
    assert!(limb < 255);
    rows[slot.row][lane] += 1;
    // The range table's multiplicities follow the limb.
    rows[limb][main::MULT] -= 1;
    rows[limb + 1][main::MULT] += 1;
    let mut outputs = s.outputs.clone();
    outputs[0][s.element] += 1;
    let periodic = s.schedule.periodic_columns();
    assert!(check_constraints(&s.schedule, &periodic, &rows, &s.inputs).is_empty());
    let report = relation_summary(&s.schedule, &periodic, &rows, &s.inputs, &outputs);
    assert!(report.bus.is_empty() && report.table.is_empty(), "{report:?}");
    let x = rows[slot.row][if slot.b { main::ACC_B } else { main::ACC }];
    let y = i128::from(outputs[0][s.element]);
    assert_eq!(report.lookups.get(&(0, x, y)), Some(&1), "{report:?}");
    assert_unprovable(&s.program, &s.schedule, &rows, &s.inputs, &outputs);
}

#[test]
fn an_input_off_the_table_does_not_verify() {
    let s = lookup_setup();
    let slot = s.schedule.slot(s.node);
    let table = &s.schedule.tables[0];
    let below = table.lo - 1;
    let mut rows = s.rows.clone();
    // The lookup reads x = lo - 1, which the table does not hold (the clamp would have
    // mapped it to lo).
    rows[slot.row][if slot.b { main::ACC_B } else { main::ACC }] = i128::from(below);
    let periodic = s.schedule.periodic_columns();
    let report = relation_summary(&s.schedule, &periodic, &rows, &s.inputs, &s.outputs);
    assert!(report.lookups.keys().any(|&(t, x, _)| t == 0 && x == i128::from(below)), "{report:?}");
    assert_unprovable(&s.program, &s.schedule, &rows, &s.inputs, &s.outputs);
}

/// `y = x * sigmoid(x) + (x @ x^T) @ x`-style products of run-time tensors: an element-wise
/// `Mul` and a `MatMul` whose operands are both computed.
fn products_model() -> onnx_protobuf::ModelProto {
    let mut m = ob::model(
        vec![
            node("Sigmoid", "sig", &["x"], &["s"], vec![]),
            node("Mul", "gate", &["x", "s"], &["g"], vec![]),
            node("Transpose", "t", &["g"], &["gt"], vec![]),
            node("MatMul", "scores", &["g", "gt"], &["a"], vec![]),
            node("MatMul", "mix", &["a", "x"], &["y"], vec![]),
        ],
        vec![],
        vec![value_info("x", &[4, 8])],
        vec![value_info("y", &[4, 8])],
    );
    m.opset_import[0].version = 17;
    m
}

#[test]
fn products_of_run_time_tensors_prove() {
    let opts =
        TranspileOptions { input_range: Some((-1.0, 1.0)), scale: Some(10), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(&products_model()), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let x: Vec<f64> = (0..32).map(|i| f64::from((i * 7) % 13) / 6.5 - 1.0).collect();
    let out = runtime::run(&program, std::slice::from_ref(&x)).unwrap();
    // Float reference.
    let g: Vec<f64> = x.iter().map(|v| v / (1.0 + (-v).exp())).collect();
    let mut a = [0.0; 16];
    for i in 0..4 {
        for j in 0..4 {
            a[i * 4 + j] = (0..8).map(|k| g[i * 8 + k] * g[j * 8 + k]).sum();
        }
    }
    for i in 0..4 {
        for j in 0..8 {
            let want: f64 = (0..4).map(|k| a[i * 4 + k] * x[k * 8 + j]).sum();
            let got = out[0].to_f64()[i * 8 + j];
            assert!((got - want).abs() < 0.05, "y[{i}][{j}] = {got}, want {want}");
        }
    }
    let (proof, proven) =
        air::prove(&program, std::slice::from_ref(&x), Preset::Fast, HashKind::Blake3)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proven, out);
    air::verify(&program, &proof).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = proof.clone();
    bad.outputs[0][5] -= 1;
    assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
}

#[test]
fn a_tampered_run_time_product_does_not_verify() {
    let opts =
        TranspileOptions { input_range: Some((-1.0, 1.0)), scale: Some(10), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(&products_model()), &opts).unwrap();
    let schedule = Arc::new(Schedule::new(&program).unwrap());
    let x: Vec<f64> = (0..32).map(|i| f64::from((i * 5) % 11) / 5.5 - 1.0).collect();
    let (outs, witness) = runtime::run_traced(&program, &[x]).unwrap();
    let inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    assert_eq!(air_outputs, outputs);
    let periodic = schedule.periodic_columns();
    assert!(check_constraints(&schedule, &periodic, &rows, &inputs).is_empty());
    assert!(relation_summary(&schedule, &periodic, &rows, &inputs, &outputs).balanced());
    // A product node claims a different product: the factor X it stores is changed (so the
    // product constraint still holds), and its accumulator follows; the factor read no
    // longer matches the value written at its address.
    let node = schedule
        .rows
        .iter()
        .position(|r| matches!(r.terms, air::schedule::Terms::Product { .. }))
        .unwrap();
    let slot = schedule.slot(node);
    let mut bad = rows.clone();
    let lane = main::X + air::layout::FACTOR_X_LANES.start;
    let limb = bad[slot.row][lane] as usize;
    let delta: i128 = if limb < 255 { 1 } else { -1 };
    bad[slot.row][lane] += delta;
    bad[limb][main::MULT] -= 1;
    bad[(limb as i128 + delta) as usize][main::MULT] += 1;
    let y = (air::layout::FACTOR_Y_LANES)
        .rev()
        .fold(0i128, |acc, l| (acc << 8) + bad[slot.row][main::X + l])
        - i128::from(air::layout::FACTOR_OFFSET);
    bad[slot.row][main::ACC] += delta * y;
    let labels: Vec<&str> =
        check_constraints(&schedule, &periodic, &bad, &inputs).iter().map(|v| v.label).collect();
    assert!(!labels.contains(&"product"), "{labels:?}");
    let report = relation_summary(&schedule, &periodic, &bad, &inputs, &outputs);
    assert!(!report.bus.is_empty(), "{report:?}");
    assert_unprovable(&program, &schedule, &bad, &inputs, &outputs);
}

use starkml_tests::small_models::{
    lstm_cell, lstm_cell_reference, softmax_cnn, softmax_cnn_reference,
};

#[test]
fn a_cnn_with_a_softmax_output_proves_its_probabilities() {
    let x: Vec<f64> = (0..36).map(|i| f64::from((i * 13) % 17) / 8.5 - 1.0).collect();
    let opts = TranspileOptions {
        input_range: Some((-1.0, 1.0)),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    let program =
        transpiler::transpile(&ob::bytes(&softmax_cnn()), &opts).unwrap_or_else(|e| panic!("{e}"));
    let out = runtime::run(&program, std::slice::from_ref(&x)).unwrap();
    let p = out[0].to_f64();
    let want = softmax_cnn_reference(&x);
    for c in 0..3 {
        assert!((p[c] - want[c]).abs() < 0.01, "p[{c}] = {}, want {}", p[c], want[c]);
    }
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 0.01);
    let (proof, proven) =
        air::prove(&program, std::slice::from_ref(&x), Preset::Fast, HashKind::Blake3)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proven, out);
    air::verify(&program, &proof).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = proof.clone();
    bad.outputs[0][1] += 1;
    assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
}

#[test]
fn a_wrong_division_remainder_does_not_verify() {
    let x: Vec<f64> = (0..36).map(|i| f64::from((i * 5) % 17) / 8.5 - 1.0).collect();
    let opts = TranspileOptions {
        input_range: Some((-1.0, 1.0)),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    let program = transpiler::transpile(&ob::bytes(&softmax_cnn()), &opts).unwrap();
    let schedule = Arc::new(Schedule::new(&program).unwrap());
    let (outs, witness) = runtime::run_traced(&program, &[x]).unwrap();
    let inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    let (rows, _) = build_rows(&schedule, &inputs).unwrap();
    let periodic = schedule.periodic_columns();
    assert!(check_constraints(&schedule, &periodic, &rows, &inputs).is_empty());
    assert!(relation_summary(&schedule, &periodic, &rows, &inputs, &outputs).balanced());
    let node = schedule
        .rows
        .iter()
        .position(|r| matches!(r.terms, air::schedule::Terms::Quotient { .. }))
        .unwrap();
    let slot = schedule.slot(node);
    // The remainder grows by one and its complement shrinks by one (both stay in range, the
    // range constraint holds): acc = 2 Q B + R no longer does.
    let mut bad = rows.clone();
    let r_lane = main::X + air::layout::FACTOR_Y_LANES.start;
    let c_lane = main::X + slot.lane(LimbGroup::V2, 0).unwrap();
    assert!(bad[slot.row][r_lane] < 255 && bad[slot.row][c_lane] > 0);
    for (lane, d) in [(r_lane, 1i128), (c_lane, -1)] {
        let limb = bad[slot.row][lane] as usize;
        bad[slot.row][lane] += d;
        bad[limb][main::MULT] -= 1;
        bad[(limb as i128 + d) as usize][main::MULT] += 1;
    }
    let labels: Vec<&str> =
        check_constraints(&schedule, &periodic, &bad, &inputs).iter().map(|v| v.label).collect();
    assert_eq!(labels, ["quotient"]);
    assert!(relation_summary(&schedule, &periodic, &bad, &inputs, &outputs).balanced());
    assert_unprovable(&program, &schedule, &bad, &inputs, &outputs);
}

#[test]
fn an_unrolled_lstm_cell_proves() {
    let m = lstm_cell();
    let opts = TranspileOptions {
        input_range: Some((-1.0, 1.0)),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap_or_else(|e| panic!("{e}"));
    let x: Vec<f64> = (0..12).map(|i| f64::from((i * 5) % 9) / 4.5 - 1.0).collect();
    let out = runtime::run(&program, std::slice::from_ref(&x)).unwrap()[0].to_f64();
    let h = lstm_cell_reference(&x);
    for k in 0..4 {
        assert!((out[k] - h[k]).abs() < 0.01, "h[{k}] = {}, want {}", out[k], h[k]);
    }
    let (proof, proven) =
        air::prove(&program, std::slice::from_ref(&x), Preset::Fast, HashKind::Blake3)
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proven[0].to_f64(), out);
    air::verify(&program, &proof).unwrap_or_else(|e| panic!("{e}"));
    let mut bad = proof.clone();
    bad.outputs[0][3] -= 1;
    assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
}
