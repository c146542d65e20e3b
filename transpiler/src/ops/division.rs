//! Division by run-time values, exact up to rounding: ONNX `Div` with a run-time divisor,
//! `Reciprocal` and `Softsign`. The prover's quotient node needs a positive divisor, so
//! `a / b = sign(b) * (a / |b|)`; a zero divisor (any `|b|` below one unit of the scale) is a
//! run-time error naming the node (the float result would be infinite).

use super::composite::{abs_of, binary, mul, scalar};
use super::emit_tmp;
use crate::builder::{Ctx, Node};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp, Step};

/// `a / |b|` (rounded half up at the activation scale).
fn quotient(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    b: Arg,
    s: &str,
) -> Result<Arg, TranspileError> {
    binary(ctx, node, IrOp::Div, |p, q| p / q, a, b, s)
}

/// `a / b` for a run-time `b` of either sign.
pub(crate) fn divide(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    b: Arg,
    s: &str,
) -> Result<Arg, TranspileError> {
    let shape = ctx.graph.shape(&b).to_vec();
    let sign =
        emit_tmp(ctx, node, &format!("{s}/sign"), shape, IrOp::Step(Step::Sign), vec![b.clone()]);
    let m = abs_of(ctx, node, b, &format!("{s}/abs"))?;
    let q = quotient(ctx, node, a, m, &format!("{s}/quotient"))?;
    mul(ctx, node, sign, q, s)
}

/// ONNX `Div` with a run-time divisor (see the module doc; constant divisors become products
/// in [`super::elementwise::div`]).
pub fn by_value(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    b: Arg,
) -> Result<Vec<Arg>, TranspileError> {
    Ok(vec![divide(ctx, node, a, b, "div")?])
}

/// ONNX `Reciprocal`: `1 / x` (a zero input is a run-time error).
pub fn reciprocal(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(mut c) = x {
        if c.data.contains(&0.0) {
            return Err(node.ctx.shape("reciprocal of a zero constant"));
        }
        c.data.iter_mut().for_each(|v| *v = 1.0 / *v);
        return Ok(vec![Arg::Const(c)]);
    }
    Ok(vec![divide(ctx, node, scalar(1.0), x, "reciprocal")?])
}

/// ONNX `Softsign`: `x / (1 + |x|)`, one quotient (the divisor is at least 1).
pub fn softsign(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(mut c) = x {
        c.data.iter_mut().for_each(|v| *v /= 1.0 + v.abs());
        return Ok(vec![Arg::Const(c)]);
    }
    let m = abs_of(ctx, node, x.clone(), "softsign/abs")?;
    let d = binary(ctx, node, IrOp::Add, |p, q| p + q, m, scalar(1.0), "softsign/divisor")?;
    Ok(vec![quotient(ctx, node, x, d, "softsign")?])
}
