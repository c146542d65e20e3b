//! Operators of the `ai.onnx.ml` domain that scikit-learn exports (skl2onnx) use for linear
//! models and pipelines: `LinearClassifier`, `LinearRegressor`, `ArrayFeatureExtractor`,
//! `Scaler`, `Normalizer`, `ZipMap`, `Binarizer`, `Imputer`, and the classifiers' shared
//! label and `post_transform` rules (tree ensembles are in [`super::tree`]).

use super::composite::{self, binary, scalar};
use super::{emit, emit_tmp};
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp, Step};
use crate::onnx::{ConstTensor, DType};
use crate::tables::Func;

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

/// `ai.onnx.ml.LinearClassifier`: outputs `[label, scores]` as onnxruntime computes them:
/// with one coefficient row per class, the scores through `post_transform` and the label
/// their first maximum; with one row for two classes, the score `s` gives the label `s > 0`
/// and the scores `[1 - s, s]` (NONE) or `[sigmoid(-s), sigmoid(s)]` (LOGISTIC).
pub fn linear_classifier(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (scores, c) = linear_scores(ctx, node, 0)?;
    let labels = class_labels(node, "classlabels_ints", "classlabels_strings")?;
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    if c == 1 && labels.len() == 2 {
        let probs = match post.as_str() {
            "NONE" => Pair::OneMinus,
            "LOGISTIC" => Pair::SigmoidNegated,
            other => {
                return Err(node.ctx.unsupported(format!("post_transform {other} of one score")))
            }
        };
        return binary_pair(ctx, node, scores, Pair::Negated, probs, &labels);
    }
    if c != labels.len() {
        return Err(node.ctx.attr(
            "coefficients",
            format!("{c} coefficient rows for {} class labels", labels.len()),
        ));
    }
    classify(ctx, node, scores, &post, &labels)
}

/// Integer class labels from `ints` (string labels are refused with a hint).
pub(crate) fn class_labels(
    node: &Node<'_>,
    ints: &str,
    strings: &str,
) -> Result<Vec<i64>, TranspileError> {
    match (node.attrs.ints(ints)?, node.attrs.strings(strings)?) {
        (Some(l), _) if !l.is_empty() => Ok(l),
        (_, Some(s)) if !s.is_empty() => Err(node.ctx.unsupported(format!(
            "string class labels ({}); fixed-point outputs are numbers: train on integer labels \
             (for example with sklearn.preprocessing.LabelEncoder)",
            s.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        ))),
        _ => Err(node.ctx.attr(ints, "no class labels")),
    }
}

/// The label output: the first maximum of `scores` along axis 1, as the class label. Labels
/// `0..C` are the index itself (an integer output); any other integer labels (`[1, 2, 3]`,
/// `[-1, 1]`, ...) are `l_0 + sum_c (l_c - l_(c-1)) [index >= c]`, each step an exact
/// [`IrOp::Above`] of the index, so the output is the label as a real (exact).
pub(crate) fn label_of(ctx: &mut Ctx, node: &Node<'_>, scores: Arg, labels: &[i64]) -> Arg {
    let n = ctx.graph.shape(&scores)[0];
    let identity = labels.iter().enumerate().all(|(i, &v)| v == i as i64);
    if identity || labels.len() < 2 {
        let op = IrOp::ArgMax(1, false, false);
        return ctx.graph.push(node.out_name(0), vec![n], op, vec![scores], &node.ctx.name);
    }
    let c = labels.len();
    let index =
        emit_tmp(ctx, node, "label/index", vec![n, 1], IrOp::ArgMax(1, true, false), vec![scores]);
    let wide = emit_tmp(
        ctx,
        node,
        "label/index_wide",
        vec![n, c - 1],
        IrOp::Gather(1, vec![0; c - 1], vec![c - 1]),
        vec![index],
    );
    let cuts = (1..c).map(|k| (k as f64 - 0.5, true)).collect();
    let steps = emit_tmp(ctx, node, "label/steps", vec![n, c - 1], IrOp::Above(cuts), vec![wide]);
    let rises: Vec<f64> = labels.windows(2).map(|w| (w[1] - w[0]) as f64).collect();
    let rises = Arg::Const(ConstTensor {
        shape: vec![c - 1, 1],
        data: rises,
        dtype: DType::Float,
        name: Some(format!("{}.class_label_steps", node.ctx.name)),
    });
    let first = ConstTensor {
        shape: vec![1],
        data: vec![labels[0] as f64],
        dtype: DType::Float,
        name: Some(format!("{}.first_class_label", node.ctx.name)),
    };
    let label = emit_tmp(
        ctx,
        node,
        "label/value",
        vec![n, 1],
        IrOp::MatMul { bias: Some(first) },
        vec![steps, rises],
    );
    let out = ctx.graph.push(node.out_name(0), vec![n], IrOp::Reshape, vec![label], &node.ctx.name);
    if let Arg::Dyn(v) = out {
        ctx.graph.integral.insert(v);
    }
    out
}

