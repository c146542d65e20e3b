//! Conv, pooling and batch normalisation.

use runtime::op::{conv_shape, pool_shape};
use runtime::{ConvParams, PoolParams};

use super::{emit, emit_tmp};
use crate::builder::{Ctx, Node};
use crate::error::TranspileError;
use crate::graph::{Arg, Def, IrOp};
use crate::onnx::{ConstTensor, DType};

/// Reads a per-spatial-axis INTS attribute (default `default` on every axis).
pub(crate) fn axes_attr(
    node: &Node<'_>,
    name: &str,
    n: usize,
    default: usize,
    min: i64,
) -> Result<Vec<usize>, TranspileError> {
    match node.attrs.ints(name)? {
        None => Ok(vec![default; n]),
        Some(v) if v.len() == n && v.iter().all(|&x| x >= min && x <= 1 << 16) => {
            Ok(v.iter().map(|&x| x as usize).collect())
        }
        Some(v) => Err(node.ctx.attr(name, format!("{v:?} is not {n} values >= {min}"))),
    }
}

/// Resolves `pads` / `auto_pad` for windows of `kernel` over `dims`.
fn pads(
    node: &Node<'_>,
    dims: &[usize],
    kernel: &[usize],
    strides: &[usize],
    dilations: &[usize],
    pool: bool,
) -> Result<Vec<usize>, TranspileError> {
    let n = dims.len();
    let auto = node.attrs.string("auto_pad")?.unwrap_or_else(|| "NOTSET".into());
    match auto.as_str() {
        "NOTSET" => axes_attr(node, "pads", 2 * n, 0, 0),
        "VALID" => Ok(vec![0; 2 * n]),
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut p = vec![0; 2 * n];
            for i in 0..n {
                let out = dims[i].div_ceil(strides[i]);
                let span = kernel[i].saturating_sub(1) * dilations[i] + 1;
                let total = (out.saturating_sub(1) * strides[i] + span).saturating_sub(dims[i]);
                let small = total / 2;
                let (b, e) = if auto == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
                p[i] = b;
                p[i + n] = e;
            }
            let _ = pool;
            Ok(p)
        }
        other => Err(node.ctx.attr("auto_pad", format!("unknown value '{other}'"))),
    }
}

pub(crate) fn dyn_input(node: &Node<'_>, i: usize) -> Result<Arg, TranspileError> {
    match node.input(i)? {
        a @ Arg::Dyn(_) => Ok(a.clone()),
        Arg::Const(_) => {
            Err(node.ctx.unsupported(format!("input #{i} is a constant; fold it before export")))
        }
    }
}

/// The optional `kernel_shape` attribute must match the weights' spatial sizes.
pub(crate) fn check_kernel_shape(node: &Node<'_>, kernel: &[usize]) -> Result<(), TranspileError> {
    if let Some(k) = node.attrs.ints("kernel_shape")? {
        if k.iter().map(|&v| v as usize).ne(kernel.iter().copied()) {
            return Err(node
                .ctx
                .attr("kernel_shape", format!("{k:?} differs from the weights' {kernel:?}")));
        }
    }
    Ok(())
}

/// ONNX `Conv` with constant weights.
pub fn conv(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = dyn_input(node, 0)?;
    let w = node.const_input(1, "weights")?.clone();
    let bias = node.opt_const(2, "bias")?.cloned();
    let xs = ctx.graph.shape(&x).to_vec();
    if xs.len() < 3 || w.shape.len() != xs.len() {
        return Err(node
            .ctx
            .shape(format!("X {xs:?} and W {:?} must be [N,C,D..] and [M,C/g,K..]", w.shape)));
    }
    let n = xs.len() - 2;
    let kernel = w.shape[2..].to_vec();
    if kernel.contains(&0) {
        return Err(node.ctx.shape(format!("W {:?} has an empty kernel axis", w.shape)));
    }
    check_kernel_shape(node, &kernel)?;
    let strides = axes_attr(node, "strides", n, 1, 1)?;
    let dilations = axes_attr(node, "dilations", n, 1, 1)?;
    let group = node.attrs.int_or("group", 1)?;
    if !(1..=1 << 20).contains(&group) {
        return Err(node.ctx.attr("group", format!("{group} is not >= 1")));
    }
    let pads = pads(node, &xs[2..], &kernel, &strides, &dilations, false)?;
    let params = ConvParams { strides, pads, dilations, group: group as usize };
    let shape = conv_shape(&params, &xs, &w.shape).map_err(|e| node.ctx.shape(e))?;
    if let Some(b) = &bias {
        if b.shape != [w.shape[0]] {
            return Err(node.ctx.shape(format!("bias {:?} is not [{}]", b.shape, w.shape[0])));
        }
    }
    Ok(vec![emit(ctx, node, shape, IrOp::Conv { params, bias }, vec![x, Arg::Const(w)])])
}

