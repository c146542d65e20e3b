//! Support vector machines of the `ai.onnx.ml` domain (`SVMClassifier`, `SVMRegressor`), as
//! scikit-learn's `SVC`, `NuSVC`, `SVR` and `NuSVR` export them, in ops the prover checks.
//!
//! Kernels against the support vectors `v_k`: LINEAR `x.v`, POLY `(gamma x.v + coef0)^d`
//! (`d` an integer from 1 to 8, by run-time products), SIGMOID `tanh(gamma x.v + coef0)` and
//! RBF `exp(-gamma |x - v|^2)` with `|x - v|^2 = |x|^2 - 2 x.v + |v|^2` (the dot products are
//! one `MatMul` with constant weights, `|x|^2` one run-time sum of squares, `exp` the table on
//! `[-12, 0]`, below which it reads `exp(-12)`, 6e-6). The classifier is one-versus-one, as
//! libsvm: for each class pair `(i, j)` the decision value `s_ij = sum_k c_k K(x, v_k) +
//! rho_ij` over both classes' vectors, a vote for `i` when `s_ij > 0` (exact on the
//! fixed-point value) and for `j` otherwise; the label is the class with most votes (the first
//! on ties), the scores output the decision values.

use super::composite::{self, binary, mul, scalar};
use super::{emit_tmp, ml};
use crate::builder::{Ctx, Node};
use crate::consts;
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};
use crate::tables::Func;

/// The kernel and its parameters.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    Linear,
    Poly { gamma: f64, coef0: f64, degree: u32 },
    Rbf { gamma: f64 },
    Sigmoid { gamma: f64, coef0: f64 },
}

fn kernel(node: &Node<'_>) -> Result<Kernel, TranspileError> {
    let p = node.attrs.floats("kernel_params")?.unwrap_or_default();
    let at = |i: usize| p.get(i).copied().unwrap_or(0.0);
    let (gamma, coef0, degree) = (at(0), at(1), at(2));
    if !(gamma.is_finite() && coef0.is_finite() && degree.is_finite()) {
        return Err(node.ctx.attr("kernel_params", "not finite"));
    }
    Ok(match node.attrs.string("kernel_type")?.as_deref().unwrap_or("LINEAR") {
        "LINEAR" => Kernel::Linear,
        "POLY" => {
            let d = degree as u32;
            if f64::from(d) != degree || !(1..=8).contains(&d) {
                return Err(node.ctx.unsupported(format!("POLY degree {degree} (1 to 8)")));
            }
            Kernel::Poly { gamma, coef0, degree: d }
        }
        "RBF" => Kernel::Rbf { gamma },
        "SIGMOID" => Kernel::Sigmoid { gamma, coef0 },
        other => return Err(node.ctx.attr("kernel_type", format!("unknown {other}"))),
    })
}

/// The `[N, F]` run-time input and the support vectors `[V, F]`.
fn inputs(ctx: &Ctx, node: &Node<'_>) -> Result<(Arg, usize, Vec<f64>, usize), TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    let [_, f] = *ctx.graph.shape(&x) else {
        return Err(node.ctx.shape(format!("X {:?} is not [N, F]", ctx.graph.shape(&x))));
    };
    let sv = node.attrs.floats("support_vectors")?.unwrap_or_default();
    if f == 0 || sv.len() % f != 0 || sv.iter().any(|v| !v.is_finite()) {
        return Err(node
            .ctx
            .attr("support_vectors", format!("{} values for {f} features", sv.len())));
    }
    let v = sv.len() / f;
    Ok((x, f, sv, v))
}

fn konst(shape: Vec<usize>, data: Vec<f64>, name: String) -> ConstTensor {
    ConstTensor { shape, data, dtype: DType::Float, name: Some(name) }
}

