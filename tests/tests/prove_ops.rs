//! Every op family the AIR proves, each in a small model: the proof verifies and carries the
//! runtime's outputs; its negative twin (a changed output) is rejected.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use air::{HashKind, Preset};
use starkml_tests::onnx_build::{
    self as ob, attr_float, attr_int, attr_ints, attr_string, initializer, int_initializer, node,
    value_info,
};
use transpiler::TranspileOptions;

fn weights(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (((i as u32).wrapping_mul(2_654_435_761u32) ^ seed) % 200) as f32 / 100.0 - 1.0)
        .collect()
}

fn prove_and_check(m: &onnx_protobuf::ModelProto, input: Vec<f64>) {
    let opts =
        TranspileOptions { input_range: Some((-2.0, 2.0)), scale: Some(10), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(m), &opts).unwrap();
    starkml_tests::prove_and_refuse_tampered(&program, &[input], |o| o[0][0] += 1);
}

fn input(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7) % 11) as f64 / 5.5 - 1.0).collect()
}

#[test]
fn residual_add_sub_and_relu() {
    let m = ob::model(
        vec![
            node("Gemm", "fc", &["x", "W", "b"], &["h"], vec![]),
            node("Add", "skip", &["h", "x"], &["s"], vec![]),
            node("Relu", "act", &["s"], &["r"], vec![]),
            node("Sub", "shift", &["r", "c"], &["y"], vec![]),
        ],
        vec![
            initializer("W", &[4, 4], &weights(16, 1)),
            initializer("b", &[4], &[0.1, -0.2, 0.3, 0.0]),
            initializer("c", &[4], &[0.5, 0.25, -0.5, 1.0]),
        ],
        vec![value_info("x", &[1, 4])],
        vec![value_info("y", &[1, 4])],
    );
    prove_and_check(&m, input(4));
}

#[test]
fn conv_maxpool_avgpool_global_pool() {
    let m = ob::model(
        vec![
            node("Conv", "conv", &["x", "W", "b"], &["c"], vec![attr_ints("pads", &[1, 1, 1, 1])]),
            node("Relu", "act", &["c"], &["r"], vec![]),
            node(
                "MaxPool",
                "max",
                &["r"],
                &["mp"],
                vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])],
            ),
            node(
                "AveragePool",
                "avg",
                &["mp"],
                &["ap"],
                vec![
                    attr_ints("kernel_shape", &[2, 2]),
                    attr_ints("strides", &[1, 1]),
                    attr_ints("pads", &[0, 0, 1, 1]),
                    attr_int("count_include_pad", 1),
                ],
            ),
            node("GlobalAveragePool", "gap", &["ap"], &["g"], vec![]),
            node("Flatten", "flat", &["g"], &["y"], vec![]),
        ],
        vec![
            initializer("W", &[2, 1, 3, 3], &weights(18, 7)),
            initializer("b", &[2], &[0.05, -0.05]),
        ],
        vec![value_info("x", &[1, 1, 4, 4])],
        vec![value_info("y", &[1, 2])],
    );
    prove_and_check(&m, input(16));
}

#[test]
fn grouped_strided_dilated_conv_with_a_batch() {
    // Two groups, stride (2, 1), dilation (1, 2), asymmetric pads, batch 2: the verifier's
    // separable coefficients must match the runtime's convolution everywhere.
    let m = ob::model(
        vec![node(
            "Conv",
            "conv",
            &["x", "W", "b"],
            &["y"],
            vec![
                attr_int("group", 2),
                attr_ints("strides", &[2, 1]),
                attr_ints("dilations", &[1, 2]),
                attr_ints("pads", &[1, 0, 0, 2]),
            ],
        )],
        vec![
            initializer("W", &[6, 2, 3, 3], &weights(108, 11)),
            initializer("b", &[6], &[0.1, -0.1, 0.2, 0.0, -0.3, 0.05]),
        ],
        vec![value_info("x", &[2, 4, 5, 5])],
        vec![value_info("y", &[2, 6, 2, 3])],
    );
    prove_and_check(&m, input(200));
}

