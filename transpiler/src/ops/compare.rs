//! Comparisons, logic and selection on fixed-point values: `Equal`, `Less`, `LessOrEqual`,
//! `Greater`, `GreaterOrEqual`, `Not`, `And`, `Or`, `Xor` and `Where`. A boolean at run time
//! is the value 0 or 1 (at the activation scale), built from ops the prover already checks:
//! `a > b` is `relu(sign(a - b))` (the sign exact on the fixed-point difference, so equal
//! quantised values compare equal), `a == b` is `1 - |sign(a - b)|`, `and` a product,
//! `where(c, x, y)` is `y + c (x - y)` (exact: a product by 0 or 1). Constant operands fold;
//! a boolean output reads as 0.0 / 1.0.

use super::composite::{abs_of, add, binary, mul, scalar};
use super::emit_tmp;
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp, Step};
use crate::onnx::DType;

fn truth(b: bool) -> f64 {
    f64::from(u8::from(b))
}

/// Folds `f` over two constants as a boolean tensor.
fn fold(
    node: &Node<'_>,
    a: &Arg,
    b: &Arg,
    f: fn(f64, f64) -> bool,
) -> Result<Option<Arg>, TranspileError> {
    if let (Arg::Const(x), Arg::Const(y)) = (a, b) {
        let mut c = consts::binary(x, y, |p, q| truth(f(p, q))).map_err(|e| node.ctx.shape(e))?;
        c.dtype = DType::Bool;
        return Ok(Some(Arg::Const(c)));
    }
    Ok(None)
}

/// The two operands (ArgMax indices are compared as the integers they are: lowering brings
/// them to the activation scale exactly).
fn operands(_ctx: &Ctx, node: &Node<'_>) -> Result<(Arg, Arg), TranspileError> {
    Ok((node.input(0)?.clone(), node.input(1)?.clone()))
}

/// `sign(a - b)` in {-1, 0, 1}.
fn sign_diff(ctx: &mut Ctx, node: &Node<'_>, a: Arg, b: Arg) -> Result<Arg, TranspileError> {
    let d = binary(ctx, node, IrOp::Sub, |p, q| p - q, a, b, "diff")?;
    let shape = ctx.graph.shape(&d).to_vec();
    Ok(emit_tmp(ctx, node, "sign", shape, IrOp::Step(Step::Sign), vec![d]))
}

/// `a > b` as 0 / 1.
fn greater_of(ctx: &mut Ctx, node: &Node<'_>, a: Arg, b: Arg) -> Result<Arg, TranspileError> {
    let s = sign_diff(ctx, node, a, b)?;
    let shape = ctx.graph.shape(&s).to_vec();
    Ok(emit_tmp(ctx, node, "gt", shape, IrOp::Relu, vec![s]))
}

/// `1 - x`.
fn not_of(ctx: &mut Ctx, node: &Node<'_>, x: Arg) -> Result<Arg, TranspileError> {
    binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(1.0), x, "not")
}

fn compare(
    ctx: &mut Ctx,
    node: &Node<'_>,
    f: fn(f64, f64) -> bool,
    swap: bool,
    negate: bool,
) -> Result<Vec<Arg>, TranspileError> {
    let (a, b) = operands(ctx, node)?;
    if let Some(c) = fold(node, &a, &b, f)? {
        return Ok(vec![c]);
    }
    let (a, b) = if swap { (b, a) } else { (a, b) };
    let g = greater_of(ctx, node, a, b)?;
    Ok(vec![if negate { not_of(ctx, node, g)? } else { g }])
}

/// ONNX `Greater`.
pub fn greater(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    compare(ctx, node, |p, q| p > q, false, false)
}

/// ONNX `Less`.
pub fn less(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    compare(ctx, node, |p, q| p < q, true, false)
}

/// ONNX `GreaterOrEqual`: `not (b > a)`.
pub fn greater_or_equal(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    compare(ctx, node, |p, q| p >= q, true, true)
}