/// `K(x, v_k)` for every support vector: `[N, V]`.
fn kernels(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: usize,
    sv: &[f64],
    v: usize,
    k: Kernel,
) -> Result<Arg, TranspileError> {
    let n = ctx.graph.shape(&x)[0];
    let t = consts::transpose(
        &konst(vec![v, f], sv.to_vec(), format!("{}.support_vectors", node.ctx.name)),
        &[1, 0],
    );
    // `a x.v + b` by one MatMul with constant weights `a v` and bias `b`.
    let dot = |ctx: &mut Ctx, a: f64, b: Vec<f64>, s: &str| {
        let mut w = t.clone();
        w.data.iter_mut().for_each(|e| *e *= a);
        let bias = konst(vec![v], b, format!("{}.kernel_bias", node.ctx.name));
        emit_tmp(
            ctx,
            node,
            s,
            vec![n, v],
            IrOp::MatMul { bias: Some(bias) },
            vec![x.clone(), Arg::Const(w)],
        )
    };
    Ok(match k {
        Kernel::Linear => dot(ctx, 1.0, vec![0.0; v], "svm/kernel"),
        Kernel::Poly { gamma, coef0, degree } => {
            let base = dot(ctx, gamma, vec![coef0; v], "svm/poly_base");
            let mut acc = base.clone();
            for i in 1..degree {
                acc = mul(ctx, node, acc, base.clone(), &format!("svm/poly{}", i + 1))?;
            }
            acc
        }
        Kernel::Sigmoid { gamma, coef0 } => {
            let z = dot(ctx, gamma, vec![coef0; v], "svm/sigmoid_arg");
            emit_tmp(ctx, node, "svm/kernel", vec![n, v], IrOp::Table(Func::Tanh), vec![z])
        }
        Kernel::Rbf { gamma } => {
            // -gamma |x - v|^2 = 2 gamma x.v - gamma |v|^2 - gamma |x|^2.
            let norms: Vec<f64> =
                sv.chunks(f).map(|r| -gamma * r.iter().map(|e| e * e).sum::<f64>()).collect();
            let cross = dot(ctx, 2.0 * gamma, norms, "svm/cross");
            let sq = composite::reduce_over(
                ctx,
                node,
                x.clone(),
                &[1],
                true,
                composite::Reduce::SumSquare,
            )?;
            let xs = mul(ctx, node, sq, scalar(gamma), "svm/x_norm")?;
            let arg = binary(ctx, node, IrOp::Sub, |p, q| p - q, cross, xs, "svm/rbf_arg")?;
            emit_tmp(
                ctx,
                node,
                "svm/kernel",
                vec![n, v],
                IrOp::Table(Func::ExpNonPositive),
                vec![arg],
            )
        }
    })
}

/// `ai.onnx.ml.SVMRegressor`: `sum_k c_k K(x, v_k) + rho` (`[N, 1]`); with no support vectors
/// (`n_supports = 0`), the linear `x.c + rho`. One-class models (`one_class = 1`) output the
/// sign as ONNX defines it (`1` when the value is positive, else `-1`).
pub fn svm_regressor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, f, sv, v) = inputs(ctx, node)?;
    let coef = node.attrs.floats("coefficients")?.unwrap_or_default();
    let rho = node.attrs.floats("rho")?.unwrap_or_default();
    let rho0 = match rho.as_slice() {
        [r] if r.is_finite() => *r,
        _ => return Err(node.ctx.attr("rho", format!("{} values (expects 1)", rho.len()))),
    };
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    let n = ctx.graph.shape(&x)[0];
    // The linear form weighs the features, the kernel form the kernel values.
    let (rows, what) = if v == 0 { (f, "features") } else { (v, "support vectors") };
    if coef.len() != rows {
        return Err(node.ctx.attr("coefficients", format!("{} for {rows} {what}", coef.len())));
    }
    let input = if v == 0 { x } else { kernels(ctx, node, x, f, &sv, v, kernel(node)?)? };
    let w = konst(vec![rows, 1], coef, format!("{}.coefficients", node.ctx.name));
    let b = konst(vec![1], vec![rho0], format!("{}.rho", node.ctx.name));
    let op = IrOp::MatMul { bias: Some(b) };
    let score = emit_tmp(ctx, node, "svm/score", vec![n, 1], op, vec![input, Arg::Const(w)]);
    let score = if node.attrs.flag("one_class", false)? {
        // 1 if s > 0 else -1 = 2 [s > 0] - 1.
        let a = emit_tmp(
            ctx,
            node,
            "svm/positive",
            vec![n, 1],
            IrOp::Above(vec![(0.0, true)]),
            vec![score],
        );
        let twice = mul(ctx, node, a, scalar(2.0), "svm/twice")?;
        binary(ctx, node, IrOp::Sub, |p, q| p - q, twice, scalar(1.0), "svm/one_class")?
    } else {
        score
    };
    let out = ml::post_transform(ctx, node, score, &post)?;
    Ok(vec![super::emit(ctx, node, vec![n, 1], IrOp::Reshape, vec![out])])
}

