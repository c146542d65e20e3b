//! Ops spelled out in ops the prover already checks, so they prove with no new constraint:
//! `Neg` (`0 - x`), `Abs` (`relu(x) + relu(-x)`), `Max` / `Min` (`b + relu(a - b)`,
//! `a - relu(a - b)`), `Mean` (a sum times `1/n`), `PRelu` (`relu(x) - slope relu(-x)`), the
//! linear reductions `ReduceSum`, `ReduceMean` and `ReduceL1` (a `MatMul` by a constant column),
//! `ReduceMax` / `ReduceMin` (a tree of pairwise maxima) and `ArgMin` (`ArgMax` of `-x`).
//! Constant operands fold at compile time.

use runtime::shape::{broadcast, numel};

use super::emit_tmp;
use crate::builder::{Ctx, Node};
use crate::consts::{self, norm_axis};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp, Step};
use crate::onnx::{ConstTensor, DType};
use crate::tables::Func;

/// A scalar constant.
pub(crate) fn scalar(v: f64) -> Arg {
    Arg::Const(ConstTensor::scalar(v, DType::Float))
}

/// `op(a, b)` for an element-wise binary op (`f` on constants), broadcasting.
pub(crate) fn binary(
    ctx: &mut Ctx,
    node: &Node<'_>,
    op: IrOp,
    f: fn(f64, f64) -> f64,
    a: Arg,
    b: Arg,
    suffix: &str,
) -> Result<Arg, TranspileError> {
    if let (Arg::Const(x), Arg::Const(y)) = (&a, &b) {
        return Ok(Arg::Const(consts::binary(x, y, f).map_err(|e| node.ctx.shape(e))?));
    }
    let (sa, sb) = (ctx.graph.shape(&a).to_vec(), ctx.graph.shape(&b).to_vec());
    let shape = broadcast(&sa, &sb)
        .ok_or_else(|| node.ctx.shape(format!("shapes {sa:?} and {sb:?} do not broadcast")))?;
    Ok(emit_tmp(ctx, node, suffix, shape, op, vec![a, b]))
}

fn sub(ctx: &mut Ctx, node: &Node<'_>, a: Arg, b: Arg, s: &str) -> Result<Arg, TranspileError> {
    binary(ctx, node, IrOp::Sub, |p, q| p - q, a, b, s)
}

pub(crate) fn add(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    b: Arg,
    s: &str,
) -> Result<Arg, TranspileError> {
    binary(ctx, node, IrOp::Add, |p, q| p + q, a, b, s)
}

pub(crate) fn mul(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    b: Arg,
    s: &str,
) -> Result<Arg, TranspileError> {
    binary(ctx, node, IrOp::Mul, |p, q| p * q, a, b, s)
}

fn relu(ctx: &mut Ctx, node: &Node<'_>, x: Arg, suffix: &str) -> Arg {
    match x {
        Arg::Const(mut c) => {
            c.data.iter_mut().for_each(|v| *v = v.max(0.0));
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) => {
            let shape = ctx.graph.shape(&d).to_vec();
            emit_tmp(ctx, node, suffix, shape, IrOp::Relu, vec![d])
        }
    }
}

/// `max(a, b) = b + relu(a - b)`.
fn max2(ctx: &mut Ctx, node: &Node<'_>, a: Arg, b: Arg, s: &str) -> Result<Arg, TranspileError> {
    let d = sub(ctx, node, a, b.clone(), &format!("{s}/diff"))?;
    let r = relu(ctx, node, d, &format!("{s}/relu"));
    add(ctx, node, b, r, s)
}

/// `min(a, b) = a - relu(a - b)`.
fn min2(ctx: &mut Ctx, node: &Node<'_>, a: Arg, b: Arg, s: &str) -> Result<Arg, TranspileError> {
    let d = sub(ctx, node, a.clone(), b, &format!("{s}/diff"))?;
    let r = relu(ctx, node, d, &format!("{s}/relu"));
    sub(ctx, node, a, r, s)
}

fn inputs(node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let args: Vec<Arg> =
        (0..node.arity()).map(|i| node.input(i).cloned()).collect::<Result<_, _>>()?;
    if args.is_empty() {
        return Err(node.ctx.shape("no inputs"));
    }
    Ok(args)
}

