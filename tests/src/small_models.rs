//! Small models with a float reference, shared by the tests and the benchmark: a CNN with a
//! softmax output and an LSTM cell unrolled over three steps (products of run-time tensors,
//! sigmoid and tanh gates), each built node by node as an exporter writes it.

use onnx_protobuf::ModelProto;

use crate::onnx_build::{
    self as ob, attr_int, attr_ints, initializer, int_initializer, node, value_info,
};

fn softmax_cnn_weights() -> (Vec<f32>, Vec<f32>, [f32; 3]) {
    let w: Vec<f32> = (0..4 * 9).map(|i| ((i * 37 % 17) as f32 - 8.0) / 16.0).collect();
    let fc: Vec<f32> = (0..4 * 3).map(|i| ((i * 11 % 7) as f32 - 3.0) / 4.0).collect();
    (w, fc, [0.1, -0.2, 0.05])
}

/// Conv 3x3 (4 channels, pad 1) -> ReLU -> global average pool -> Gemm to 3 classes ->
/// Softmax; input `[1, 1, 6, 6]`, output the probabilities `[1, 3]`.
pub fn softmax_cnn() -> ModelProto {
    let (w, fc, b) = softmax_cnn_weights();
    ob::model(
        vec![
            node(
                "Conv",
                "conv",
                &["x", "W"],
                &["c"],
                // Every attribute written, defaults too, as torch.onnx.export does (EZKL's
                // importer needs `strides`).
                vec![
                    attr_ints("dilations", &[1, 1]),
                    attr_int("group", 1),
                    attr_ints("kernel_shape", &[3, 3]),
                    attr_ints("pads", &[1, 1, 1, 1]),
                    attr_ints("strides", &[1, 1]),
                ],
            ),
            node("Relu", "act", &["c"], &["r"], vec![]),
            node("GlobalAveragePool", "gap", &["r"], &["g"], vec![]),
            node("Flatten", "flat", &["g"], &["f"], vec![]),
            node("Gemm", "fc", &["f", "F", "b"], &["z"], vec![attr_int("transB", 0)]),
            node("Softmax", "prob", &["z"], &["y"], vec![attr_int("axis", 1)]),
        ],
        vec![
            initializer("W", &[4, 1, 3, 3], &w),
            initializer("F", &[4, 3], &fc),
            initializer("b", &[3], &b),
        ],
        vec![value_info("x", &[1, 1, 6, 6])],
        vec![value_info("y", &[1, 3])],
    )
}

/// The float probabilities of [`softmax_cnn`] on a 36-value input.
pub fn softmax_cnn_reference(x: &[f64]) -> Vec<f64> {
    let (w, fc, bias) = softmax_cnn_weights();
    let mut feat = [0.0f64; 4];
    for (o, f) in feat.iter_mut().enumerate() {
        let mut sum = 0.0;
        for i in 0..6i32 {
            for j in 0..6i32 {
                let mut acc = 0.0;
                for (ki, di) in (-1..=1).enumerate() {
                    for (kj, dj) in (-1..=1).enumerate() {
                        let (y, xx) = (i + di, j + dj);
                        if (0..6).contains(&y) && (0..6).contains(&xx) {
                            acc += f64::from(w[o * 9 + ki * 3 + kj]) * x[(y * 6 + xx) as usize];
                        }
                    }
                }
                sum += acc.max(0.0);
            }
        }
        *f = sum / 36.0;
    }
    let z: Vec<f64> = (0..3)
        .map(|c| {
            (0..4).map(|k| feat[k] * f64::from(fc[k * 3 + c])).sum::<f64>() + f64::from(bias[c])
        })
        .collect();
    let mx = z.iter().copied().fold(f64::MIN, f64::max);
    let total: f64 = z.iter().map(|v| (v - mx).exp()).sum();
    z.iter().map(|v| (v - mx).exp() / total).collect()
}

fn lstm_weights() -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let w: Vec<f32> = (0..4 * 16).map(|i| ((i * 29 % 23) as f32 - 11.0) / 22.0).collect();
    let u: Vec<f32> = (0..4 * 16).map(|i| ((i * 13 % 19) as f32 - 9.0) / 18.0).collect();
    let b: Vec<f32> = (0..16).map(|i| ((i * 7 % 5) as f32 - 2.0) / 10.0).collect();
    (w, u, b)
}

