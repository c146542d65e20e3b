//! Smooth activations computed through lookup tables ([`crate::tables`]): Sigmoid, Tanh, Erf,
//! Exp, Log (of constants), Softplus, Elu, Selu, Celu, Mish, Gelu, HardSwish, ThresholdedRelu, Shrink, Asin, Acos.

use super::emit;
use crate::builder::{Ctx, Node};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::tables::Func;

fn table(ctx: &mut Ctx, node: &Node<'_>, f: Func) -> Result<Vec<Arg>, TranspileError> {
    f.check().map_err(|e| node.ctx.unsupported(e))?;
    let x = node.input(0)?.clone();
    if let Arg::Const(c) = x {
        // Exporters apply these to weights too (naive Bayes: `Exp` of log-probabilities):
        // folded in float, as the model computes them.
        return Ok(vec![fold(node, c, |v| f.eval(v))?]);
    }
    let shape = ctx.graph.shape(&x).to_vec();
    Ok(vec![emit(ctx, node, shape, IrOp::Table(f), vec![x])])
}

/// `f` applied to every value of a constant; a non-finite result is an error.
fn fold(
    node: &Node<'_>,
    mut c: crate::onnx::ConstTensor,
    f: impl Fn(f64) -> f64,
) -> Result<Arg, TranspileError> {
    for v in &mut c.data {
        let y = f(*v);
        if !y.is_finite() {
            return Err(node
                .ctx
                .unsupported(format!("{} of the constant {v} is not finite", node.ctx.op_type)));
        }
        *v = y;
    }
    c.dtype = crate::onnx::DType::Float;
    Ok(Arg::Const(c))
}

/// ONNX `Log` of constants (folded; exporters take logs of weights, as Bernoulli naive Bayes
/// does). A run-time `Log` has no bounded domain for a table and is refused.
pub fn log(_ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    match node.input(0)?.clone() {
        Arg::Const(c) => Ok(vec![fold(node, c, f64::ln)?]),
        Arg::Dyn(_) => Err(node.ctx.unsupported(
            "Log of a run-time value (its domain reaches 0; only constants and the log of a softmax's sum are supported)",
        )),
    }
}

/// ONNX `Sigmoid`.
pub fn sigmoid(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Sigmoid)
}

/// ONNX `Tanh`.
pub fn tanh(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Tanh)
}

/// ONNX `Erf`.
pub fn erf(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Erf)
}

/// ONNX `Exp` (saturating above the table's domain, see [`Func::Exp`]).
pub fn exp(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Exp)
}

/// ONNX `Softplus`.
pub fn softplus(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Softplus)
}

/// ONNX `Elu` (`alpha`, default 1).
pub fn elu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 1.0)?;
    table(ctx, node, Func::Elu(alpha))
}

/// ONNX `Selu` (`alpha`, `gamma` with the standard defaults).
pub fn selu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 1.673_263_192_176_818_8)?;
    let gamma = node.attrs.float_or("gamma", 1.050_701_022_148_132_3)?;
    table(ctx, node, Func::Selu(alpha, gamma))
}

/// ONNX `Celu` (`alpha`, default 1).
pub fn celu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 1.0)?;
    table(ctx, node, Func::Celu(alpha))
}

/// ONNX `Mish`.
pub fn mish(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Mish)
}

/// ONNX `Gelu` (opset 20; `approximate` is `none` or `tanh`).
pub fn gelu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let tanh = match node.attrs.string("approximate")?.as_deref() {
        None | Some("none") => false,
        Some("tanh") => true,
        Some(other) => {
            return Err(node.ctx.attr("approximate", format!("'{other}' is not none or tanh")))
        }
    };
    table(ctx, node, Func::Gelu { tanh })
}

/// ONNX `HardSwish`.
pub fn hard_swish(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::HardSwish)
}

/// ONNX `ThresholdedRelu` (`alpha`, default 1).
pub fn thresholded_relu(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 1.0)?;
    table(ctx, node, Func::ThresholdedRelu(alpha))
}

/// ONNX `Shrink` (`lambd` default 0.5, `bias` default 0).
pub fn shrink(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let lambd = node.attrs.float_or("lambd", 0.5)?;
    let bias = node.attrs.float_or("bias", 0.0)?;
    table(ctx, node, Func::Shrink(lambd, bias))
}

/// ONNX `Asin` (inputs beyond `[-1, 1]`, NaN in floats, are clamped).
pub fn asin(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Asin)
}

/// ONNX `Acos` (inputs beyond `[-1, 1]`, NaN in floats, are clamped).
pub fn acos(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    table(ctx, node, Func::Acos)
}