#[test]
fn leaky_relu_clip_and_scaling() {
    let mut clip = node("Clip", "clip", &["l", "lo", "hi"], &["k"], vec![]);
    clip.input = vec!["l".into(), "lo".into(), "hi".into()];
    let m = ob::model(
        vec![
            node("Gemm", "fc", &["x", "W"], &["h"], vec![]),
            node("LeakyRelu", "leaky", &["h"], &["l"], vec![attr_float("alpha", 0.1)]),
            clip,
            node("Mul", "scale", &["k", "s"], &["y"], vec![]),
        ],
        vec![
            initializer("W", &[4, 6], &weights(24, 3)),
            initializer("lo", &[], &[-0.5]),
            initializer("hi", &[], &[0.75]),
            initializer("s", &[6], &[1.5, -1.0, 0.5, 2.0, 0.0, 1.0]),
        ],
        vec![value_info("x", &[1, 4])],
        vec![value_info("y", &[1, 6])],
    );
    prove_and_check(&m, input(4));
}

#[test]
fn unfused_batch_norm() {
    let m = ob::model(
        vec![
            node("BatchNormalization", "bn", &["x", "g", "be", "mu", "var"], &["n"], vec![]),
            node("Relu", "act", &["n"], &["y"], vec![]),
        ],
        vec![
            initializer("g", &[2], &[1.5, 0.5]),
            initializer("be", &[2], &[0.1, -0.1]),
            initializer("mu", &[2], &[0.2, -0.3]),
            initializer("var", &[2], &[0.5, 2.0]),
        ],
        vec![value_info("x", &[1, 2, 2, 2])],
        vec![value_info("y", &[1, 2, 2, 2])],
    );
    prove_and_check(&m, input(8));
}

#[test]
fn average_pools_with_any_window_count() {
    // 3x3 windows with padding: counts 4, 6 and 9 without count_include_pad; a 6x6 global pool.
    let m = ob::model(
        vec![
            node(
                "AveragePool",
                "avg3",
                &["x"],
                &["a"],
                vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("pads", &[1, 1, 1, 1])],
            ),
            node("GlobalAveragePool", "gap", &["a"], &["g"], vec![]),
            node("Flatten", "flat", &["g"], &["y"], vec![]),
            node("Concat", "both", &["y", "z"], &["yz"], vec![attr_int("axis", 1)]),
            node("Flatten", "flat_a", &["a"], &["z"], vec![]),
        ],
        vec![],
        vec![value_info("x", &[1, 1, 6, 6])],
        vec![value_info("yz", &[1, 37])],
    );
    // Concat reads z before Flatten defines it in list order: ONNX requires topological order.
    let mut m = m;
    if let Some(g) = m.graph.as_mut() {
        g.node.swap(3, 4);
    }
    prove_and_check(&m, input(36));
}

#[test]
fn argmax_first_and_last_on_ties() {
    for last in [0, 1] {
        let m = ob::model(
            vec![
                node("Clip", "sat", &["x", "lo", "hi"], &["c"], vec![]),
                node(
                    "ArgMax",
                    "top",
                    &["c"],
                    &["y"],
                    vec![attr_int("axis", 1), attr_int("select_last_index", last)],
                ),
            ],
            vec![initializer("lo", &[], &[-0.5]), initializer("hi", &[], &[0.5])],
            vec![value_info("x", &[2, 5])],
            vec![value_info("y", &[2, 1])],
        );
        // Clipping makes ties: several entries saturate at 0.5.
        let opts = TranspileOptions {
            input_range: Some((-2.0, 2.0)),
            scale: Some(10),
            ..Default::default()
        };
        let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap();
        let x = vec![0.9, -1.0, 0.7, 0.2, 0.6, -0.3, -0.9, -0.1, -0.2, -0.1];
        let want = runtime::run(&program, std::slice::from_ref(&x)).unwrap();
        let expect = if last == 1 { vec![4, 4] } else { vec![0, 2] };
        assert_eq!(want[0].data, expect);
        let (proof, _) = air::prove(&program, &[x], Preset::Fast, HashKind::Blake3)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(proof.outputs[0], expect);
        air::verify(&program, &proof).unwrap_or_else(|e| panic!("{e}"));
        let mut bad = proof.clone();
        bad.outputs[0][0] = 1;
        assert!(matches!(air::verify(&program, &bad), Err(air::VerifyError::Stark(_))));
    }
}

