//! Operators of the `ai.onnx.ml` domain that scikit-learn exports (skl2onnx) use for linear
//! models: `LinearClassifier`, `LinearRegressor`, `ArrayFeatureExtractor`.

use super::{emit, emit_tmp};
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// `X [N, F]` times the transposed coefficient rows plus intercepts: `[N, C]` scores.
fn linear_scores(
    ctx: &mut Ctx,
    node: &Node<'_>,
    targets: usize,
) -> Result<(Arg, usize), TranspileError> {
    let x = node.input(0)?.clone();
    let xs = ctx.graph.shape(&x).to_vec();
    let coef = node
        .attrs
        .floats("coefficients")?
        .ok_or_else(|| node.ctx.attr("coefficients", "required"))?;
    let f = *xs.last().ok_or_else(|| node.ctx.shape("X must have rank >= 1"))?;
    if xs.len() != 2 || f == 0 || coef.len() % f != 0 {
        return Err(node.ctx.shape(format!("X {xs:?} does not fit {} coefficients", coef.len())));
    }
    let c = coef.len() / f;
    if targets != 0 && c != targets {
        return Err(node.ctx.attr("coefficients", format!("{c} rows for {targets} targets")));
    }
    let w = consts::transpose(
        &ConstTensor {
            shape: vec![c, f],
            data: coef,
            dtype: DType::Float,
            name: Some(format!("{}.coefficients", node.ctx.name)),
        },
        &[1, 0],
    );
    let b = match node.attrs.floats("intercepts")? {
        None => None,
        Some(v) if v.len() == c => Some(ConstTensor {
            shape: vec![c],
            data: v,
            dtype: DType::Float,
            name: Some(format!("{}.intercepts", node.ctx.name)),
        }),
        Some(v) => {
            return Err(node.ctx.attr("intercepts", format!("{} values for {c} classes", v.len())))
        }
    };
    let shape = vec![xs[0], c];
    Ok((emit_tmp(ctx, node, "scores", shape, IrOp::MatMul { bias: b }, vec![x, Arg::Const(w)]), c))
}

/// `ai.onnx.ml.LinearClassifier`: outputs `[label, scores]`. The label is the argmax of the
/// raw scores (every post-transform preserves their order); it is provable when the class
/// labels are `0..C`. Scores are provable with `post_transform = NONE`.
pub fn linear_classifier(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (scores, c) = linear_scores(ctx, node, 0)?;
    if c < 2 {
        return Err(node.ctx.unsupported("binary classifiers with one coefficient row"));
    }
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    let n = ctx.graph.shape(&scores)[0];
    let labels_ok = match node.attrs.ints("classlabels_ints")? {
        Some(l) => l.iter().enumerate().all(|(i, &v)| v == i as i64) && l.len() == c,
        None => false,
    };
    let label_op = if labels_ok {
        IrOp::ArgMax(1, false, false)
    } else {
        IrOp::Opaque("class labels other than 0..C (or strings)".into())
    };
    let label =
        ctx.graph.push(node.out_name(0), vec![n], label_op, vec![scores.clone()], &node.ctx.name);
    let out_scores = if post == "NONE" {
        ctx.graph.push(node.out_name(1), vec![n, c], IrOp::Reshape, vec![scores], &node.ctx.name)
    } else {
        ctx.graph.push(
            node.out_name(1),
            vec![n, c],
            IrOp::Monotone { axis: 1, what: format!("post_transform {post}") },
            vec![scores],
            &node.ctx.name,
        )
    };
    Ok(vec![label, out_scores])
}

/// `ai.onnx.ml.LinearRegressor` with `post_transform = NONE`.
pub fn linear_regressor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let targets = node.attrs.int_or("targets", 1)?;
    let targets = usize::try_from(targets)
        .ok()
        .filter(|t| *t >= 1)
        .ok_or_else(|| node.ctx.attr("targets", "must be >= 1"))?;
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    if post != "NONE" {
        return Err(node.ctx.unsupported(format!("post_transform {post}")));
    }
    let (scores, c) = linear_scores(ctx, node, targets)?;
    let n = ctx.graph.shape(&scores)[0];
    Ok(vec![emit(ctx, node, vec![n, c], IrOp::Reshape, vec![scores])])
}

/// `ai.onnx.ml.ArrayFeatureExtractor`: `X[..., indices]`. Run-time data with constant
/// indices is a gather; constant data `0..C` with run-time indices (the class labels of a
/// classifier) is the identity on the indices.
pub fn array_feature_extractor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let idx = node.input(1)?.clone();
    match (&x, &idx) {
        (Arg::Const(c), Arg::Const(i)) => {
            let axis = c
                .shape
                .len()
                .checked_sub(1)
                .ok_or_else(|| node.ctx.shape("X must have rank >= 1"))?;
            Ok(vec![Arg::Const(consts::gather(c, i, axis).map_err(|e| node.ctx.shape(e))?)])
        }
        (Arg::Const(c), Arg::Dyn(v)) => {
            let identity =
                c.shape.len() == 1 && c.data.iter().enumerate().all(|(k, &d)| d == k as f64);
            if identity && ctx.graph.is_index(*v) {
                Ok(vec![idx.clone()])
            } else {
                Err(node.ctx.unsupported("a run-time lookup into constants other than 0..C"))
            }
        }
        (Arg::Dyn(_), Arg::Const(i)) => {
            let s = ctx.graph.shape(&x).to_vec();
            let axis =
                s.len().checked_sub(1).ok_or_else(|| node.ctx.shape("X must have rank >= 1"))?;
            let len = s[axis] as i64;
            let mut flat = Vec::new();
            for k in i.as_ints().map_err(|e| node.ctx.shape(e))? {
                if k < -len || k >= len {
                    return Err(node.ctx.shape(format!("index {k} out of range for {s:?}")));
                }
                flat.push(if k < 0 { k + len } else { k } as usize);
            }
            let mut shape = s[..axis].to_vec();
            shape.push(flat.len());
            let n = flat.len();
            Ok(vec![emit(ctx, node, shape, IrOp::Gather(axis, flat, vec![n]), vec![x])])
        }
        _ => Err(node.ctx.unsupported("run-time data with run-time indices")),
    }
}
