//! Comparisons, logic and `Where` on run-time values: booleans as 0 / 1, exact against their
//! float definitions on the quantised inputs, proven and verified; a changed output refused.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::onnx_build::{self as ob, attr_int, initializer, node, value_info};
use transpiler::TranspileOptions;

fn truth(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Inputs on the scale-10 grid, so that the comparisons are exactly the float ones (ties
/// included: a[1] == b[1], a[4] == b[4]).
fn inputs() -> (Vec<f64>, Vec<f64>) {
    (vec![0.5, -0.25, 1.0, -1.5, 0.75, 0.0], vec![0.25, -0.25, 1.5, -1.75, 0.75, 0.125])
}

#[test]
fn comparisons_logic_and_where_prove() {
    let ops = ["Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Equal"];
    let mut nodes: Vec<_> = ops
        .iter()
        .map(|op| node(op, &op.to_lowercase(), &["a", "b"], &[&op.to_lowercase()], vec![]))
        .collect();
    nodes.extend([
        node("Not", "not", &["equal"], &["ne"], vec![]),
        node("And", "and", &["greaterorequal", "ne"], &["gt2"], vec![]),
        node("Or", "or", &["less", "equal"], &["le2"], vec![]),
        node("Xor", "xor", &["greater", "lessorequal"], &["all"], vec![]),
        // where(a > b, a, b * k): a constant operand broadcast.
        node("Mul", "scaled", &["b", "k"], &["bk"], vec![]),
        node("Where", "pick", &["greater", "a", "bk"], &["w"], vec![]),
        // A constant condition: a mask.
        node("Where", "mask", &["m", "a", "b"], &["wm"], vec![]),
    ]);
    let outs = [
        "greater",
        "less",
        "greaterorequal",
        "lessorequal",
        "equal",
        "ne",
        "gt2",
        "le2",
        "all",
        "w",
        "wm",
    ];
    nodes.push(node("Concat", "cat", &outs, &["y"], vec![attr_int("axis", 1)]));
    let m = ob::model(
        nodes,
        vec![
            initializer("k", &[1], &[0.5]),
            initializer("m", &[1, 6], &[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]),
        ],
        vec![value_info("a", &[1, 6]), value_info("b", &[1, 6])],
        vec![value_info("y", &[1, 66])],
    );
    let (a, b) = inputs();
    let mask = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
    let mut want = Vec::new();
    let each =
        |f: &dyn Fn(f64, f64) -> f64| a.iter().zip(&b).map(|(&p, &q)| f(p, q)).collect::<Vec<_>>();
    want.extend(each(&|p, q| truth(p > q)));
    want.extend(each(&|p, q| truth(p < q)));
    want.extend(each(&|p, q| truth(p >= q)));
    want.extend(each(&|p, q| truth(p <= q)));
    want.extend(each(&|p, q| truth(p == q)));
    want.extend(each(&|p, q| truth(p != q)));
    want.extend(each(&|p, q| truth(p > q))); // (a >= b) and (a != b)
    want.extend(each(&|p, q| truth(p <= q))); // (a < b) or (a == b)
    want.extend(each(&|_, _| 1.0)); // (a > b) xor (a <= b)
    want.extend(each(&|p, q| if p > q { p } else { q * 0.5 }));
    want.extend(a.iter().zip(&b).zip(&mask).map(|((&p, &q), &k)| if k != 0.0 { p } else { q }));

    let opts =
        TranspileOptions { input_range: Some((-2.0, 2.0)), scale: Some(10), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap_or_else(|e| panic!("{e}"));
    let input = vec![a, b];
    let got = runtime::run(&program, &input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got[0].to_f64(), want, "exact on the scale-10 grid");
    // Proven with the runtime's outputs; a flipped comparison (a > b: 1 -> 0) is refused.
    starkml_tests::prove_and_refuse_tampered(&program, &input, |o| o[0][0] = 0);
}

#[test]
fn constant_comparisons_and_where_fold_keeping_integer_shapes() {
    // Shape arithmetic as exporters write it: Where(Equal(s, -1), 1, s) on int64 constants,
    // then used as a Reshape target.
    let m = ob::model(
        vec![
            node("Equal", "is_neg", &["s", "neg1"], &["e"], vec![]),
            node("Where", "fix", &["e", "one", "s"], &["t"], vec![]),
            node("Reshape", "r", &["x", "t"], &["y"], vec![]),
        ],
        vec![
            starkml_tests::onnx_build::int_initializer("s", &[2], &[-1, 3]),
            starkml_tests::onnx_build::int_initializer("neg1", &[], &[-1]),
            starkml_tests::onnx_build::int_initializer("one", &[], &[2]),
        ],
        vec![value_info("x", &[1, 6])],
        vec![value_info("y", &[2, 3])],
    );
    let program = transpiler::transpile(&ob::bytes(&m), &TranspileOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = runtime::run(&program, &[vec![0.5; 6]]).unwrap();
    assert_eq!(out[0].shape, vec![2, 3]);
}