#[test]
fn slice_split_pad_tile_expand_and_depth_moves_are_address_maps() {
    // x [1, 4, 4, 4] -> Slice (channels 3..0 step -1, rows 1..) -> Pad reflect (1 row, 2 cols)
    // -> SpaceToDepth 2 -> DepthToSpace 2 (CRD) -> Split in 2 along the channels -> Tile and
    // Expand -> Add of the parts: every move is checked against the runtime by the proof.
    let ints = |name: &str, v: &[i64]| int_initializer(name, &[v.len() as i64], v);
    let m = ob::model(
        vec![
            node("Slice", "slice", &["x", "st", "en", "ax", "sp"], &["s"], vec![]),
            node("Pad", "pad", &["s", "pads"], &["p"], vec![attr_string("mode", "reflect")]),
            node("SpaceToDepth", "s2d", &["p"], &["d"], vec![attr_int("blocksize", 2)]),
            node(
                "DepthToSpace",
                "d2s",
                &["d"],
                &["u"],
                vec![attr_int("blocksize", 2), attr_string("mode", "CRD")],
            ),
            node("Split", "split", &["u", "halves"], &["a", "b"], vec![attr_int("axis", 1)]),
            node("Tile", "tile", &["a", "reps"], &["t"], vec![]),
            node("Slice", "narrow", &["b", "st1", "en1", "ax1"], &["b1"], vec![]),
            node("Expand", "expand", &["b1", "shape"], &["e"], vec![]),
            node("Add", "add", &["t", "e"], &["y"], vec![]),
        ],
        vec![
            ints("st", &[3, 1]),
            ints("en", &[-(1 << 62), i64::MAX]),
            ints("ax", &[1, 2]),
            ints("sp", &[-1, 1]),
            ints("pads", &[0, 0, 1, 2, 0, 0, 0, 0]),
            ints("halves", &[2, 2]),
            ints("reps", &[1, 2, 1, 1]),
            ints("st1", &[0]),
            ints("en1", &[1]),
            ints("ax1", &[1]),
            ints("shape", &[4, 1, 1]),
        ],
        vec![value_info("x", &[1, 4, 4, 4])],
        vec![value_info("y", &[1, 4, 4, 6])],
    );
    prove_and_check(&m, input(64));
}

#[test]
fn constant_pad_is_a_masked_edge_gather_plus_the_fill() {
    let ints = |name: &str, v: &[i64]| int_initializer(name, &[v.len() as i64], v);
    let m = ob::model(
        vec![
            node("Pad", "pad", &["x", "pads", "v"], &["p"], vec![]),
            node("Pad", "crop", &["p", "cut"], &["y"], vec![]),
        ],
        vec![
            ints("pads", &[0, 0, 1, 2, 0, 0, 2, -1]),
            initializer("v", &[], &[0.75]),
            ints("cut", &[0, 0, -1, 0, 0, 0, 0, 1]),
        ],
        vec![value_info("x", &[1, 2, 3, 3])],
        vec![value_info("y", &[1, 2, 5, 5])],
    );
    prove_and_check(&m, input(18));
}

#[test]
fn resize_nearest_is_a_gather_and_linear_or_cubic_a_constant_matmul_per_axis() {
    let m = ob::model(
        vec![
            node("Resize", "up", &["x", "", "s2"], &["u"], vec![attr_string("mode", "nearest")]),
            node(
                "Resize",
                "smooth",
                &["u", "", "s1"],
                &["l"],
                vec![
                    attr_string("mode", "linear"),
                    attr_string("coordinate_transformation_mode", "align_corners"),
                ],
            ),
            node(
                "Resize",
                "down",
                &["l", "", "s3"],
                &["y"],
                vec![attr_string("mode", "cubic"), attr_int("antialias", 1)],
            ),
        ],
        vec![
            initializer("s2", &[4], &[1.0, 1.0, 2.0, 2.0]),
            initializer("s1", &[4], &[1.0, 1.0, 1.5, 1.0]),
            initializer("s3", &[4], &[1.0, 1.0, 0.5, 0.75]),
        ],
        vec![value_info("x", &[1, 2, 3, 3])],
        vec![value_info("y", &[1, 2, 4, 4])],
    );
    prove_and_check(&m, input(18));
}