/// ONNX `Neg`.
pub fn neg(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    Ok(vec![sub(ctx, node, scalar(0.0), x, "neg")?])
}

/// ONNX `Abs`.
pub fn abs(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    Ok(vec![abs_of(ctx, node, x, "abs")?])
}

/// `relu(x)` and `relu(-x)`.
fn parts(ctx: &mut Ctx, node: &Node<'_>, x: Arg, s: &str) -> Result<(Arg, Arg), TranspileError> {
    let n = sub(ctx, node, scalar(0.0), x.clone(), &format!("{s}/neg"))?;
    Ok((relu(ctx, node, x, &format!("{s}/pos")), relu(ctx, node, n, &format!("{s}/negpart"))))
}

/// `|x| = relu(x) + relu(-x)`.
pub(crate) fn abs_of(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    s: &str,
) -> Result<Arg, TranspileError> {
    let (p, q) = parts(ctx, node, x, s)?;
    add(ctx, node, p, q, s)
}

/// The inputs of `node` combined left to right by `f` (each step named `{prefix}{k}`).
fn fold_inputs(
    ctx: &mut Ctx,
    node: &Node<'_>,
    prefix: &str,
    f: fn(&mut Ctx, &Node<'_>, Arg, Arg, &str) -> Result<Arg, TranspileError>,
) -> Result<Arg, TranspileError> {
    let args = inputs(node)?;
    let mut acc = args[0].clone();
    for (k, b) in args.into_iter().enumerate().skip(1) {
        acc = f(ctx, node, acc, b, &format!("{prefix}{k}"))?;
    }
    Ok(acc)
}

/// ONNX `Max` (variadic, broadcasting).
pub fn max(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    Ok(vec![fold_inputs(ctx, node, "max", max2)?])
}

/// ONNX `Min` (variadic, broadcasting).
pub fn min(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    Ok(vec![fold_inputs(ctx, node, "min", min2)?])
}

/// ONNX `Mean` (variadic, broadcasting).
pub fn mean(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let n = node.arity();
    let sum = fold_inputs(ctx, node, "sum", add)?;
    if n == 1 {
        return Ok(vec![sum]);
    }
    Ok(vec![mul(ctx, node, sum, scalar(1.0 / n as f64), "mean")?])
}

/// ONNX `PRelu` (a constant slope, broadcast from the right).
pub fn prelu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let slope = node.const_input(1, "slope")?.clone();
    let (p, q) = parts(ctx, node, x, "prelu")?;
    let scaled = mul(ctx, node, q, Arg::Const(slope), "scaled")?;
    Ok(vec![sub(ctx, node, p, scaled, "prelu")?])
}

/// ONNX `ArgMin`: the `ArgMax` of `-x` (the first or last minimum, as the attributes say).
pub fn argmin(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let axis = norm_axis(node.attrs.int_or("axis", 0)?, shape.len())
        .map_err(|e| node.ctx.attr("axis", e))?;
    let keepdims = node.attrs.flag("keepdims", true)?;
    let last = node.attrs.flag("select_last_index", false)?;
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let n = sub(ctx, node, scalar(0.0), x, "neg")?;
    let mut out = shape;
    if keepdims {
        out[axis] = 1;
    } else {
        out.remove(axis);
    }
    Ok(vec![super::emit(ctx, node, out, IrOp::ArgMax(axis, keepdims, last), vec![n])])
}

/// The kind of a reduction.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Reduce {
    Sum,
    Mean,
    L1,
    SumSquare,
    Max,
    Min,
    Prod,
}

/// Reduced axes (attribute before `input_from`, else input 1), `keepdims` and
/// `noop_with_empty_axes`, as ONNX defines them.
fn reduced_axes(
    node: &Node<'_>,
    rank: usize,
    input_from: i64,
) -> Result<Option<Vec<usize>>, TranspileError> {
    let given = if node.opset < input_from {
        node.attrs.ints("axes")?
    } else {
        match node.opt_const(1, "axes")? {
            Some(c) => Some(c.as_ints().map_err(|e| node.ctx.shape(e))?),
            None => None,
        }
    };
    let noop = node.attrs.flag("noop_with_empty_axes", false)?;
    let axes = match given {
        Some(a) if !a.is_empty() => a,
        _ if noop => return Ok(None),
        _ => (0..rank as i64).collect(),
    };
    let mut out = Vec::new();
    for a in axes {
        let a = norm_axis(a, rank).map_err(|e| node.ctx.attr("axes", e))?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out.sort_unstable();
    Ok(Some(out))
}

fn reduce(
    ctx: &mut Ctx,
    node: &Node<'_>,
    kind: Reduce,
    input_from: i64,
) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let r = ctx.graph.shape(&x).len();
    let Some(axes) = reduced_axes(node, r, input_from)? else {
        return Ok(vec![x]);
    };
    let keepdims = node.attrs.flag("keepdims", true)?;
    Ok(vec![reduce_over(ctx, node, x, &axes, keepdims, kind)?])
}

