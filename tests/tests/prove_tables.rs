//! Smooth activations through lookup tables: each runs within its stated worst error of the
//! real function, proves and verifies; the negative twins (a wrong table value, an input off
//! the table, a changed output) do not verify.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use air::debug::{check_constraints, relation_summary};
use air::layout::{main, LimbGroup, FACTOR_OFFSET, FACTOR_X_LANES, FACTOR_Y_LANES};
use air::schedule::Terms;
use starkml_tests::onnx_build::{self as ob, attr_float, attr_string, node, value_info};
use starkml_tests::small_models::{
    lstm_cell, lstm_cell_reference, softmax_cnn, softmax_cnn_reference,
};
use starkml_tests::{assert_unprovable, shift_limb, Traced};
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
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(&x), |o| o[3][10] += 1);
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
    t: Traced,
    /// A lookup node that writes output element `element`.
    node: usize,
    element: usize,
}

/// A lone `Sigmoid`: its lookup nodes write the output directly.
fn lookup_setup() -> Lookup {
    let program = compile(&model(&[("Sigmoid", vec![])]));
    let t = Traced::new(&program, input());
    let element = 40;
    let addr = t.schedule.outputs[0][element];
    let node = t.schedule.rows.iter().position(|r| r.addr == addr).unwrap();
    assert!(t.schedule.requants[t.schedule.rows[node].group].table.is_some());
    Lookup { program, t, node, element }
}

/// The first node whose terms match `pred`.
fn first_node(t: &Traced, pred: impl Fn(&Terms) -> bool) -> usize {
    t.schedule.rows.iter().position(|r| pred(&r.terms)).unwrap()
}

#[test]
fn a_wrong_table_value_does_not_verify() {
    let Lookup { program, t, node, element } = lookup_setup();
    let slot = t.schedule.slot(node);
    let mut rows = t.rows.clone();
    // The node writes f(x) + 1 (and the claimed output agrees): every main constraint and the
    // linear relation hold, only the lookup of (x, f(x) + 1) finds no table entry.
    shift_limb(&mut rows, slot.row, main::X + slot.lane(LimbGroup::V1, 0).unwrap(), 1);
    let mut outputs = t.outputs.clone();
    outputs[0][element] += 1;
    assert!(check_constraints(&t.schedule, &t.periodic, &rows, &t.inputs).is_empty());
    let report = relation_summary(&t.schedule, &t.periodic, &rows, &t.inputs, &outputs);
    assert!(report.bus.is_empty() && report.table.is_empty(), "{report:?}");
    let x = rows[slot.row][if slot.b { main::ACC_B } else { main::ACC }];
    let y = i128::from(outputs[0][element]);
    assert_eq!(report.lookups.get(&(0, x, y)), Some(&1), "{report:?}");
    assert_unprovable(&program, &t.schedule, &rows, &t.inputs, &outputs);
}

#[test]
fn an_input_off_the_table_does_not_verify() {
    let Lookup { program, t, node, .. } = lookup_setup();
    let slot = t.schedule.slot(node);
    let below = t.schedule.tables[0].lo - 1;
    let mut rows = t.rows.clone();
    // The lookup reads x = lo - 1, which the table does not hold (the clamp would have
    // mapped it to lo).
    rows[slot.row][if slot.b { main::ACC_B } else { main::ACC }] = i128::from(below);
    let report = relation_summary(&t.schedule, &t.periodic, &rows, &t.inputs, &t.outputs);
    let off = |&(tab, x, _): &(usize, i128, i128)| tab == 0 && x == i128::from(below);
    assert!(report.lookups.keys().any(off), "{report:?}");
    assert_unprovable(&program, &t.schedule, &rows, &t.inputs, &t.outputs);
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
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(&x), |o| o[0][5] -= 1);
}

#[test]
fn a_tampered_run_time_product_does_not_verify() {
    let opts =
        TranspileOptions { input_range: Some((-1.0, 1.0)), scale: Some(10), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(&products_model()), &opts).unwrap();
    let x: Vec<f64> = (0..32).map(|i| f64::from((i * 5) % 11) / 5.5 - 1.0).collect();
    let t = Traced::new(&program, x);
    // A product node claims a different product: the factor X it stores is changed (so the
    // product constraint still holds), and its accumulator follows; the factor read no
    // longer matches the value written at its address.
    let node = first_node(&t, |terms| matches!(terms, Terms::Product { .. }));
    let slot = t.schedule.slot(node);
    let mut bad = t.rows.clone();
    let lane = main::X + FACTOR_X_LANES.start;
    let delta: i128 = if bad[slot.row][lane] < 255 { 1 } else { -1 };
    shift_limb(&mut bad, slot.row, lane, delta);
    let y = FACTOR_Y_LANES.rev().fold(0i128, |acc, l| (acc << 8) + bad[slot.row][main::X + l])
        - i128::from(FACTOR_OFFSET);
    bad[slot.row][main::ACC] += delta * y;
    let labels: Vec<&str> = check_constraints(&t.schedule, &t.periodic, &bad, &t.inputs)
        .iter()
        .map(|v| v.label)
        .collect();
    assert!(!labels.contains(&"product"), "{labels:?}");
    let report = relation_summary(&t.schedule, &t.periodic, &bad, &t.inputs, &t.outputs);
    assert!(!report.bus.is_empty(), "{report:?}");
    assert_unprovable(&program, &t.schedule, &bad, &t.inputs, &t.outputs);
}

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
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(&x), |o| o[0][1] += 1);
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
    let t = Traced::new(&program, x);
    let node = first_node(&t, |terms| matches!(terms, Terms::Quotient { .. }));
    let slot = t.schedule.slot(node);
    // The remainder grows by one and its complement shrinks by one (both stay in range, the
    // range constraint holds): acc = 2 Q B + R no longer does.
    let mut bad = t.rows.clone();
    shift_limb(&mut bad, slot.row, main::X + FACTOR_Y_LANES.start, 1);
    shift_limb(&mut bad, slot.row, main::X + slot.lane(LimbGroup::V2, 0).unwrap(), -1);
    let labels: Vec<&str> = check_constraints(&t.schedule, &t.periodic, &bad, &t.inputs)
        .iter()
        .map(|v| v.label)
        .collect();
    assert_eq!(labels, ["quotient"]);
    assert!(relation_summary(&t.schedule, &t.periodic, &bad, &t.inputs, &t.outputs).balanced());
    assert_unprovable(&program, &t.schedule, &bad, &t.inputs, &t.outputs);
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
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(&x), |o| o[0][3] -= 1);
}