/// ONNX `LessOrEqual`: `not (a > b)`.
pub fn less_or_equal(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    compare(ctx, node, |p, q| p <= q, false, true)
}

/// ONNX `Equal`: `1 - |sign(a - b)|`.
pub fn equal(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (a, b) = operands(ctx, node)?;
    if let Some(c) = fold(node, &a, &b, |p, q| p == q)? {
        return Ok(vec![c]);
    }
    let s = sign_diff(ctx, node, a, b)?;
    let m = abs_of(ctx, node, s, "ne")?;
    Ok(vec![not_of(ctx, node, m)?])
}

/// ONNX `Not`.
pub fn not(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(mut c) = x {
        c.data.iter_mut().for_each(|v| *v = truth(*v == 0.0));
        c.dtype = DType::Bool;
        return Ok(vec![Arg::Const(c)]);
    }
    Ok(vec![not_of(ctx, node, x)?])
}

/// `a b` (`overlap` None: and), or `a + b - k a b` (`k` 1: or, 2: xor).
fn logic(
    ctx: &mut Ctx,
    node: &Node<'_>,
    f: fn(f64, f64) -> bool,
    overlap: Option<f64>,
) -> Result<Vec<Arg>, TranspileError> {
    let (a, b) = operands(ctx, node)?;
    if let Some(c) = fold(node, &a, &b, f)? {
        return Ok(vec![c]);
    }
    let ab = mul(ctx, node, a.clone(), b.clone(), "both")?;
    let Some(k) = overlap else { return Ok(vec![ab]) };
    let sum = add(ctx, node, a, b, "sum")?;
    let kab = if k == 1.0 { ab } else { mul(ctx, node, ab, scalar(k), "overlap")? };
    Ok(vec![binary(ctx, node, IrOp::Sub, |p, q| p - q, sum, kab, "logic")?])
}

/// ONNX `And`: `a b`.
pub fn and(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    logic(ctx, node, |p, q| p != 0.0 && q != 0.0, None)
}

/// ONNX `Or`: `a + b - a b`.
pub fn or(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    logic(ctx, node, |p, q| p != 0.0 || q != 0.0, Some(1.0))
}

/// ONNX `Xor`: `a + b - 2 a b`.
pub fn xor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    logic(ctx, node, |p, q| (p != 0.0) != (q != 0.0), Some(2.0))
}

/// ONNX `Where`: `y + c (x - y)`, broadcasting all three (constants fold in each step).
pub fn select(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let c = node.input(0)?.clone();
    let (x, y) = (node.input(1)?.clone(), node.input(2)?.clone());
    if let Arg::Dyn(v) = &c {
        if ctx.graph.is_index(*v) {
            return Err(node.ctx.unsupported("a condition made of ArgMax indices"));
        }
    }
    if let (Arg::Const(k), Arg::Const(p), Arg::Const(q)) = (&c, &x, &y) {
        // Shape arithmetic of exporters (Where over int64 shapes) keeps its element type.
        let dtype =
            if p.dtype == DType::Float || q.dtype == DType::Float { DType::Float } else { p.dtype };
        let shape_err = |e| node.ctx.shape(e);
        let d = consts::binary(p, q, |a, b| a - b).map_err(shape_err)?;
        let picked =
            consts::binary(k, &d, |k, v| if k != 0.0 { v } else { 0.0 }).map_err(shape_err)?;
        let mut out = consts::binary(q, &picked, |a, b| a + b).map_err(shape_err)?;
        out.dtype = dtype;
        return Ok(vec![Arg::Const(out)]);
    }
    // A constant condition becomes a 0 / 1 mask (a product by constants).
    let c = match c {
        Arg::Const(mut k) => {
            k.data.iter_mut().for_each(|v| *v = truth(*v != 0.0));
            k.dtype = DType::Float;
            Arg::Const(k)
        }
        d => d,
    };
    let d = binary(ctx, node, IrOp::Sub, |p, q| p - q, x, y.clone(), "diff")?;
    let picked = mul(ctx, node, c, d, "picked")?;
    Ok(vec![add(ctx, node, y, picked, "where")?])
}