/// `x` reduced over `axes` (sorted, distinct) by `kind`.
pub(crate) fn reduce_over(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    axes: &[usize],
    keepdims: bool,
    kind: Reduce,
) -> Result<Arg, TranspileError> {
    let shape = ctx.graph.shape(&x).to_vec();
    let r = shape.len();
    let axes = axes.to_vec();
    let kept: Vec<usize> = (0..r).filter(|a| !axes.contains(a)).collect();
    let m: usize = kept.iter().map(|&a| shape[a]).product();
    let n: usize = axes.iter().map(|&a| shape[a]).product();
    let out: Vec<usize> = if keepdims {
        (0..r).map(|a| if axes.contains(&a) { 1 } else { shape[a] }).collect()
    } else {
        kept.iter().map(|&a| shape[a]).collect()
    };
    if n == 0 || numel(&out).is_none() {
        return Err(node.ctx.shape(format!("reduction of {shape:?} over {axes:?}")));
    }
    // Bring the reduced axes last and flatten to [m, n].
    let perm: Vec<usize> = kept.iter().chain(&axes).copied().collect();
    let mut y = x;
    if perm.iter().enumerate().any(|(k, &p)| k != p) {
        y = match y {
            Arg::Const(c) => Arg::Const(consts::transpose(&c, &perm)),
            d @ Arg::Dyn(_) => {
                let moved = perm.iter().map(|&p| shape[p]).collect();
                emit_tmp(ctx, node, "moved", moved, IrOp::Transpose(perm), vec![d])
            }
        };
    }
    let y = super::movement::reshape(ctx, node, y, vec![m, n], "rows");
    let z = match kind {
        Reduce::Sum | Reduce::Mean | Reduce::L1 | Reduce::SumSquare => {
            let y = match kind {
                Reduce::L1 => abs_of(ctx, node, y, "abs")?,
                Reduce::SumSquare => mul(ctx, node, y.clone(), y, "square")?,
                _ => y,
            };
            let w = if kind == Reduce::Mean { 1.0 / n as f64 } else { 1.0 };
            let col = ConstTensor {
                shape: vec![n, 1],
                data: vec![w; n],
                dtype: DType::Float,
                name: None,
            };
            match y {
                Arg::Const(c) => Arg::Const(ConstTensor {
                    shape: vec![m, 1],
                    data: c.data.chunks(n).map(|row| row.iter().sum::<f64>() * w).collect(),
                    dtype: DType::Float,
                    name: None,
                }),
                d @ Arg::Dyn(_) => emit_tmp(
                    ctx,
                    node,
                    "sum",
                    vec![m, 1],
                    IrOp::MatMul { bias: None },
                    vec![d, Arg::Const(col)],
                ),
            }
        }
        Reduce::Max | Reduce::Min | Reduce::Prod => {
            // Pairwise: the first half against the second, an odd last column carried over.
            let mut y = y;
            let mut width = n;
            let mut level = 0;
            while width > 1 {
                let h = width / 2;
                let a = super::movement::take(
                    ctx,
                    node,
                    y.clone(),
                    1,
                    (0..h).collect(),
                    &format!("l{level}a"),
                )?;
                let b = super::movement::take(
                    ctx,
                    node,
                    y.clone(),
                    1,
                    (h..2 * h).collect(),
                    &format!("l{level}b"),
                )?;
                let s = format!("l{level}");
                let mut next = match kind {
                    Reduce::Max => max2(ctx, node, a, b, &s)?,
                    Reduce::Min => min2(ctx, node, a, b, &s)?,
                    _ => mul(ctx, node, a, b, &s)?,
                };
                if width % 2 == 1 {
                    let odd = super::movement::take(
                        ctx,
                        node,
                        y,
                        1,
                        vec![width - 1],
                        &format!("l{level}odd"),
                    )?;
                    let shapes = [ctx.graph.shape(&next), ctx.graph.shape(&odd)];
                    let shape = consts::concat_shape(&shapes, 1).map_err(|e| node.ctx.shape(e))?;
                    next = match (&next, &odd) {
                        (Arg::Const(p), Arg::Const(q)) => {
                            Arg::Const(consts::concat(&[p, q], 1, shape))
                        }
                        _ => emit_tmp(
                            ctx,
                            node,
                            &format!("l{level}carry"),
                            shape,
                            IrOp::Concat(1),
                            vec![next, odd],
                        ),
                    };
                }
                y = next;
                width = h + width % 2;
                level += 1;
            }
            y
        }
    };
    Ok(super::movement::reshape(ctx, node, z, out, "out"))
}

