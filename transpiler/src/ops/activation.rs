//! Relu, LeakyRelu, Clip and ArgMax.

use super::emit;
use crate::builder::{Ctx, Node};
use crate::consts::norm_axis;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};

fn unary(ctx: &mut Ctx, node: &Node<'_>, op: IrOp) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    Ok(vec![emit(ctx, node, shape, op, vec![x])])
}

/// ONNX `Relu`.
pub fn relu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    unary(ctx, node, IrOp::Relu)
}

/// ONNX `LeakyRelu` (slope quantised to 16 fractional bits).
pub fn leaky_relu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 0.01)?;
    if alpha.abs() > 1024.0 {
        return Err(node.ctx.attr("alpha", format!("{alpha} is too large")));
    }
    unary(ctx, node, IrOp::LeakyRelu(alpha))
}

/// ONNX `Clip` (bounds from attributes before opset 11, from constant inputs after).
pub fn clip(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let bound = |i: usize, what: &str| -> Result<Option<f64>, TranspileError> {
        match node.opt_const(i, what)? {
            None => Ok(None),
            Some(c) if c.data.len() == 1 => Ok(Some(c.data[0])),
            Some(c) => {
                Err(node.ctx.shape(format!("{what} must be a scalar, got shape {:?}", c.shape)))
            }
        }
    };
    let (mut lo, hi) = if node.opset < 11 {
        let lo = node.attrs.float_or("min", f64::NEG_INFINITY);
        let hi = node.attrs.float_or("max", f64::INFINITY);
        // float_or rejects non-finite values; the defaults mean "unbounded".
        (lo.ok().filter(|v| v.is_finite()), hi.ok().filter(|v| v.is_finite()))
    } else {
        (bound(1, "min")?, bound(2, "max")?)
    };
    if let (Some(l), Some(h)) = (lo, hi) {
        if l > h {
            // numpy semantics: every output equals max.
            lo = Some(h);
        }
    }
    unary(ctx, node, IrOp::Clip(lo, hi))
}

/// ONNX `Softmax` and `LogSoftmax`: `exp(x - max)` through a table, divided by its run-time
/// sum (or `x - max - ln(sum)`); an ArgMax of them reads their input instead (the order is the
/// same), so a classifier's label costs no softmax.
pub fn softmax(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let default = if node.opset < 13 { 1 } else { -1 };
    let axis = norm_axis(node.attrs.int_or("axis", default)?, shape.len())
        .map_err(|e| node.ctx.attr("axis", e))?;
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let log = node.ctx.op_type == "LogSoftmax";
    // Before opset 13 the op normalises over all axes from `axis` on (flattened): order is
    // preserved along `axis` only when it is the last one.
    if node.opset < 13 && axis + 1 != shape.len() {
        let outer: usize = shape[..axis].iter().product();
        let flat = super::movement::reshape(
            ctx,
            node,
            x,
            vec![outer, shape[axis..].iter().product()],
            "flat",
        );
        let y = super::composite::softmax_value(ctx, node, flat, 1, log)?;
        return Ok(vec![super::movement::reshape(ctx, node, y, shape, "value")]);
    }
    let y = super::composite::softmax_value(ctx, node, x.clone(), axis, log)?;
    let op = IrOp::Monotone { axis, what: node.ctx.op_type.clone() };
    Ok(vec![emit(ctx, node, shape, op, vec![x, y])])
}

/// ONNX `ArgMax`.
pub fn argmax(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let mut x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let axis = norm_axis(node.attrs.int_or("axis", 0)?, shape.len())
        .map_err(|e| node.ctx.attr("axis", e))?;
    let keepdims = node.attrs.flag("keepdims", true)?;
    let last = node.attrs.flag("select_last_index", false)?;
    if shape[axis] == 0 {
        return Err(node.ctx.shape("empty axis"));
    }
    // argmax(f(x)) = argmax(x) for an order-preserving f along this axis.
    if let Arg::Dyn(v) = x {
        if let crate::graph::Def::Node { op: IrOp::Monotone { axis: a, .. }, args, .. } =
            &ctx.graph.values[v].def
        {
            if *a == axis {
                x = args[0].clone();
            }
        }
    }
    let mut out = shape.clone();
    if keepdims {
        out[axis] = 1;
    } else {
        out.remove(axis);
    }
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    Ok(vec![emit(ctx, node, out, IrOp::ArgMax(axis, keepdims, last), vec![x])])
}