#[test]
fn max_min_abs_neg_mean_prelu_and_reductions_compose_proven_ops() {
    let ints = |name: &str, v: &[i64]| int_initializer(name, &[v.len() as i64], v);
    let m = ob::model(
        vec![
            node("Neg", "neg", &["x"], &["n"], vec![]),
            node("Abs", "abs", &["x"], &["a"], vec![]),
            node("Max", "max", &["x", "n", "c"], &["mx"], vec![]),
            node("Min", "min", &["a", "mx"], &["mn"], vec![]),
            node("Mean", "mean", &["mx", "mn", "a"], &["me"], vec![]),
            node("PRelu", "prelu", &["me", "slope"], &["p"], vec![]),
            node("ReduceSum", "rsum", &["p", "ax"], &["s"], vec![attr_int("keepdims", 1)]),
            node("ReduceMax", "rmax", &["p"], &["rm"], vec![attr_ints("axes", &[1, 3])]),
            node("ReduceMin", "rmin", &["p"], &["rn"], vec![attr_ints("axes", &[1, 3])]),
            node("ReduceMean", "rmean", &["p"], &["ra"], vec![attr_ints("axes", &[1, 3])]),
            node("Sum", "all", &["s", "rm", "rn", "ra"], &["y"], vec![]),
        ],
        vec![
            initializer("c", &[3], &[0.25, -0.5, 0.0]),
            initializer("slope", &[2, 1, 1], &[0.25, -0.5]),
            ints("ax", &[1, 3]),
        ],
        vec![value_info("x", &[1, 2, 2, 3])],
        vec![value_info("y", &[1, 1, 2, 1])],
    );
    prove_and_check(&m, input(12));
    // ArgMin: the first minimum.
    let m = ob::model(
        vec![node("ArgMin", "argmin", &["x"], &["y"], vec![attr_int("axis", 1)])],
        vec![],
        vec![value_info("x", &[2, 6])],
        vec![value_info("y", &[2, 1])],
    );
    prove_and_check(&m, input(12));
}

#[test]
fn trilu_cumsum_and_hard_sigmoid_prove() {
    let ints = |name: &str, v: &[i64]| int_initializer(name, &[v.len() as i64], v);
    let m = ob::model(
        vec![
            node("Trilu", "tril", &["x", "k"], &["t"], vec![attr_int("upper", 0)]),
            node("CumSum", "cum", &["t", "axis"], &["c"], vec![attr_int("reverse", 1)]),
            node("HardSigmoid", "hs", &["c"], &["y"], vec![attr_float("alpha", 0.3)]),
        ],
        vec![int_initializer("k", &[], &[1]), ints("axis", &[-1])],
        vec![value_info("x", &[2, 3, 4])],
        vec![value_info("y", &[2, 3, 4])],
    );
    let mut m = m;
    m.opset_import[0].version = 14;
    prove_and_check(&m, input(24));
}

#[test]
fn gather_elements_gather_nd_and_reverse_sequence_are_address_maps() {
    let m = ob::model(
        vec![
            node("GatherElements", "ge", &["x", "gi"], &["g"], vec![attr_int("axis", 1)]),
            node("ReverseSequence", "rev", &["g", "lens"], &["r"], vec![]),
            node("GatherND", "nd", &["r", "ni"], &["y"], vec![]),
        ],
        vec![
            int_initializer("gi", &[3, 2], &[2, 0, -1, 1, 0, 0]),
            int_initializer("lens", &[2], &[3, 1]),
            int_initializer("ni", &[2, 2], &[2, 1, 0, 0]),
        ],
        vec![value_info("x", &[3, 3])],
        vec![value_info("y", &[2])],
    );
    prove_and_check(&m, input(9));
}

#[test]
fn steps_powers_and_run_time_reductions_prove() {
    let m = ob::model(
        vec![
            node("Floor", "floor", &["x"], &["f"], vec![]),
            node("Ceil", "ceil", &["x"], &["c"], vec![]),
            node("Sign", "sign", &["x"], &["s"], vec![]),
            node("Pow", "cube", &["x", "three"], &["p"], vec![]),
            node("ReduceSumSquare", "ss", &["x"], &["q"], vec![attr_ints("axes", &[1])]),
            node("ReduceProd", "prod", &["x"], &["r"], vec![attr_ints("axes", &[1])]),
            node("Shrink", "shrink", &["x"], &["k"], vec![attr_float("lambd", 0.5)]),
            node("Concat", "all", &["f", "c", "s", "p", "k"], &["a"], vec![attr_int("axis", 1)]),
            node("Concat", "red", &["q", "r"], &["b"], vec![attr_int("axis", 1)]),
            node("Flatten", "fa", &["a"], &["af"], vec![]),
            node("Flatten", "fb", &["b"], &["bf"], vec![]),
            node("Concat", "out", &["af", "bf"], &["y"], vec![attr_int("axis", 1)]),
        ],
        vec![initializer("three", &[], &[3.0])],
        vec![value_info("x", &[2, 4])],
        vec![value_info("y", &[1, 44])],
    );
    prove_and_check(&m, input(8));
}