/// `(x - mean) / sqrt(var + eps)` over `axes` (kept as size 1 for broadcasting): the
/// variance from run-time products, the square root exact (rounded down), then a division by
/// the run-time value.
pub(crate) fn normalize(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    axes: &[usize],
    eps: f64,
) -> Result<Normalized, TranspileError> {
    let shape = ctx.graph.shape(&x).to_vec();
    let mean = reduce_over(ctx, node, x.clone(), axes, true, Reduce::Mean)?;
    let d = sub(ctx, node, x, mean.clone(), "centred")?;
    let sq = mul(ctx, node, d.clone(), d.clone(), "square")?;
    let var = reduce_over(ctx, node, sq, axes, true, Reduce::Mean)?;
    let vshape = ctx.graph.shape(&var).to_vec();
    let sigma = emit_tmp(ctx, node, "sigma", vshape, IrOp::Sqrt(eps), vec![var]);
    let y = emit_tmp(ctx, node, "normed", shape, IrOp::Div, vec![d, sigma.clone()]);
    Ok(Normalized { y, mean, sigma })
}

/// A normalisation's `epsilon` attribute (default `1e-5`), in `[0, 1]`.
pub(crate) fn epsilon(node: &Node<'_>) -> Result<f64, TranspileError> {
    let eps = node.attrs.float_or("epsilon", 1e-5)?;
    if !(0.0..=1.0).contains(&eps) {
        return Err(node.ctx.attr("epsilon", format!("{eps} outside [0, 1]")));
    }
    Ok(eps)
}

/// A normalisation's value, mean and standard deviation (kept axes of size 1).
pub(crate) struct Normalized {
    pub(crate) y: Arg,
    mean: Arg,
    sigma: Arg,
}

/// ONNX `LayerNormalization` (opset 17): normalised over the axes from `axis` on, then
/// `* Scale + B`; the optional outputs `Mean` and `InvStdDev` (`1 / sigma`, a division of a
/// constant by the run-time value).
pub fn layer_norm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let r = ctx.graph.shape(&x).len();
    let axis =
        norm_axis(node.attrs.int_or("axis", -1)?, r).map_err(|e| node.ctx.attr("axis", e))?;
    let eps = epsilon(node)?;
    let axes: Vec<usize> = (axis..r).collect();
    let Normalized { y, mean, sigma } = normalize(ctx, node, x, &axes, eps)?;
    let sshape = ctx.graph.shape(&sigma).to_vec();
    let inv = emit_tmp(ctx, node, "inv_std", sshape, IrOp::Div, vec![scalar(1.0), sigma]);
    // Scale and B are usually constants; run-time ones are products and sums like any other.
    let scale = node.input(1)?.clone();
    let y = mul(ctx, node, y, scale, "scaled")?;
    let y = match node.opt_input(2) {
        Some(b) => add(ctx, node, y, b.clone(), "shifted")?,
        None => y,
    };
    Ok(vec![y, mean, inv])
}