/// `v` as the node's output `k` (a free reshape when it is an intermediate).
pub(crate) fn output(ctx: &mut Ctx, node: &Node<'_>, k: usize, v: Arg) -> Arg {
    let shape = ctx.graph.shape(&v).to_vec();
    ctx.graph.push(node.out_name(k), shape, IrOp::Reshape, vec![v], &node.ctx.name)
}

/// `[label, post_transform(scores)]` of a classifier with one score per class.
pub(crate) fn classify(
    ctx: &mut Ctx,
    node: &Node<'_>,
    scores: Arg,
    post: &str,
    labels: &[i64],
) -> Result<Vec<Arg>, TranspileError> {
    let label = label_of(ctx, node, scores.clone(), labels);
    let p = post_transform(ctx, node, scores, post)?;
    Ok(vec![label, output(ctx, node, 1, p)])
}

/// Two columns made from one score `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pair {
    /// `[1 - s, s]`.
    OneMinus,
    /// `[-s, s]`.
    Negated,
    /// `[sigmoid(-s), sigmoid(s)]`.
    SigmoidNegated,
}

fn pair(
    ctx: &mut Ctx,
    node: &Node<'_>,
    s: Arg,
    form: Pair,
    suffix: &str,
) -> Result<Arg, TranspileError> {
    let first = match form {
        Pair::OneMinus => {
            binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(1.0), s.clone(), suffix)?
        }
        Pair::Negated | Pair::SigmoidNegated => {
            binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(0.0), s.clone(), suffix)?
        }
    };
    let n = ctx.graph.shape(&s)[0];
    let both =
        emit_tmp(ctx, node, &format!("{suffix}/pair"), vec![n, 2], IrOp::Concat(1), vec![first, s]);
    if form == Pair::SigmoidNegated {
        return post_transform(ctx, node, both, "LOGISTIC");
    }
    Ok(both)
}

/// `[label, probabilities]` of a binary classifier with one score `s` `[N, 1]`: the label is
/// the first maximum of `label_form(s)`, the probabilities `probs(s)`.
pub(crate) fn binary_pair(
    ctx: &mut Ctx,
    node: &Node<'_>,
    s: Arg,
    label_form: Pair,
    probs: Pair,
    labels: &[i64],
) -> Result<Vec<Arg>, TranspileError> {
    let l = pair(ctx, node, s.clone(), label_form, "label_pair")?;
    let label = label_of(ctx, node, l, labels);
    let p = pair(ctx, node, s, probs, "proba_pair")?;
    Ok(vec![label, output(ctx, node, 1, p)])
}

/// A tree ensemble's binary case (onnxruntime's rule): non-negative weights give `[1 - s, s]`
/// (label `s > 0.5`), mixed ones `[-s, s]` or with LOGISTIC `[sigmoid(-s), sigmoid(s)]`
/// (label `s > 0`).
pub(crate) fn binary_scores(
    ctx: &mut Ctx,
    node: &Node<'_>,
    s: Arg,
    post: &str,
    all_positive: bool,
    labels: &[i64],
) -> Result<Vec<Arg>, TranspileError> {
    if post == "PROBIT" {
        return Err(node.ctx.unsupported("post_transform PROBIT (no inverse-erf table yet)"));
    }
    if all_positive {
        return binary_pair(ctx, node, s, Pair::OneMinus, Pair::OneMinus, labels);
    }
    let probs = if post == "LOGISTIC" { Pair::SigmoidNegated } else { Pair::Negated };
    binary_pair(ctx, node, s, Pair::Negated, probs, labels)
}

