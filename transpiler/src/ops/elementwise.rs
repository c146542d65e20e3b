//! Add, Sub, Mul, Div (by a constant) and Sum.

use runtime::shape::broadcast;

use super::emit;
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, Def, IrOp};

fn binary(
    ctx: &mut Ctx,
    node: &Node<'_>,
    op: IrOp,
    f: fn(f64, f64) -> f64,
) -> Result<Vec<Arg>, TranspileError> {
    if node.arity() != 2 {
        return Err(node.ctx.shape(format!("expects 2 inputs, got {}", node.arity())));
    }
    let (a, b) = (node.input(0)?.clone(), node.input(1)?.clone());
    if let (Arg::Const(x), Arg::Const(y)) = (&a, &b) {
        return Ok(vec![Arg::Const(consts::binary(x, y, f).map_err(|e| node.ctx.shape(e))?)]);
    }
    let shape = broadcast(ctx.graph.shape(&a), ctx.graph.shape(&b)).ok_or_else(|| {
        node.ctx.shape(format!(
            "shapes {:?} and {:?} do not broadcast",
            ctx.graph.shape(&a),
            ctx.graph.shape(&b)
        ))
    })?;
    // MatMul followed by Add of a constant: fold the constant into the MatMul's bias.
    if let (IrOp::Add, Arg::Dyn(v), Arg::Const(c)) = (&op, &a, &b) {
        let v = *v;
        if ctx.foldable(&node.input_names[0], v) && ctx.graph.values[v].shape == shape {
            if let Def::Node { op: IrOp::MatMul { bias: bias @ None }, .. } =
                &mut ctx.graph.values[v].def
            {
                *bias = Some(c.clone());
                ctx.graph.values[v].name = node.out_name(0);
                return Ok(vec![Arg::Dyn(v)]);
            }
        }
    }
    Ok(vec![emit(ctx, node, shape, op, vec![a, b])])
}

/// ONNX `Add`.
pub fn add(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    binary(ctx, node, IrOp::Add, |x, y| x + y)
}

/// ONNX `Sub`.
pub fn sub(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    binary(ctx, node, IrOp::Sub, |x, y| x - y)
}

/// ONNX `Mul`.
pub fn mul(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    binary(ctx, node, IrOp::Mul, |x, y| x * y)
}

/// ONNX `Div`: constants fold; a run-time value divided by a constant becomes a product with
/// the reciprocal; a run-time divisor goes through [`super::division`].
pub fn div(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (a, b) = (node.input(0)?.clone(), node.input(1)?);
    match (&a, b) {
        (Arg::Const(x), Arg::Const(y)) => {
            let int = x.dtype != crate::onnx::DType::Float && y.dtype != crate::onnx::DType::Float;
            let f = if int { |p: f64, q: f64| (p / q).trunc() } else { |p: f64, q: f64| p / q };
            if y.data.contains(&0.0) {
                return Err(node.ctx.shape("division by a zero constant"));
            }
            Ok(vec![Arg::Const(consts::binary(x, y, f).map_err(|e| node.ctx.shape(e))?)])
        }
        (Arg::Dyn(_), Arg::Const(y)) => {
            if y.data.contains(&0.0) {
                return Err(node.ctx.shape("division by a zero constant"));
            }
            let mut r = y.clone();
            r.data.iter_mut().for_each(|v| *v = 1.0 / *v);
            r.dtype = crate::onnx::DType::Float;
            r.name = None;
            let shape = broadcast(ctx.graph.shape(&a), &r.shape).ok_or_else(|| {
                node.ctx.shape(format!(
                    "shapes {:?} and {:?} do not broadcast",
                    ctx.graph.shape(&a),
                    r.shape
                ))
            })?;
            Ok(vec![emit(ctx, node, shape, IrOp::Mul, vec![a, Arg::Const(r)])])
        }
        (_, b) => super::division::by_value(ctx, node, a, b.clone()),
    }
}

/// ONNX `Sum`: a chain of additions.
pub fn sum(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let mut acc = node.input(0)?.clone();
    for i in 1..node.arity() {
        let b = node.input(i)?.clone();
        let shape = broadcast(ctx.graph.shape(&acc), ctx.graph.shape(&b)).ok_or_else(|| {
            node.ctx.shape(format!(
                "shapes {:?} and {:?} do not broadcast",
                ctx.graph.shape(&acc),
                ctx.graph.shape(&b)
            ))
        })?;
        acc = match (&acc, &b) {
            (Arg::Const(x), Arg::Const(y)) => {
                Arg::Const(consts::binary(x, y, |p, q| p + q).map_err(|e| node.ctx.shape(e))?)
            }
            _ => {
                let name = if i + 1 == node.arity() {
                    node.out_name(0)
                } else {
                    format!("{}/sum{i}", node.out_name(0))
                };
                ctx.graph.push(name, shape, IrOp::Add, vec![acc, b], &node.ctx.name)
            }
        };
    }
    Ok(vec![acc])
}