fn pool(ctx: &mut Ctx, node: &Node<'_>, avg: bool) -> Result<Vec<Arg>, TranspileError> {
    let x = dyn_input(node, 0)?;
    let xs = ctx.graph.shape(&x).to_vec();
    if xs.len() < 3 {
        return Err(node.ctx.shape(format!("X {xs:?} must be [N,C,D..]")));
    }
    let n = xs.len() - 2;
    let kernel = match node.attrs.ints("kernel_shape")? {
        Some(k) if k.len() == n && k.iter().all(|&v| (1..=1 << 16).contains(&v)) => {
            k.iter().map(|&v| v as usize).collect::<Vec<_>>()
        }
        Some(k) => {
            return Err(node.ctx.attr("kernel_shape", format!("{k:?} is not {n} positive sizes")))
        }
        None => return Err(node.ctx.attr("kernel_shape", "required")),
    };
    let strides = axes_attr(node, "strides", n, 1, 1)?;
    let dilations = axes_attr(node, "dilations", n, 1, 1)?;
    let pads = pads(node, &xs[2..], &kernel, &strides, &dilations, true)?;
    let ceil_mode = node.attrs.flag("ceil_mode", false)?;
    let p = PoolParams { kernel, strides, pads, dilations, ceil_mode };
    let shape = pool_shape(&p, &xs).map_err(|e| node.ctx.shape(e))?;
    let op = if avg {
        IrOp::AvgPool(p, node.attrs.flag("count_include_pad", false)?)
    } else {
        if node.attrs.int_or("storage_order", 0)? != 0 && node.outputs.len() > 1 {
            return Err(node.ctx.unsupported("storage_order=1 with an Indices output"));
        }
        IrOp::MaxPool(p)
    };
    Ok(vec![emit(ctx, node, shape, op, vec![x])])
}

/// ONNX `MaxPool` (the optional Indices output is not supported).
pub fn max_pool(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    pool(ctx, node, false)
}

/// ONNX `AveragePool`.
pub fn avg_pool(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    pool(ctx, node, true)
}

fn global(ctx: &mut Ctx, node: &Node<'_>, avg: bool) -> Result<Vec<Arg>, TranspileError> {
    let x = dyn_input(node, 0)?;
    let xs = ctx.graph.shape(&x).to_vec();
    if xs.len() < 3 {
        return Err(node.ctx.shape(format!("X {xs:?} must be [N,C,D..]")));
    }
    let n = xs.len() - 2;
    let p = PoolParams {
        kernel: xs[2..].to_vec(),
        strides: vec![1; n],
        pads: vec![0; 2 * n],
        dilations: vec![1; n],
        ceil_mode: false,
    };
    let shape = pool_shape(&p, &xs).map_err(|e| node.ctx.shape(e))?;
    let op = if avg { IrOp::AvgPool(p, false) } else { IrOp::MaxPool(p) };
    Ok(vec![emit(ctx, node, shape, op, vec![x])])
}

/// ONNX `GlobalAveragePool`.
pub fn global_avg_pool(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    global(ctx, node, true)
}

/// ONNX `GlobalMaxPool`.
pub fn global_max_pool(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    global(ctx, node, false)
}

