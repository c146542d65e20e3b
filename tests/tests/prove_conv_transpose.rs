//! `ConvTranspose` (strides, pads, dilations, groups, output_padding) against the scatter
//! definition in floats, proven and verified; a changed output refused.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::onnx_build::{self as ob, attr_int, attr_ints, initializer, node, value_info};
use transpiler::TranspileOptions;

/// A transposed convolution's 2-D parameters.
struct Params {
    c: usize,
    m: usize,
    group: usize,
    h: usize,
    w: usize,
    k: [usize; 2],
    s: [usize; 2],
    d: [usize; 2],
    pads: [usize; 4],
    out_pad: [usize; 2],
}

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n).map(|i| (((i * 37 + seed * 11) % 23) as f32 - 11.0) / 16.0).collect()
}

/// `y[o, i s + k d - pad] += x[c, i] w[c, o', k]` over each group, plus the bias.
fn reference(p: &Params, x: &[f32], w: &[f32], b: &[f32]) -> (Vec<usize>, Vec<f64>) {
    let out = |a: usize| {
        p.s[a] * ([p.h, p.w][a] - 1) + p.out_pad[a] + (p.k[a] - 1) * p.d[a] + 1
            - p.pads[a]
            - p.pads[a + 2]
    };
    let (oh, ow) = (out(0), out(1));
    let (cg, mg) = (p.c / p.group, p.m / p.group);
    let mut y = vec![0.0f64; p.m * oh * ow];
    for (o, row) in y.chunks_mut(oh * ow).enumerate() {
        row.iter_mut().for_each(|v| *v = f64::from(b[o]));
    }
    for g in 0..p.group {
        for c in 0..cg {
            let ci = g * cg + c;
            for i in 0..p.h {
                for j in 0..p.w {
                    for o in 0..mg {
                        for ki in 0..p.k[0] {
                            for kj in 0..p.k[1] {
                                let r = (i * p.s[0] + ki * p.d[0]) as i64 - p.pads[0] as i64;
                                let q = (j * p.s[1] + kj * p.d[1]) as i64 - p.pads[1] as i64;
                                if r < 0 || q < 0 || r >= oh as i64 || q >= ow as i64 {
                                    continue;
                                }
                                let wv = w[((ci * mg + o) * p.k[0] + ki) * p.k[1] + kj];
                                let xv = x[(ci * p.h + i) * p.w + j];
                                y[((g * mg + o) * oh + r as usize) * ow + q as usize] +=
                                    f64::from(xv) * f64::from(wv);
                            }
                        }
                    }
                }
            }
        }
    }
    (vec![1, p.m, oh, ow], y)
}

fn check(p: &Params) {
    let x = values(p.c * p.h * p.w, 1);
    let w = values(p.c * (p.m / p.group) * p.k[0] * p.k[1], 2);
    let b = values(p.m, 3);
    let (shape, want) = reference(p, &x, &w, &b);
    let dims = |v: &[usize]| v.iter().map(|&d| d as i64).collect::<Vec<_>>();
    let m = ob::model(
        vec![node(
            "ConvTranspose",
            "up",
            &["x", "W", "b"],
            &["y"],
            vec![
                attr_ints("strides", &dims(&p.s)),
                attr_ints("dilations", &dims(&p.d)),
                attr_ints("pads", &dims(&p.pads)),
                attr_ints("output_padding", &dims(&p.out_pad)),
                attr_int("group", p.group as i64),
            ],
        )],
        vec![
            initializer("W", &dims(&[p.c, p.m / p.group, p.k[0], p.k[1]]), &w),
            initializer("b", &[p.m as i64], &b),
        ],
        vec![value_info("x", &dims(&[1, p.c, p.h, p.w]))],
        vec![value_info("y", &dims(&shape))],
    );
    let opts =
        TranspileOptions { input_range: Some((-1.0, 1.0)), scale: Some(12), ..Default::default() };
    let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap_or_else(|e| panic!("{e}"));
    let input: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let outs = runtime::run(&program, std::slice::from_ref(&input)).unwrap();
    assert_eq!(outs[0].shape, shape);
    // Inputs and weights are multiples of 2^-4: products are exact at scale 12, so the only
    // error is the weights' and inputs' own (none) and one rounding: within 2 units.
    for (i, (g, w)) in outs[0].to_f64().iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 2.0 / 4096.0, "y[{i}] = {g}, float {w}");
    }
    // Also checks the proof carries the runtime outputs above.
    starkml_tests::prove_and_refuse_tampered(&program, std::slice::from_ref(&input), |o| {
        o[0][3] -= 1
    });
}

#[test]
fn strided_transposed_convolution_with_output_padding() {
    check(&Params {
        c: 2,
        m: 3,
        group: 1,
        h: 3,
        w: 4,
        k: [3, 2],
        s: [2, 3],
        d: [1, 1],
        pads: [1, 0, 0, 1],
        out_pad: [1, 0],
    });
}

#[test]
fn grouped_dilated_transposed_convolution_with_large_pads() {
    // Pads past the kernel's reach crop the spread input.
    check(&Params {
        c: 4,
        m: 2,
        group: 2,
        h: 4,
        w: 3,
        k: [2, 3],
        s: [1, 2],
        d: [2, 1],
        pads: [3, 1, 2, 2],
        out_pad: [0, 1],
    });
}