/// ONNX `InstanceNormalization`: normalised over the spatial axes, then `* scale + B` per
/// channel.
pub fn instance_norm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    let r = shape.len();
    if r < 3 {
        return Err(node.ctx.shape(format!("input of rank {r} (expects [N, C, D..])")));
    }
    let eps = epsilon(node)?;
    let axes: Vec<usize> = (2..r).collect();
    let y = normalize(ctx, node, x, &axes, eps)?.y;
    let mut per_channel = vec![shape[1]];
    per_channel.extend(std::iter::repeat_n(1, r - 2));
    let param = |i: usize, what: &str| -> Result<Arg, TranspileError> {
        let mut c = node.const_input(i, what)?.clone();
        if c.data.len() != shape[1] {
            return Err(node.ctx.shape(format!(
                "{what} of {} values for {} channels",
                c.data.len(),
                shape[1]
            )));
        }
        c.shape = per_channel.clone();
        Ok(Arg::Const(c))
    };
    let (s, b) = (param(1, "scale")?, param(2, "B")?);
    let y = mul(ctx, node, y, s, "scaled")?;
    Ok(vec![add(ctx, node, y, b, "shifted")?])
}

/// `softmax(x)` (or `log_softmax`) along `axis`: `e = exp(x - max)` through the table of
/// `exp` on `[-12, 0]`, then `e / sum(e)` by a division by the run-time sum (at least 1.0:
/// the maximum's own term), or `x - max - ln(sum(e))` through a table of `ln` on `[1, n]`.
pub(crate) fn softmax_value(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    axis: usize,
    log: bool,
) -> Result<Arg, TranspileError> {
    let shape = ctx.graph.shape(&x).to_vec();
    let n = shape[axis];
    let m = reduce_over(ctx, node, x.clone(), &[axis], true, Reduce::Max)?;
    let d = sub(ctx, node, x, m, "shifted")?;
    let e = emit_tmp(
        ctx,
        node,
        "exp",
        shape.clone(),
        IrOp::Table(Func::ExpNonPositive),
        vec![d.clone()],
    );
    let s = reduce_over(ctx, node, e.clone(), &[axis], true, Reduce::Sum)?;
    if log {
        let sshape = ctx.graph.shape(&s).to_vec();
        let ln = emit_tmp(ctx, node, "ln", sshape, IrOp::Table(Func::Ln(n as f64)), vec![s]);
        return sub(ctx, node, d, ln, "log");
    }
    Ok(emit_tmp(ctx, node, "div", shape, IrOp::Div, vec![e, s]))
}

/// ONNX `ReduceLogSumExp` (axes as an input from opset 18): `m + ln(sum exp(x - m))` with `m`
/// the maximum over the axes, the exponentials through the table of `exp` on `[-12, 0]` and
/// the log through the table of `ln` on `[1, n]` (the sum is at least the maximum's own 1.0
/// and at most the `n` terms). Naive Bayes exports normalise their log-likelihoods with it.
pub fn reduce_log_sum_exp(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    let Some(axes) = reduced_axes(node, shape.len(), 18)? else {
        return Ok(vec![x]);
    };
    let keepdims = node.attrs.flag("keepdims", true)?;
    let n: usize = axes.iter().map(|&a| shape[a]).product();
    let m = reduce_over(ctx, node, x.clone(), &axes, true, Reduce::Max)?;
    let d = sub(ctx, node, x, m.clone(), "shifted")?;
    let e = emit_tmp(ctx, node, "exp", shape, IrOp::Table(Func::ExpNonPositive), vec![d]);
    let s = reduce_over(ctx, node, e, &axes, true, Reduce::Sum)?;
    let sshape = ctx.graph.shape(&s).to_vec();
    let ln = emit_tmp(ctx, node, "ln", sshape, IrOp::Table(Func::Ln(n.max(1) as f64)), vec![s]);
    let lse = add(ctx, node, m, ln, "lse")?;
    if keepdims {
        return Ok(vec![lse]);
    }
    let out: Vec<usize> = ctx
        .graph
        .shape(&lse)
        .iter()
        .enumerate()
        .filter(|(a, _)| !axes.contains(a))
        .map(|(_, &d)| d)
        .collect();
    Ok(vec![super::movement::reshape(ctx, node, lse, out, "squeezed")])
}

/// ONNX `ReduceSum` (axes as an input from opset 13).
pub fn reduce_sum(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::Sum, 13)
}

/// ONNX `ReduceMean` (axes as an input from opset 18).
pub fn reduce_mean(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::Mean, 18)
}

/// ONNX `ReduceL1` (axes as an input from opset 18).
pub fn reduce_l1(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::L1, 18)
}