/// `ai.onnx.ml.SVMClassifier` without probabilities (`prob_a` / `prob_b` are refused: the
/// Platt scaling and pairwise coupling they need is iterative): `[label, scores]` as the
/// module doc describes; with no support vectors, the linear mode (`x.w_c + rho_c` per class,
/// label the first maximum).
pub fn svm_classifier(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, f, sv, v) = inputs(ctx, node)?;
    let labels = ml::class_labels(node, "classlabels_ints", "classlabels_strings")?;
    let c = labels.len();
    if node.attrs.floats("prob_a")?.is_some_and(|p| !p.is_empty()) {
        return Err(node.ctx.unsupported(
            "probability estimates (prob_a / prob_b: SVC(probability=True)); export with \
             probability=False",
        ));
    }
    let coef = node.attrs.floats("coefficients")?.unwrap_or_default();
    let rho = node.attrs.floats("rho")?.unwrap_or_default();
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    if coef.iter().chain(&rho).any(|e| !e.is_finite()) {
        return Err(node.ctx.attr("coefficients", "not finite"));
    }
    let n = ctx.graph.shape(&x)[0];
    if v == 0 {
        // Linear mode: one weight row and one rho per class.
        if coef.len() != c * f || rho.len() != c {
            return Err(node.ctx.attr(
                "coefficients",
                format!("{} weights, {} rho for {c} classes", coef.len(), rho.len()),
            ));
        }
        let w = consts::transpose(
            &konst(vec![c, f], coef, format!("{}.coefficients", node.ctx.name)),
            &[1, 0],
        );
        let b = konst(vec![c], rho, format!("{}.rho", node.ctx.name));
        let s = emit_tmp(
            ctx,
            node,
            "svm/scores",
            vec![n, c],
            IrOp::MatMul { bias: Some(b) },
            vec![x, Arg::Const(w)],
        );
        return ml::classify(ctx, node, s, &post, &labels);
    }
    let per = node.attrs.ints("vectors_per_class")?.unwrap_or_default();
    let per: Vec<usize> = per.iter().map(|&k| usize::try_from(k).unwrap_or(usize::MAX)).collect();
    if per.len() != c || per.iter().try_fold(0usize, |a, &k| a.checked_add(k)) != Some(v) {
        return Err(node
            .ctx
            .attr("vectors_per_class", format!("{per:?} for {c} classes and {v} vectors")));
    }
    let pairs = c * (c - 1) / 2;
    if c < 2 || coef.len() != (c - 1) * v || rho.len() != pairs {
        return Err(node.ctx.attr(
            "coefficients",
            format!(
                "{} coefficients and {} rho for {c} classes and {v} vectors",
                coef.len(),
                rho.len()
            ),
        ));
    }
    let kv = kernels(ctx, node, x, f, &sv, v, kernel(node)?)?;
    // Decision values: column p of W holds, for pair (i, j), coef[j-1] on class i's vectors
    // and coef[i] on class j's.
    let start: Vec<usize> = per
        .iter()
        .scan(0, |a, &k| {
            let s = *a;
            *a += k;
            Some(s)
        })
        .collect();
    let mut w = vec![0.0; v * pairs];
    let mut p = 0;
    let mut pair_of = Vec::with_capacity(pairs);
    for i in 0..c {
        for j in i + 1..c {
            for k in start[i]..start[i] + per[i] {
                w[k * pairs + p] = coef[(j - 1) * v + k];
            }
            for k in start[j]..start[j] + per[j] {
                w[k * pairs + p] = coef[i * v + k];
            }
            pair_of.push((i, j));
            p += 1;
        }
    }
    let wt = konst(vec![v, pairs], w, format!("{}.dual_coefficients", node.ctx.name));
    let b = konst(vec![pairs], rho, format!("{}.rho", node.ctx.name));
    let s = emit_tmp(
        ctx,
        node,
        "svm/decision",
        vec![n, pairs],
        IrOp::MatMul { bias: Some(b) },
        vec![kv, Arg::Const(wt)],
    );
    // Votes: [s_ij > 0] for i, 1 - [s_ij > 0] for j; a MatMul of the 0 / 1 tests.
    let a = emit_tmp(
        ctx,
        node,
        "svm/wins",
        vec![n, pairs],
        IrOp::Above(vec![(0.0, true); pairs]),
        vec![s.clone()],
    );
    let mut m = vec![0.0; pairs * c];
    let mut base = vec![0.0; c];
    for (p, &(i, j)) in pair_of.iter().enumerate() {
        m[p * c + i] += 1.0;
        m[p * c + j] -= 1.0;
        base[j] += 1.0;
    }
    let m = konst(vec![pairs, c], m, format!("{}.vote_matrix", node.ctx.name));
    let base = konst(vec![c], base, format!("{}.vote_base", node.ctx.name));
    let votes = emit_tmp(
        ctx,
        node,
        "svm/votes",
        vec![n, c],
        IrOp::MatMul { bias: Some(base) },
        vec![a, Arg::Const(m)],
    );
    let label = ml::label_of(ctx, node, votes, &labels);
    let scores = ml::post_transform(ctx, node, s, &post)?;
    Ok(vec![label, ml::output(ctx, node, 1, scores)])
}
