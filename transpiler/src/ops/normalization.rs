//! `GroupNormalization` and `MeanVarianceNormalization`, through the shared normalisation of
//! [`super::composite::normalize`] (mean, variance from run-time products, an exact square
//! root and a division by the run-time value), and `LpNormalization`.

use super::composite::{add, epsilon, mul, normalize, reduce_over, Reduce};
use super::movement::reshape;
use crate::builder::{Ctx, Node};
use crate::consts::norm_axis;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};

/// ONNX `GroupNormalization` (opsets 18 and 21): the channels split into `num_groups`
/// groups, each normalised over its channels and the spatial axes, then `* scale + bias` per
/// channel. `scale` and `bias` are constants with one value per channel (opset 21) or per
/// group (opset 18, repeated over the group's channels).
pub fn group_norm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    if shape.len() < 3 {
        return Err(node.ctx.shape(format!("input of rank {} (expects [N, C, D..])", shape.len())));
    }
    let (n, c) = (shape[0], shape[1]);
    let g = node.attrs.int("num_groups")?.ok_or_else(|| node.ctx.attr("num_groups", "required"))?;
    let g = usize::try_from(g)
        .ok()
        .filter(|&g| g > 0 && c % g == 0)
        .ok_or_else(|| node.ctx.attr("num_groups", format!("{g} does not divide {c} channels")))?;
    let eps = epsilon(node)?;
    let rest: usize = shape[1..].iter().product();
    let grouped = reshape(ctx, node, x, vec![n, g, rest / g], "groups");
    let y = normalize(ctx, node, grouped, &[2], eps)?.y;
    let y = reshape(ctx, node, y, shape.clone(), "ungrouped");
    let mut per_channel = vec![c];
    per_channel.extend(std::iter::repeat_n(1, shape.len() - 2));
    let param = |i: usize, what: &str| -> Result<Arg, TranspileError> {
        let mut t = node.const_input(i, what)?.clone();
        t.data = match t.data.len() {
            l if l == c => t.data,
            l if l == g => t.data.iter().flat_map(|&v| std::iter::repeat_n(v, c / g)).collect(),
            l => {
                return Err(node
                    .ctx
                    .shape(format!("{what} of {l} values for {c} channels in {g} groups")))
            }
        };
        t.shape = per_channel.clone();
        Ok(Arg::Const(t))
    };
    let (s, b) = (param(1, "scale")?, param(2, "bias")?);
    let y = mul(ctx, node, y, s, "scaled")?;
    Ok(vec![add(ctx, node, y, b, "shifted")?])
}

/// ONNX `MeanVarianceNormalization`: `(x - mean) / sqrt(var)` over `axes` (default
/// `[0, 2, 3]`); the square root is taken as at least one unit of the activation scale (the
/// expanded form adds `1e-9`), so a constant slice gives 0, not a division by zero.
pub fn mean_variance(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let r = ctx.graph.shape(&x).len();
    let axes = node.attrs.ints("axes")?.unwrap_or_else(|| vec![0, 2, 3]);
    let mut ax = Vec::with_capacity(axes.len());
    for a in axes {
        let a = norm_axis(a, r).map_err(|e| node.ctx.attr("axes", e))?;
        if ax.contains(&a) {
            return Err(node.ctx.attr("axes", format!("axis {a} repeated")));
        }
        ax.push(a);
    }
    ax.sort_unstable();
    Ok(vec![normalize(ctx, node, x, &ax, 1e-9)?.y])
}

/// ONNX `LpNormalization`: `x / ||x||_p` along `axis` (default -1) for `p` 1 or 2 (default
/// 2): the norm (for `p = 2` the root of the sum of squares plus one unit of the scale, so a
/// zero vector gives 0 as the ONNX reference does), then a division by the run-time value
/// (for `p = 1` a zero vector is a run-time error naming the node).
pub fn lp_norm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    let axis = norm_axis(node.attrs.int_or("axis", -1)?, shape.len())
        .map_err(|e| node.ctx.attr("axis", e))?;
    let norm = match node.attrs.int_or("p", 2)? {
        1 => reduce_over(ctx, node, x.clone(), &[axis], true, Reduce::L1)?,
        2 => {
            // At least one unit under the root (`IrOp::Sqrt`'s positive epsilon), so that a
            // zero vector gives 0 as the ONNX reference does (norm 0 read as 1).
            let sq = reduce_over(ctx, node, x.clone(), &[axis], true, Reduce::SumSquare)?;
            let sshape = ctx.graph.shape(&sq).to_vec();
            super::emit_tmp(ctx, node, "l2", sshape, IrOp::Sqrt(f64::MIN_POSITIVE), vec![sq])
        }
        p => return Err(node.ctx.attr("p", format!("{p} is not 1 or 2"))),
    };
    Ok(vec![super::emit(ctx, node, shape, IrOp::Div, vec![x, norm])])
}