/// A classifier's or regressor's `post_transform` along axis 1 of `[N, C]` scores: NONE,
/// LOGISTIC (the sigmoid table), SOFTMAX, SOFTMAX_ZERO (a softmax over the non-zero scores,
/// zeros stay 0). PROBIT has no table yet.
pub(crate) fn post_transform(
    ctx: &mut Ctx,
    node: &Node<'_>,
    scores: Arg,
    post: &str,
) -> Result<Arg, TranspileError> {
    let shape = ctx.graph.shape(&scores).to_vec();
    match post {
        "NONE" => Ok(scores),
        "LOGISTIC" => {
            Ok(emit_tmp(ctx, node, "logistic", shape, IrOp::Table(Func::Sigmoid), vec![scores]))
        }
        "SOFTMAX" => composite::softmax_value(ctx, node, scores, 1, false),
        "SOFTMAX_ZERO" => softmax_zero(ctx, node, scores),
        "PROBIT" => Err(node.ctx.unsupported("post_transform PROBIT (no inverse-erf table yet)")),
        other => Err(node.ctx.attr("post_transform", format!("unknown {other}"))),
    }
}

/// onnxruntime's SOFTMAX_ZERO: `exp(x - max)` where `x != 0`, 0 where `x == 0`, divided by
/// the sum (the maximum is taken over all scores; all zero is a run-time error).
fn softmax_zero(ctx: &mut Ctx, node: &Node<'_>, x: Arg) -> Result<Arg, TranspileError> {
    let shape = ctx.graph.shape(&x).to_vec();
    let m = composite::reduce_over(ctx, node, x.clone(), &[1], true, composite::Reduce::Max)?;
    let d = binary(ctx, node, IrOp::Sub, |p, q| p - q, x.clone(), m, "sz/shifted")?;
    let e =
        emit_tmp(ctx, node, "sz/exp", shape.clone(), IrOp::Table(Func::ExpNonPositive), vec![d]);
    let sign = emit_tmp(ctx, node, "sz/sign", shape.clone(), IrOp::Step(Step::Sign), vec![x]);
    let nonzero = composite::abs_of(ctx, node, sign, "sz/nonzero")?;
    let e = composite::mul(ctx, node, e, nonzero, "sz/masked")?;
    let s = composite::reduce_over(ctx, node, e.clone(), &[1], true, composite::Reduce::Sum)?;
    Ok(emit_tmp(ctx, node, "sz/div", shape, IrOp::Div, vec![e, s]))
}

/// The run-time input 0 of an element-wise ML op and its shape.
fn run_time_input(ctx: &Ctx, node: &Node<'_>) -> Result<(Arg, Vec<usize>), TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let shape = ctx.graph.shape(&x).to_vec();
    if shape.is_empty() {
        return Err(node.ctx.shape("X must have rank >= 1"));
    }
    Ok((x, shape))
}

/// A per-feature FLOATS attribute (one value for all, or one per feature) as a constant row.
fn per_feature(
    node: &Node<'_>,
    name: &str,
    f: usize,
    default: f64,
) -> Result<ConstTensor, TranspileError> {
    let v = node.attrs.floats(name)?.unwrap_or_else(|| vec![default]);
    if !(v.len() == 1 || v.len() == f) || v.iter().any(|x| !x.is_finite()) {
        return Err(node
            .ctx
            .attr(name, format!("{} values for {f} features (or not finite)", v.len())));
    }
    Ok(ConstTensor {
        shape: vec![v.len()],
        data: v,
        dtype: DType::Float,
        name: Some(format!("{}.{name}", node.ctx.name)),
    })
}

/// `ai.onnx.ml.Scaler`: `(x - offset) * scale`, per feature or one value for all.
pub fn scaler(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, shape) = run_time_input(ctx, node)?;
    let f = shape[shape.len() - 1];
    let offset = per_feature(node, "offset", f, 0.0)?;
    let scale = per_feature(node, "scale", f, 1.0)?;
    let d = binary(ctx, node, IrOp::Sub, |p, q| p - q, x, Arg::Const(offset), "centred")?;
    let y = composite::mul(ctx, node, d, Arg::Const(scale), "scaled")?;
    Ok(vec![output(ctx, node, 0, y)])
}

