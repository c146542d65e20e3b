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
    if let (Arg::Const(ca), Arg::Const(cb)) = (&a, &b) {
        // Folded when both are matrices (an initial state times a weight, say).
        if let ([m, k], [k2, n]) = (ca.shape.as_slice(), cb.shape.as_slice()) {
            if k == k2 && m * n <= 1 << 20 && m * n * k <= 1 << 26 {
                let (m, k, n) = (*m, *k, *n);
                let mut data = vec![0.0; m * n];
                for i in 0..m {
                    for j in 0..n {
                        data[i * n + j] =
                            (0..k).map(|t| ca.data[i * k + t] * cb.data[t * n + j]).sum();
                    }
                }
                let dtype = crate::onnx::DType::Float;
                return Ok(vec![Arg::Const(ConstTensor {
                    shape: vec![m, n],
                    data,
                    dtype,
                    name: None,
                })]);
            }
        }
        return Err(node.ctx.unsupported("both inputs are constants (only 2-D products fold)"));
    }
    let shape =
        matmul_shape(ctx.graph.shape(&a), ctx.graph.shape(&b)).map_err(|e| node.ctx.shape(e))?;
    if let (Arg::Dyn(_), Arg::Const(w)) = (&a, &b) {
        if w.shape.len() != 2 || ctx.graph.shape(&a).len() == 1 {
            return Ok(vec![matmul_by_matrices(ctx, node, a, w.clone(), shape)?]);
        }
    }
    Ok(vec![emit(ctx, node, shape, IrOp::MatMul { bias: None }, vec![a, b])])
}

/// A run-time `a` times constant weights `w` of any rank, in products by 2-D matrices (the
/// form the prover checks): a vector `a` or `w` gains the unit axis numpy gives it, and each
/// batch of a batched `w` multiplies its (broadcast) batch of `a`; the results are stacked.
fn matmul_by_matrices(
    ctx: &mut Ctx,
    node: &Node<'_>,
    a: Arg,
    w: ConstTensor,
    out: Vec<usize>,
) -> Result<Arg, TranspileError> {
    let sa = ctx.graph.shape(&a).to_vec();
    let a_shape: Vec<usize> = if sa.len() == 1 { vec![1, sa[0]] } else { sa.clone() };
    let w_shape: Vec<usize> =
        if w.shape.len() == 1 { vec![w.shape[0], 1] } else { w.shape.clone() };
    let (m, k, n) =
        (a_shape[a_shape.len() - 2], a_shape[a_shape.len() - 1], w_shape[w_shape.len() - 1]);
    let (ba, bw) = (&a_shape[..a_shape.len() - 2], &w_shape[..w_shape.len() - 2]);
    let batches = broadcast(ba, bw).ok_or_else(|| node.ctx.shape("batch axes do not broadcast"))?;
    let count: usize = batches.iter().product();
    if count > 4096 {
        return Err(node.ctx.unsupported(format!("{count} batches of constant weights")));
    }
    let (map_a, map_w) = (
        runtime::shape::broadcast_index_map(ba, &batches),
        runtime::shape::broadcast_index_map(bw, &batches),
    );
    let a3 = emit_tmp(ctx, node, "rows", vec![ba.iter().product(), m, k], IrOp::Reshape, vec![a]);
    let mut parts = Vec::with_capacity(count);
    for j in 0..count {
        let xa = if ba.iter().product::<usize>() == 1 {
            a3.clone()
        } else {
            let idx = vec![map_a[j]];
            emit_tmp(
                ctx,
                node,
                &format!("a{j}"),
                vec![1, m, k],
                IrOp::Gather(0, idx, vec![1]),
                vec![a3.clone()],
            )
        };
        let x2 = emit_tmp(ctx, node, &format!("x{j}"), vec![m, k], IrOp::Reshape, vec![xa]);
        let base = map_w[j] * k * n;
        let wj = ConstTensor {
            shape: vec![k, n],
            data: w.data.get(base..base + k * n).map(<[f64]>::to_vec).unwrap_or_default(),
            dtype: DType::Float,
            name: None,
        };
        let y = emit_tmp(
            ctx,
            node,
            &format!("y{j}"),
            vec![m, n],
            IrOp::MatMul { bias: None },
            vec![x2, Arg::Const(wj)],
        );
        parts.push(emit_tmp(ctx, node, &format!("z{j}"), vec![1, m, n], IrOp::Reshape, vec![y]));
    }
    let stacked = if parts.len() == 1 {
        parts.remove(0)
    } else {
        emit_tmp(ctx, node, "stack", vec![count, m, n], IrOp::Concat(0), parts)
    };
    Ok(super::emit(ctx, node, out, IrOp::Reshape, vec![stacked]))
}
