//! ONNX `ConvTranspose` as a convolution the prover already checks: the input is spread on a
//! grid of `stride` (zeros between its elements) and padded by `dilation (K - 1) - pad` on each
//! side (plus `output_padding` at the end; a negative amount crops), which is one gather per
//! spatial axis and a product by a constant 0/1 mask; then a stride-1 `Conv` with the kernel
//! flipped on every spatial axis and its two channel axes exchanged (per group). Exact; the
//! convolution also multiplies the inserted zeros, so it costs about `stride^n` times the
//! transposed convolution's own MACs.

use runtime::shape::{numel, positions};
use runtime::ConvParams;

use super::movement::{inside_mask, take};
use super::nn::{axes_attr, check_kernel_shape, dyn_input};
use super::{emit, emit_tmp};
use crate::builder::{Ctx, Node};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// Begin and end padding of each spatial axis, from `pads`, `auto_pad` and `output_shape`
/// as the ONNX operator defines them.
fn transposed_pads(
    node: &Node<'_>,
    dims: &[usize],
    span: &[usize],
    strides: &[usize],
    out_pad: &[usize],
) -> Result<Vec<i64>, TranspileError> {
    let n = dims.len();
    let auto = node.attrs.string("auto_pad")?.unwrap_or_else(|| "NOTSET".into());
    let given = node.attrs.ints("output_shape")?;
    let target: Option<Vec<i64>> = match (&given, auto.as_str()) {
        (Some(o), _) if o.len() >= n => Some(o[o.len() - n..].to_vec()),
        (Some(o), _) => {
            return Err(node.ctx.attr("output_shape", format!("{o:?} has fewer than {n} sizes")))
        }
        (None, "SAME_UPPER" | "SAME_LOWER") => {
            Some(dims.iter().zip(strides).map(|(&d, &s)| (d * s) as i64).collect())
        }
        (None, "NOTSET") => None,
        (None, "VALID") => return Ok(vec![0; 2 * n]),
        (None, other) => return Err(node.ctx.attr("auto_pad", format!("unknown value '{other}'"))),
    };
    let Some(target) = target else {
        return Ok(axes_attr(node, "pads", 2 * n, 0, 0)?.into_iter().map(|p| p as i64).collect());
    };
    let mut p = vec![0i64; 2 * n];
    for i in 0..n {
        let full = (strides[i] * (dims[i] - 1) + out_pad[i] + span[i]) as i64;
        // A negative total (an output_shape past the full output) pads the end with zeros,
        // as the ONNX reference's floor division does.
        let total = full - target[i];
        if target[i] < 1 || total.abs() > 1 << 28 {
            return Err(node.ctx.attr("output_shape", format!("{} on axis {i}", target[i])));
        }
        let small = total.div_euclid(2);
        let large = total - small;
        (p[i], p[i + n]) = if auto == "SAME_UPPER" { (small, large) } else { (large, small) };
    }
    Ok(p)
}