/// ONNX `BatchNormalization` (inference): folded into the producing Conv or Gemm/MatMul when
/// that value has no other reader, otherwise a per-channel multiply and add.
pub fn batch_norm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    if node.attrs.flag("training_mode", false)? {
        return Err(node.ctx.unsupported("training_mode=1"));
    }
    if node.opset < 9 && node.attrs.int_or("spatial", 1)? != 1 {
        return Err(node.ctx.unsupported("spatial=0"));
    }
    let eps = node.attrs.float_or("epsilon", 1e-5)?;
    let x = dyn_input(node, 0)?;
    let xs = ctx.graph.shape(&x).to_vec();
    if xs.len() < 2 {
        return Err(node.ctx.shape(format!("X {xs:?} has no channel axis")));
    }
    let c = xs[1];
    let mut params = Vec::new();
    for (i, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
        let t = node.const_input(i, what)?;
        if t.data.len() != c {
            return Err(node
                .ctx
                .shape(format!("{what} has {} values for {c} channels", t.data.len())));
        }
        params.push(t.data.clone());
    }
    let a: Vec<f64> = (0..c).map(|k| params[0][k] / (params[3][k] + eps).sqrt()).collect();
    let b: Vec<f64> = (0..c).map(|k| params[1][k] - params[2][k] * a[k]).collect();
    if a.iter().chain(&b).any(|v| !v.is_finite()) {
        return Err(node.ctx.shape("the folded scale is not finite (negative variance?)"));
    }
    if let Arg::Dyn(v) = x {
        if ctx.foldable(&node.input_names[0], v) && fold_into_producer(ctx, v, &a, &b) {
            ctx.graph.values[v].name = node.out_name(0);
            return Ok(vec![Arg::Dyn(v)]);
        }
    }
    let mut cshape = vec![c];
    cshape.extend(std::iter::repeat_n(1, xs.len() - 2));
    let ka =
        Arg::Const(ConstTensor { shape: cshape.clone(), data: a, dtype: DType::Float, name: None });
    let kb = Arg::Const(ConstTensor { shape: cshape, data: b, dtype: DType::Float, name: None });
    let scaled = emit_tmp(ctx, node, "scale", xs.clone(), IrOp::Mul, vec![x, ka]);
    Ok(vec![emit(ctx, node, xs, IrOp::Add, vec![scaled, kb])])
}

/// Multiplies output channel `k` of a Conv, or column `k` of a 2-D MatMul by a constant, by
/// `a[k]` and adds `b[k]`. Returns false when `v` is not such a producer.
fn fold_into_producer(ctx: &mut Ctx, v: usize, a: &[f64], b: &[f64]) -> bool {
    let shape = ctx.graph.values[v].shape.clone();
    let Def::Node { op, args, .. } = &mut ctx.graph.values[v].def else {
        return false;
    };
    match (op, args.as_mut_slice()) {
        (IrOp::Conv { bias, .. }, [_, Arg::Const(w)]) => {
            let per = (w.data.len() / a.len().max(1)).max(1);
            for (k, chunk) in w.data.chunks_mut(per).enumerate() {
                chunk.iter_mut().for_each(|x| *x *= a[k]);
            }
            let old = bias.take().map_or(vec![0.0; a.len()], |t| t.data);
            let data = (0..a.len()).map(|k| old[k] * a[k] + b[k]).collect();
            *bias =
                Some(ConstTensor { shape: vec![a.len()], data, dtype: DType::Float, name: None });
            true
        }
        (IrOp::MatMul { bias }, [_, Arg::Const(w)])
            if shape.len() == 2 && w.shape.len() == 2 && w.shape[1] == a.len() =>
        {
            let n = a.len().max(1);
            for row in w.data.chunks_mut(n) {
                row.iter_mut().enumerate().for_each(|(k, x)| *x *= a[k]);
            }
            let new = match bias.take() {
                None => ConstTensor {
                    shape: vec![n],
                    data: b.to_vec(),
                    dtype: DType::Float,
                    name: None,
                },
                Some(t) => {
                    // Broadcast the old bias to [M, N] before scaling its columns.
                    let full = crate::consts::binary(
                        &t,
                        &ConstTensor {
                            shape: shape.clone(),
                            data: vec![0.0; shape[0] * n],
                            dtype: DType::Float,
                            name: None,
                        },
                        |p, q| p + q,
                    );
                    let Ok(mut full) = full else { return false };
                    for row in full.data.chunks_mut(n) {
                        row.iter_mut().enumerate().for_each(|(k, x)| *x = *x * a[k] + b[k]);
                    }
                    full
                }
            };
            *bias = Some(new);
            true
        }
        _ => false,
    }
}