/// `ai.onnx.ml.Normalizer` along the last axis: `MAX` (`x / max(x)`), `L1` (`x / sum |x|`),
/// `L2` (`x / sqrt(sum x^2)`, a zero row giving 0); a zero divisor of MAX or L1 is a run-time
/// error naming the node.
pub fn normalizer(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, shape) = run_time_input(ctx, node)?;
    let axis = shape.len() - 1;
    let norm = node.attrs.string("norm")?.unwrap_or_else(|| "MAX".into());
    let y = match norm.as_str() {
        "MAX" => {
            let m = composite::reduce_over(
                ctx,
                node,
                x.clone(),
                &[axis],
                true,
                composite::Reduce::Max,
            )?;
            super::division::divide(ctx, node, x, m, "max_normed")?
        }
        "L1" => {
            let m =
                composite::reduce_over(ctx, node, x.clone(), &[axis], true, composite::Reduce::L1)?;
            emit_tmp(ctx, node, "l1_normed", shape, IrOp::Div, vec![x, m])
        }
        "L2" => {
            let sq = composite::reduce_over(
                ctx,
                node,
                x.clone(),
                &[axis],
                true,
                composite::Reduce::SumSquare,
            )?;
            let sshape = ctx.graph.shape(&sq).to_vec();
            let r = emit_tmp(ctx, node, "l2", sshape, IrOp::Sqrt(f64::MIN_POSITIVE), vec![sq]);
            emit_tmp(ctx, node, "l2_normed", shape, IrOp::Div, vec![x, r])
        }
        other => return Err(node.ctx.attr("norm", format!("unknown {other} (MAX, L1 or L2)"))),
    };
    Ok(vec![output(ctx, node, 0, y)])
}

/// `ai.onnx.ml.ZipMap`: the probability rows themselves (`[N, C]`, column `c` is class
/// `classlabels[c]`); a fixed-point program outputs tensors, not maps.
pub fn zipmap(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, shape) = run_time_input(ctx, node)?;
    let labels = match (
        node.attrs.ints("classlabels_int64s")?,
        node.attrs.strings("classlabels_strings")?,
    ) {
        (Some(l), _) => l.len(),
        (None, Some(s)) => s.len(),
        (None, None) => return Err(node.ctx.attr("classlabels_int64s", "no class labels")),
    };
    if shape.len() != 2 || shape[1] != labels {
        return Err(node.ctx.shape(format!("probabilities {shape:?} for {labels} class labels")));
    }
    Ok(vec![output(ctx, node, 0, x)])
}

/// `ai.onnx.ml.Binarizer`: 1 where `x > threshold`, else 0 (exact on the fixed-point grid).
pub fn binarizer(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, shape) = run_time_input(ctx, node)?;
    let t = node.attrs.float_or("threshold", 0.0)?;
    let f = shape[shape.len() - 1];
    Ok(vec![super::emit(ctx, node, shape, IrOp::Above(vec![(t, true); f]), vec![x])])
}

/// `ai.onnx.ml.Imputer`: entries equal to `replaced_value_float` (default 0) take the
/// imputed value of their feature. NaN, the value scikit-learn's `SimpleImputer` replaces,
/// cannot occur in a fixed-point input, so then the op is the identity.
pub fn imputer(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, shape) = run_time_input(ctx, node)?;
    let f = shape[shape.len() - 1];
    let imputed = per_feature(node, "imputed_value_floats", f, 0.0)?;
    let replaced = node.attrs.float_any("replaced_value_float")?.unwrap_or(0.0);
    if replaced.is_nan() {
        return Ok(vec![output(ctx, node, 0, x)]);
    }
    if !replaced.is_finite() {
        return Err(node.ctx.attr("replaced_value_float", "infinite"));
    }
    // [x == r] = [x >= r] - [x > r]; y = x + [x == r] (imputed - r).
    let ge = IrOp::Above(vec![(replaced, false); f]);
    let ge = emit_tmp(ctx, node, "ge", shape.clone(), ge, vec![x.clone()]);
    let gt = IrOp::Above(vec![(replaced, true); f]);
    let gt = emit_tmp(ctx, node, "gt", shape, gt, vec![x.clone()]);
    let eq = binary(ctx, node, IrOp::Sub, |p, q| p - q, ge, gt, "eq")?;
    let mut delta = imputed;
    delta.data.iter_mut().for_each(|v| *v -= replaced);
    let t = composite::mul(ctx, node, eq, Arg::Const(delta), "delta")?;
    let y = binary(ctx, node, IrOp::Add, |p, q| p + q, x, t, "imputed")?;
    Ok(vec![output(ctx, node, 0, y)])
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