/// ONNX `ConvTranspose` with constant weights `[C, M/group, K..]` (see the module doc).
pub fn conv_transpose(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = dyn_input(node, 0)?;
    let w = node.const_input(1, "weights")?.clone();
    let bias = node.opt_const(2, "bias")?.cloned();
    let xs = ctx.graph.shape(&x).to_vec();
    if xs.len() < 3 || w.shape.len() != xs.len() || w.shape[0] != xs[1] {
        return Err(node
            .ctx
            .shape(format!("X {xs:?} and W {:?} must be [N,C,D..] and [C,M/group,K..]", w.shape)));
    }
    let n = xs.len() - 2;
    let kernel = w.shape[2..].to_vec();
    if kernel.contains(&0) || xs[2..].contains(&0) {
        return Err(node.ctx.shape(format!("empty axis in X {xs:?} or W {:?}", w.shape)));
    }
    check_kernel_shape(node, &kernel)?;
    let strides = axes_attr(node, "strides", n, 1, 1)?;
    let dilations = axes_attr(node, "dilations", n, 1, 1)?;
    let out_pad = axes_attr(node, "output_padding", n, 0, 0)?;
    let group = node.attrs.int_or("group", 1)?;
    let g = usize::try_from(group).ok().filter(|&g| g >= 1 && xs[1] % g == 0).ok_or_else(|| {
        node.ctx.attr("group", format!("{group} does not divide {} channels", xs[1]))
    })?;
    let (cin_g, cout_g) = (xs[1] / g, w.shape[1]);
    let cout = cout_g * g;
    if let Some(b) = &bias {
        if b.shape != [cout] {
            return Err(node.ctx.shape(format!("bias {:?} is not [{cout}]", b.shape)));
        }
    }
    let full: Vec<usize> = (0..n).map(|i| dilations[i] * (kernel[i] - 1)).collect();
    let span: Vec<usize> = full.iter().map(|f| f + 1).collect();
    let pads = transposed_pads(node, &xs[2..], &span, &strides, &out_pad)?;
    // Spread and pad (or crop) each spatial axis: output position o reads input (o - lead) / s
    // when that is a whole in-range index, else it is one of the inserted zeros.
    let mut y = x;
    let mut shape = xs.clone();
    let mut inside: Vec<Vec<bool>> = vec![vec![true; xs[0]], vec![true; xs[1]]];
    for i in 0..n {
        let (len, s) = (xs[i + 2] as i64, strides[i] as i64);
        let lead = full[i] as i64 - pads[i];
        let trail = full[i] as i64 - pads[i + n] + out_pad[i] as i64;
        let u = (len - 1) * s + 1 + lead + trail;
        if u <= full[i] as i64 || u > 1 << 28 {
            return Err(node.ctx.shape(format!(
                "pads {}, {} leave no output on spatial axis {i}",
                pads[i],
                pads[i + n]
            )));
        }
        let src = |o: i64| {
            let q = o - lead;
            (q >= 0 && q % s == 0 && q / s < len).then_some((q / s) as usize)
        };
        let idx = (0..u).map(|o| src(o).unwrap_or(0)).collect();
        y = take(ctx, node, y, i + 2, idx, &format!("spread{i}"))?;
        inside.push((0..u).map(|o| src(o).is_some()).collect());
        shape[i + 2] = u as usize;
    }
    if inside.iter().any(|v| v.iter().any(|&b| !b)) {
        numel(&shape).ok_or_else(|| node.ctx.shape("spread input too large"))?;
        let mask = inside_mask(&shape, &inside).iter().map(|&m| f64::from(u8::from(m))).collect();
        let ones =
            ConstTensor { shape: shape.clone(), data: mask, dtype: DType::Float, name: None };
        y = emit_tmp(ctx, node, "zeros", shape.clone(), IrOp::Mul, vec![y, Arg::Const(ones)]);
    }
    // Kernel [C, M/g, K..] -> [M, C/g, K..], flipped on every spatial axis.
    let ksize: usize = kernel.iter().product();
    let mut wc = vec![0.0; w.data.len()];
    let kpos = positions(&kernel);
    for gi in 0..g {
        for o in 0..cout_g {
            for c in 0..cin_g {
                for (k, pos) in kpos.iter().enumerate() {
                    let flipped =
                        pos.iter().zip(&kernel).fold(0, |acc, (&p, &kk)| acc * kk + (kk - 1 - p));
                    let src = ((gi * cin_g + c) * cout_g + o) * ksize + flipped;
                    wc[((gi * cout_g + o) * cin_g + c) * ksize + k] = w.data[src];
                }
            }
        }
    }
    let mut wshape = vec![cout, cin_g];
    wshape.extend(&kernel);
    let wconv = ConstTensor { shape: wshape, data: wc, dtype: DType::Float, name: None };
    let params = ConvParams { strides: vec![1; n], pads: vec![0; 2 * n], dilations, group: g };
    let mut out = vec![xs[0], cout];
    out.extend((0..n).map(|i| shape[i + 2] - full[i]));
    Ok(vec![emit(ctx, node, out, IrOp::Conv { params, bias }, vec![y, Arg::Const(wconv)])])
}