/// `sqrt(x)` of a non-negative value, rounded down (constants fold).
fn sqrt_of(ctx: &mut Ctx, node: &Node<'_>, x: Arg, s: &str) -> Arg {
    match x {
        Arg::Const(mut c) => {
            c.data.iter_mut().for_each(|v| *v = v.sqrt());
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) => {
            let shape = ctx.graph.shape(&d).to_vec();
            emit_tmp(ctx, node, s, shape, IrOp::Sqrt(0.0), vec![d])
        }
    }
}

/// ONNX `ReduceL2` (axes as an input from opset 18): the sum of squares, then its exact
/// square root (rounded down).
pub fn reduce_l2(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let r = ctx.graph.shape(&x).len();
    let Some(axes) = reduced_axes(node, r, 18)? else {
        // No axes and `noop_with_empty_axes`: the element-wise |x|.
        return Ok(vec![abs_of(ctx, node, x, "abs")?]);
    };
    let keepdims = node.attrs.flag("keepdims", true)?;
    let sq = reduce_over(ctx, node, x, &axes, keepdims, Reduce::SumSquare)?;
    Ok(vec![sqrt_of(ctx, node, sq, "l2")])
}

/// ONNX `ReduceSumSquare` (axes as an input from opset 18): products of run-time values,
/// then a sum.
pub fn reduce_sum_square(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::SumSquare, 18)
}

/// ONNX `ReduceProd` (axes as an input from opset 18): a tree of pairwise products, each
/// rounded to the activation scale.
pub fn reduce_prod(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::Prod, 18)
}

/// ONNX `Pow` with a constant exponent that is the same small integer (0 to 8) everywhere:
/// repeated products of run-time values by squaring.
pub fn pow(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let e = node.const_input(1, "exponent")?.clone();
    let k = e.data.first().copied().unwrap_or(f64::NAN);
    if e.data.iter().any(|&v| v != k) || !(0.0..=8.0).contains(&k) || k.fract() != 0.0 {
        return Err(node.ctx.unsupported(
            "only a constant exponent that is one integer from 0 to 8 everywhere (a product chain)",
        ));
    }
    let shape = broadcast(ctx.graph.shape(&x), &e.shape).ok_or_else(|| {
        node.ctx.shape(format!(
            "shapes {:?} and {:?} do not broadcast",
            ctx.graph.shape(&x),
            e.shape
        ))
    })?;
    if let Arg::Const(c) = &x {
        let mut c = c.clone();
        c.data.iter_mut().for_each(|v| *v = v.powi(k as i32));
        return Ok(vec![Arg::Const(c)]);
    }
    // Square-and-multiply over the bits of k.
    let mut k = k as u32;
    let mut acc: Option<Arg> = None;
    let mut base = x;
    let mut bit = 0;
    while k > 0 {
        if k & 1 == 1 {
            acc = Some(match acc {
                None => base.clone(),
                Some(a) => mul(ctx, node, a, base.clone(), &format!("p{bit}"))?,
            });
        }
        k >>= 1;
        if k > 0 {
            base = mul(ctx, node, base.clone(), base, &format!("sq{bit}"))?;
        }
        bit += 1;
    }
    let y = match acc {
        Some(a) => a,
        // x^0 = 1 everywhere.
        None => Arg::Const(ConstTensor {
            shape: shape.clone(),
            data: vec![1.0; shape.iter().product()],
            dtype: DType::Float,
            name: None,
        }),
    };
    // The exponent may broadcast the result to a larger shape.
    let ys = ctx.graph.shape(&y).to_vec();
    if ys == shape {
        return Ok(vec![y]);
    }
    let zero = Arg::Const(ConstTensor {
        shape: shape.clone(),
        data: vec![0.0; shape.iter().product()],
        dtype: DType::Float,
        name: None,
    });
    Ok(vec![add(ctx, node, y, zero, "expand")?])
}

fn step(ctx: &mut Ctx, node: &Node<'_>, step: Step) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let f: fn(f64) -> f64 = match step {
        Step::Floor => f64::floor,
        Step::Ceil => f64::ceil,
        Step::Sign => |v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
    };
    if let Arg::Const(mut c) = x {
        c.data.iter_mut().for_each(|v| *v = f(*v));
        return Ok(vec![Arg::Const(c)]);
    }
    let shape = ctx.graph.shape(&x).to_vec();
    Ok(vec![super::emit(ctx, node, shape, IrOp::Step(step), vec![x])])
}