/// An LSTM cell unrolled over three steps as an exporter writes a hand-written cell: per step
/// `gates = x_t W + h U + b`, split into i, f, g, o; `c = sigmoid(f) c + sigmoid(i) tanh(g)`,
/// `h = sigmoid(o) tanh(c)`. Input `[3, 4]` (steps x features), hidden size 4, zero initial
/// state, output the last `h` `[1, 4]`.
pub fn lstm_cell() -> ModelProto {
    let (w, u, b) = lstm_weights();
    let mut nodes = vec![node(
        "Split",
        "steps",
        &["x", "ones3"],
        &["x0", "x1", "x2"],
        vec![attr_int("axis", 0)],
    )];
    let mut h = "h_init".to_string();
    let mut c = "c_init".to_string();
    for t in 0..3 {
        let p = |s: &str| format!("{s}{t}");
        nodes.push(node("MatMul", &p("xw"), &[&p("x"), "W"], &[&p("xw")], vec![]));
        nodes.push(node("MatMul", &p("hu"), &[&h, "U"], &[&p("hu")], vec![]));
        nodes.push(node("Add", &p("s"), &[&p("xw"), &p("hu")], &[&p("s")], vec![]));
        nodes.push(node("Add", &p("gates"), &[&p("s"), "b"], &[&p("gates")], vec![]));
        nodes.push(node(
            "Split",
            &p("split"),
            &[&p("gates"), "fours"],
            &[&p("i"), &p("f"), &p("g"), &p("o")],
            vec![attr_int("axis", 1)],
        ));
        nodes.push(node("Sigmoid", &p("si"), &[&p("i")], &[&p("si")], vec![]));
        nodes.push(node("Sigmoid", &p("sf"), &[&p("f")], &[&p("sf")], vec![]));
        nodes.push(node("Tanh", &p("tg"), &[&p("g")], &[&p("tg")], vec![]));
        nodes.push(node("Sigmoid", &p("so"), &[&p("o")], &[&p("so")], vec![]));
        nodes.push(node("Mul", &p("fc"), &[&p("sf"), &c], &[&p("fc")], vec![]));
        nodes.push(node("Mul", &p("ig"), &[&p("si"), &p("tg")], &[&p("ig")], vec![]));
        nodes.push(node("Add", &p("c"), &[&p("fc"), &p("ig")], &[&p("c")], vec![]));
        nodes.push(node("Tanh", &p("tc"), &[&p("c")], &[&p("tc")], vec![]));
        nodes.push(node("Mul", &p("h"), &[&p("so"), &p("tc")], &[&p("h")], vec![]));
        h = p("h");
        c = p("c");
    }
    nodes.push(node("Identity", "out", &[&h], &["y"], vec![]));
    ob::model(
        nodes,
        vec![
            initializer("W", &[4, 16], &w),
            initializer("U", &[4, 16], &u),
            initializer("b", &[16], &b),
            initializer("h_init", &[1, 4], &[0.0; 4]),
            initializer("c_init", &[1, 4], &[0.0; 4]),
            int_initializer("ones3", &[3], &[1, 1, 1]),
            int_initializer("fours", &[4], &[4, 4, 4, 4]),
        ],
        vec![value_info("x", &[3, 4])],
        vec![value_info("y", &[1, 4])],
    )
}

/// The float last hidden state of [`lstm_cell`] on a 12-value input.
pub fn lstm_cell_reference(x: &[f64]) -> Vec<f64> {
    let (w, u, b) = lstm_weights();
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let (mut h, mut c) = ([0.0f64; 4], [0.0f64; 4]);
    for t in 0..3 {
        let mut g = [0.0f64; 16];
        for (j, gj) in g.iter_mut().enumerate() {
            *gj = f64::from(b[j])
                + (0..4).map(|k| x[t * 4 + k] * f64::from(w[k * 16 + j])).sum::<f64>()
                + (0..4).map(|k| h[k] * f64::from(u[k * 16 + j])).sum::<f64>();
        }
        for k in 0..4 {
            c[k] = sig(g[4 + k]) * c[k] + sig(g[k]) * g[8 + k].tanh();
            h[k] = sig(g[12 + k]) * c[k].tanh();
        }
    }
    h.to_vec()
}
