//! Gemm and MatMul.

use runtime::op::matmul_shape;
use runtime::shape::broadcast;

use super::{emit, emit_tmp};
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

fn scaled(c: &ConstTensor, k: f64) -> ConstTensor {
    ConstTensor {
        shape: c.shape.clone(),
        data: c.data.iter().map(|v| v * k).collect(),
        dtype: DType::Float,
        name: c.name.clone(),
    }
}

/// ONNX `Gemm`: `alpha * A' B' + beta * C` with optional transposes.
pub fn gemm(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let alpha = node.attrs.float_or("alpha", 1.0)?;
    let beta = node.attrs.float_or("beta", 1.0)?;
    let trans_a = node.attrs.flag("transA", false)?;
    let trans_b = node.attrs.flag("transB", false)?;
    let mut a = node.input(0)?.clone();
    let mut b = node.input(1)?.clone();
    for (x, name) in [(&a, "A"), (&b, "B")] {
        if ctx.graph.shape(x).len() != 2 {
            return Err(node
                .ctx
                .shape(format!("{name} must be 2-D, got {:?}", ctx.graph.shape(x))));
        }
    }
    let mut transposed = |x: Arg, suffix: &str| match x {
        Arg::Const(c) => Arg::Const(consts::transpose(&c, &[1, 0])),
        Arg::Dyn(v) => {
            let s = &ctx.graph.values[v].shape;
            let shape = vec![s[1], s[0]];
            emit_tmp(ctx, node, suffix, shape, IrOp::Transpose(vec![1, 0]), vec![Arg::Dyn(v)])
        }
    };
    if trans_a {
        a = transposed(a, "transA");
    }
    if trans_b {
        b = transposed(b, "transB");
    }
    let mut post_alpha = None;
    if alpha != 1.0 {
        match (&mut a, &mut b) {
            (_, Arg::Const(c)) | (Arg::Const(c), _) => *c = scaled(c, alpha),
            _ => post_alpha = Some(alpha),
        }
    }
    if matches!((&a, &b), (Arg::Const(_), Arg::Const(_))) {
        return Err(node.ctx.unsupported("both A and B are constants"));
    }
    let shape =
        matmul_shape(ctx.graph.shape(&a), ctx.graph.shape(&b)).map_err(|e| node.ctx.shape(e))?;
    let c = node.opt_input(2).cloned();
    let mut bias = None;
    let mut dyn_c = None;
    match c {
        None => {}
        Some(Arg::Const(c)) => {
            if broadcast(&c.shape, &shape).as_deref() != Some(shape.as_slice()) {
                return Err(node
                    .ctx
                    .shape(format!("C {:?} does not broadcast to {shape:?}", c.shape)));
            }
            if post_alpha.is_none() && beta != 0.0 {
                bias = Some(scaled(&c, beta));
            } else if beta != 0.0 {
                dyn_c = Some(Arg::Const(scaled(&c, beta)));
            }
        }
        Some(Arg::Dyn(v)) => dyn_c = Some(Arg::Dyn(v)),
    }
    let last = post_alpha.is_none() && dyn_c.is_none();
    let op = IrOp::MatMul { bias };
    let mut out = if last {
        emit(ctx, node, shape.clone(), op, vec![a, b])
    } else {
        emit_tmp(ctx, node, "matmul", shape.clone(), op, vec![a, b])
    };
    if let Some(k) = post_alpha {
        let args = vec![out, Arg::Const(ConstTensor::scalar(k, DType::Float))];
        out = if dyn_c.is_none() {
            emit(ctx, node, shape.clone(), IrOp::Mul, args)
        } else {
            emit_tmp(ctx, node, "alpha", shape.clone(), IrOp::Mul, args)
        };
    }
    if let Some(mut cv) = dyn_c {
        if let Arg::Dyn(_) = cv {
            if broadcast(ctx.graph.shape(&cv), &shape).as_deref() != Some(shape.as_slice()) {
                return Err(node.ctx.shape(format!(
                    "C {:?} does not broadcast to {shape:?}",
                    ctx.graph.shape(&cv)
                )));
            }
            if beta != 1.0 {
                let cs = ctx.graph.shape(&cv).to_vec();
                cv = emit_tmp(
                    ctx,
                    node,
                    "beta",
                    cs,
                    IrOp::Mul,
                    vec![cv, Arg::Const(ConstTensor::scalar(beta, DType::Float))],
                );
            }
        }
        out = emit(ctx, node, shape, IrOp::Add, vec![out, cv]);
    }
    Ok(vec![out])
}

/// ONNX `MatMul` (numpy semantics).
pub fn matmul(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let a = node.input(0)?.clone();
    let b = node.input(1)?.clone();
    if matches!((&a, &b), (Arg::Const(_), Arg::Const(_))) {
        return Err(node.ctx.unsupported("both inputs are constants"));
    }
    let shape =
        matmul_shape(ctx.graph.shape(&a), ctx.graph.shape(&b)).map_err(|e| node.ctx.shape(e))?;
    Ok(vec![emit(ctx, node, shape, IrOp::MatMul { bias: None }, vec![a, b])])
}