/// ONNX `Sqrt`: exact on the fixed-point value, rounded down (a negative input, NaN in
/// floats, is a run-time error).
pub fn sqrt(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(mut c) = x {
        c.data.iter_mut().for_each(|v| *v = v.sqrt());
        return Ok(vec![Arg::Const(c)]);
    }
    let shape = ctx.graph.shape(&x).to_vec();
    Ok(vec![super::emit(ctx, node, shape, IrOp::Sqrt(0.0), vec![x])])
}

/// ONNX `Floor` (exact on the fixed-point value).
pub fn floor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    step(ctx, node, Step::Floor)
}

/// ONNX `Ceil` (exact on the fixed-point value).
pub fn ceil(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    step(ctx, node, Step::Ceil)
}

/// ONNX `Sign` (exact on the fixed-point value: 0 only for an exact 0).
pub fn sign(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    step(ctx, node, Step::Sign)
}

/// ONNX `ReduceMax` (axes as an input from opset 18).
pub fn reduce_max(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::Max, 18)
}

/// ONNX `ReduceMin` (axes as an input from opset 18).
pub fn reduce_min(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    reduce(ctx, node, Reduce::Min, 18)
}

/// ONNX `HardSigmoid`: `clip(alpha x + beta, 0, 1)`.
pub fn hard_sigmoid(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let alpha = node.attrs.float_or("alpha", 0.2)?;
    let beta = node.attrs.float_or("beta", 0.5)?;
    let y = mul(ctx, node, x, scalar(alpha), "alpha")?;
    let y = add(ctx, node, y, scalar(beta), "beta")?;
    Ok(vec![match y {
        Arg::Const(mut c) => {
            c.data.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) => {
            let shape = ctx.graph.shape(&d).to_vec();
            super::emit(ctx, node, shape, IrOp::Clip(Some(0.0), Some(1.0)), vec![d])
        }
    }])
}

/// ONNX `Trilu`: the lower or upper triangle (diagonal offset `k`, a constant input) of the
/// last two axes, as a product by a constant 0/1 mask.
pub fn trilu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let k = match node.opt_const(1, "k")? {
        Some(c) => c.as_ints().map_err(|e| node.ctx.shape(e))?.first().copied().unwrap_or(0),
        None => 0,
    };
    let upper = node.attrs.int_or("upper", 1)? != 0;
    let r = shape.len();
    if r < 2 {
        return Err(node.ctx.shape(format!("input of rank {r}: Trilu needs two axes")));
    }
    let (rows, cols) = (shape[r - 2], shape[r - 1]);
    let count = numel(&shape).ok_or_else(|| node.ctx.shape("input too large"))?;
    let keep = |i: i64, j: i64| if upper { j - i >= k } else { j - i <= k };
    let mask: Vec<f64> = (0..count)
        .map(|f| {
            let (i, j) = ((f / cols.max(1)) % rows.max(1), f % cols.max(1));
            f64::from(u8::from(keep(i as i64, j as i64)))
        })
        .collect();
    let m = ConstTensor { shape, data: mask, dtype: DType::Float, name: None };
    Ok(vec![mul(ctx, node, x, Arg::Const(m), "trilu")?])
}

/// ONNX `CumSum` along a constant axis (`exclusive`, `reverse`): a `MatMul` by a constant
/// triangular matrix along that axis.
pub fn cumsum(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let axis = node.const_input(1, "axis")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    let axis = norm_axis(axis.first().copied().unwrap_or(0), shape.len())
        .map_err(|e| node.ctx.attr("axis", e))?;
    let exclusive = node.attrs.int_or("exclusive", 0)? != 0;
    let reverse = node.attrs.int_or("reverse", 0)? != 0;
    let d = shape[axis];
    if d > 4096 {
        return Err(node.ctx.unsupported(format!("a cumulative sum over {d} elements")));
    }
    let lines: Vec<super::resize::Line> = (0..d)
        .map(|o| {
            let take = |i: usize| match (reverse, exclusive) {
                (false, false) => i <= o,
                (false, true) => i < o,
                (true, false) => i >= o,
                (true, true) => i > o,
            };
            Some((0..d).filter(|&i| take(i)).map(|i| (i, 1.0)).collect())
        })
        .collect();
    Ok(vec![super::resize::along(ctx, node, x, axis, d, &lines)?])
}
