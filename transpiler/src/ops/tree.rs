//! Tree ensembles of the `ai.onnx.ml` domain (`TreeEnsembleClassifier`,
//! `TreeEnsembleRegressor`), as scikit-learn, XGBoost and LightGBM export them, spelled out in
//! ops the prover already checks.
//!
//! Every branch node of every tree is decided at once: the features are gathered into one
//! vector, compared with the thresholds by [`IrOp::Above`] (exact on the fixed-point grid, see
//! "Ties" below) and turned into 0 / 1 decisions `d` ("take the true branch"). Then, one
//! depth at a time for all trees together, the indicator of each node (1 on the path the
//! sample takes, else 0) is passed down: `true child = parent * d`, `false child = parent -
//! true child` (one run-time product per branch node, exact on 0 / 1 values). Exactly one
//! leaf of each tree has indicator 1, so the ensemble's sum is one `MatMul` of the leaf
//! indicators with the constant leaf-weight matrix (plus base values as its bias).
//!
//! Cost: per branch node about six element rows (gather, compare, clip, scale, product,
//! difference), all vectorised per depth; the program grows with the number of nodes, the
//! op count with the depth.
//!
//! Ties: with the input quantised to `x = q 2^-s`, `x <= t` is decided as `q <= floor(t 2^s)`,
//! `x < t` as `q < ceil(t 2^s)` (and `>`, `>=` as their negations, `==` as both), so a value
//! that lies on the grid (an integer feature, a threshold itself when it is on the grid)
//! takes the branch float takes. A real input closer to a threshold than one unit `2^-s` may
//! fall on the other side after quantisation. Missing values (NaN) cannot occur in a
//! fixed-point input, so `nodes_missing_value_tracks_true` is read and has no effect.

use std::collections::{HashMap, HashSet};

use super::composite::{binary, mul, scalar};
use super::{emit_tmp, ml};
use crate::builder::{Ctx, Node};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// How a branch node compares its feature with its threshold (true branch when it holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

impl Mode {
    fn parse(s: &str) -> Option<Option<Mode>> {
        Some(Some(match s {
            "BRANCH_LEQ" => Mode::Leq,
            "BRANCH_LT" => Mode::Lt,
            "BRANCH_GTE" => Mode::Gte,
            "BRANCH_GT" => Mode::Gt,
            "BRANCH_EQ" => Mode::Eq,
            "BRANCH_NEQ" => Mode::Neq,
            "LEAF" => return Some(None),
            _ => return None,
        }))
    }

    /// The [`IrOp::Above`] test read first (`x > t` or `x >= t`), and the decision as
    /// `c + m * above`.
    fn first(self) -> (bool, f64, f64) {
        match self {
            Mode::Leq => (true, 1.0, -1.0),
            Mode::Lt => (false, 1.0, -1.0),
            Mode::Gt => (true, 0.0, 1.0),
            Mode::Gte => (false, 0.0, 1.0),
            Mode::Eq => (false, 0.0, 1.0),
            Mode::Neq => (false, 1.0, -1.0),
        }
    }

    /// The factor of the second test `x > t` (only equality modes read it).
    fn second(self) -> f64 {
        match self {
            Mode::Eq => -1.0,
            Mode::Neq => 1.0,
            _ => 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Branch {
    feature: usize,
    threshold: f64,
    mode: Mode,
    yes: usize,
    no: usize,
}

/// All trees of one node, checked: every tree is a tree (one root, each node reached once).
#[derive(Debug)]
pub(crate) struct Forest {
    /// `Some` for a branch node, `None` for a leaf; indices into this vector.
    nodes: Vec<Option<Branch>>,
    /// `(target, weight)` votes of each node (leaves only).
    votes: Vec<Vec<(usize, f64)>>,
    /// The root of each tree.
    roots: Vec<usize>,
}

/// How the trees' votes combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

fn required<T>(v: Option<T>, node: &Node<'_>, name: &str) -> Result<T, TranspileError> {
    v.ok_or_else(|| node.ctx.attr(name, "required"))
}

fn index(v: i64, node: &Node<'_>, name: &str, limit: usize) -> Result<usize, TranspileError> {
    usize::try_from(v)
        .ok()
        .filter(|&i| i < limit)
        .ok_or_else(|| node.ctx.attr(name, format!("{v} is not an index below {limit}")))
}

impl Forest {
    /// Reads the `nodes_*` attributes and the `{votes}_*` leaf weights (`class` or `target`),
    /// with `features` input columns and `targets` outputs.
    pub(crate) fn parse(
        node: &Node<'_>,
        votes: &str,
        features: usize,
        targets: usize,
    ) -> Result<Forest, TranspileError> {
        let a = &node.attrs;
        let tree = required(a.ints("nodes_treeids")?, node, "nodes_treeids")?;
        let id = required(a.ints("nodes_nodeids")?, node, "nodes_nodeids")?;
        let feat = required(a.ints("nodes_featureids")?, node, "nodes_featureids")?;
        let modes = required(a.strings("nodes_modes")?, node, "nodes_modes")?;
        let values = required(a.floats_or_tensor("nodes_values")?, node, "nodes_values")?;
        let yes = required(a.ints("nodes_truenodeids")?, node, "nodes_truenodeids")?;
        let no = required(a.ints("nodes_falsenodeids")?, node, "nodes_falsenodeids")?;
        let n = tree.len();
        for (name, len) in [
            ("nodes_nodeids", id.len()),
            ("nodes_featureids", feat.len()),
            ("nodes_modes", modes.len()),
            ("nodes_values", values.len()),
            ("nodes_truenodeids", yes.len()),
            ("nodes_falsenodeids", no.len()),
        ] {
            if len != n {
                return Err(node.ctx.attr(name, format!("{len} entries for {n} nodes")));
            }
        }
        if n == 0 {
            return Err(node.ctx.attr("nodes_treeids", "no nodes"));
        }
        let mut at = HashMap::with_capacity(n);
        for k in 0..n {
            if at.insert((tree[k], id[k]), k).is_some() {
                return Err(node
                    .ctx
                    .attr("nodes_nodeids", format!("node {} of tree {} twice", id[k], tree[k])));
            }
        }
        let child = |k: usize, c: i64, name: &str| {
            at.get(&(tree[k], c)).copied().ok_or_else(|| {
                node.ctx.attr(name, format!("node {} of tree {} has no node {c}", id[k], tree[k]))
            })
        };
        let mut nodes = Vec::with_capacity(n);
        for k in 0..n {
            let mode = Mode::parse(&modes[k]).ok_or_else(|| {
                node.ctx.attr("nodes_modes", format!("unknown mode {}", modes[k]))
            })?;
            nodes.push(match mode {
                None => None,
                Some(mode) => {
                    if !values[k].is_finite() {
                        return Err(node.ctx.attr(
                            "nodes_values",
                            format!("threshold {} of node {} is not finite", values[k], id[k]),
                        ));
                    }
                    Some(Branch {
                        feature: index(feat[k], node, "nodes_featureids", features)?,
                        threshold: values[k],
                        mode,
                        yes: child(k, yes[k], "nodes_truenodeids")?,
                        no: child(k, no[k], "nodes_falsenodeids")?,
                    })
                }
            });
        }
        // Roots: nodes no branch points to, one per tree; then each node reached once.
        let mut pointed = vec![0u32; n];
        for b in nodes.iter().flatten() {
            pointed[b.yes] += 1;
            pointed[b.no] += 1;
        }
        let mut roots: Vec<usize> = (0..n).filter(|&k| pointed[k] == 0).collect();
        roots.sort_by_key(|&k| (tree[k], id[k]));
        let trees: HashSet<i64> = tree.iter().copied().collect();
        let rooted: HashSet<i64> = roots.iter().map(|&k| tree[k]).collect();
        if rooted.len() != roots.len() || rooted.len() != trees.len() {
            return Err(node.ctx.attr(
                "nodes_truenodeids",
                "the nodes do not form trees (a tree without a root or with several)",
            ));
        }
        let mut seen = vec![false; n];
        let mut stack = roots.clone();
        while let Some(k) = stack.pop() {
            if std::mem::replace(&mut seen[k], true) {
                return Err(node.ctx.attr(
                    "nodes_truenodeids",
                    format!("node {} of tree {} is reached twice", id[k], tree[k]),
                ));
            }
            if let Some(b) = nodes[k] {
                stack.extend([b.yes, b.no]);
            }
        }
        if let Some(k) = seen.iter().position(|s| !s) {
            return Err(node.ctx.attr(
                "nodes_truenodeids",
                format!("node {} of tree {} is not reachable from its root", id[k], tree[k]),
            ));
        }
        let mut votes_of = vec![Vec::new(); n];
        let p = |s: &str| format!("{votes}_{s}");
        let vt = required(a.ints(&p("treeids"))?, node, &p("treeids"))?;
        let vn = required(a.ints(&p("nodeids"))?, node, &p("nodeids"))?;
        let vi = required(a.ints(&p("ids"))?, node, &p("ids"))?;
        let vw = required(a.floats_or_tensor(&p("weights"))?, node, &p("weights"))?;
        if vn.len() != vt.len() || vi.len() != vt.len() || vw.len() != vt.len() {
            return Err(node.ctx.attr(&p("weights"), "vote attributes of different lengths"));
        }
        for j in 0..vt.len() {
            let k = at.get(&(vt[j], vn[j])).copied().ok_or_else(|| {
                node.ctx.attr(&p("nodeids"), format!("no node {} in tree {}", vn[j], vt[j]))
            })?;
            if nodes[k].is_some() {
                return Err(node.ctx.attr(
                    &p("nodeids"),
                    format!("node {} of tree {} is a branch, not a leaf", vn[j], vt[j]),
                ));
            }
            if !vw[j].is_finite() {
                return Err(node.ctx.attr(&p("weights"), format!("{} is not finite", vw[j])));
            }
            votes_of[k].push((index(vi[j], node, &p("ids"), targets)?, vw[j]));
        }
        Ok(Forest { nodes, votes: votes_of, roots })
    }

    /// Distinct targets voted for.
    pub(crate) fn voted_targets(&self) -> HashSet<usize> {
        self.votes.iter().flatten().map(|v| v.0).collect()
    }

    /// Whether every vote is non-negative.
    pub(crate) fn all_positive(&self) -> bool {
        self.votes.iter().flatten().all(|v| v.1 >= 0.0)
    }
}

fn konst(shape: Vec<usize>, data: Vec<f64>, name: String) -> Arg {
    Arg::Const(ConstTensor { shape, data, dtype: DType::Float, name: Some(name) })
}

fn gather(ctx: &mut Ctx, node: &Node<'_>, x: Arg, idx: Vec<usize>, suffix: &str) -> Arg {
    let s = ctx.graph.shape(&x).to_vec();
    if idx.len() == s[1] && idx.iter().enumerate().all(|(i, &k)| i == k) {
        return x;
    }
    let n = idx.len();
    emit_tmp(ctx, node, suffix, vec![s[0], n], IrOp::Gather(1, idx, vec![n]), vec![x])
}

/// The 0 / 1 decision of every branch node (in the order of `branches`), `[N, K]`.
fn decisions(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: &Forest,
    branches: &[usize],
) -> Result<Arg, TranspileError> {
    let b: Vec<Branch> = branches.iter().filter_map(|&k| f.nodes[k]).collect();
    let k = b.len();
    let xs = gather(ctx, node, x, b.iter().map(|b| b.feature).collect(), "tree/features");
    let n = ctx.graph.shape(&xs)[0];
    let first = b.iter().map(|b| (b.threshold, b.mode.first().0)).collect();
    let a1 = emit_tmp(ctx, node, "tree/above", vec![n, k], IrOp::Above(first), vec![xs.clone()]);
    let c: Vec<f64> = b.iter().map(|b| b.mode.first().1).collect();
    let m: Vec<f64> = b.iter().map(|b| b.mode.first().2).collect();
    let mut d = if m.iter().all(|&v| v == -1.0) && c.iter().all(|&v| v == 1.0) {
        binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(1.0), a1, "tree/decision")?
    } else if m.iter().all(|&v| v == 1.0) && c.iter().all(|&v| v == 0.0) {
        a1
    } else {
        let name = format!("{}.modes", node.ctx.name);
        let t = mul(ctx, node, a1, konst(vec![k], m, name.clone()), "tree/signed")?;
        binary(ctx, node, IrOp::Add, |p, q| p + q, t, konst(vec![k], c, name), "tree/decision")?
    };
    if b.iter().any(|b| b.mode.second() != 0.0) {
        let second = b.iter().map(|b| (b.threshold, true)).collect();
        let a2 =
            emit_tmp(ctx, node, "tree/above_strict", vec![n, k], IrOp::Above(second), vec![xs]);
        let m2 = b.iter().map(|b| b.mode.second()).collect();
        let name = format!("{}.equality", node.ctx.name);
        let t = mul(ctx, node, a2, konst(vec![k], m2, name), "tree/equal")?;
        d = binary(ctx, node, IrOp::Add, |p, q| p + q, d, t, "tree/decision_eq")?;
    }
    Ok(d)
}

/// The leaf indicators of a forest.
struct Leaves {
    /// `[N, L]`: 1 for the leaf each tree's path reaches, else 0 (none when every tree is a
    /// single leaf).
    ind: Option<Arg>,
    /// The leaf node of each column.
    leaves: Vec<usize>,
    /// Leaves that are whole trees (indicator constant 1).
    constant: Vec<usize>,
}

/// The leaf indicators of every reachable leaf (see [`Leaves`]).
fn leaf_indicators(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: &Forest,
) -> Result<Leaves, TranspileError> {
    // Branch nodes in breadth-first order, their position in the decision vector.
    let mut branches = Vec::new();
    let mut level = f.roots.clone();
    while !level.is_empty() {
        let mut next = Vec::new();
        for &k in &level {
            if let Some(b) = f.nodes[k] {
                branches.push(k);
                next.extend([b.yes, b.no]);
            }
        }
        level = next;
    }
    let constant_leaves: Vec<usize> =
        f.roots.iter().copied().filter(|&k| f.nodes[k].is_none()).collect();
    if branches.is_empty() {
        return Ok(Leaves { ind: None, leaves: Vec::new(), constant: constant_leaves });
    }
    let pos: HashMap<usize, usize> = branches.iter().enumerate().map(|(i, &k)| (k, i)).collect();
    let d = decisions(ctx, node, x, f, &branches)?;
    // Depth 1: the roots' children, from the decisions alone.
    let roots: Vec<usize> = f.roots.iter().copied().filter(|&k| f.nodes[k].is_some()).collect();
    let t = gather(ctx, node, d.clone(), roots.iter().map(|k| pos[k]).collect(), "tree/d1");
    let fl = binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(1.0), t.clone(), "tree/f1")?;
    let mut cols: Vec<usize> = roots.iter().filter_map(|&k| f.nodes[k].map(|b| b.yes)).collect();
    cols.extend(roots.iter().filter_map(|&k| f.nodes[k].map(|b| b.no)));
    let mut cur = concat(ctx, node, vec![t, fl], "tree/i1");
    cur = unit_interval(ctx, node, cur, "tree/c1");
    let (mut leaf_parts, mut leaves) = (Vec::new(), Vec::new());
    for depth in 1.. {
        let leaf_cols: Vec<usize> =
            (0..cols.len()).filter(|&j| f.nodes[cols[j]].is_none()).collect();
        if !leaf_cols.is_empty() {
            leaves.extend(leaf_cols.iter().map(|&j| cols[j]));
            let g = gather(ctx, node, cur.clone(), leaf_cols, &format!("tree/leaves{depth}"));
            leaf_parts.push(g);
        }
        let branch_cols: Vec<usize> =
            (0..cols.len()).filter(|&j| f.nodes[cols[j]].is_some()).collect();
        if branch_cols.is_empty() {
            break;
        }
        let ks: Vec<usize> = branch_cols.iter().map(|&j| cols[j]).collect();
        let p = gather(ctx, node, cur, branch_cols, &format!("tree/p{depth}"));
        let dk = gather(
            ctx,
            node,
            d.clone(),
            ks.iter().map(|k| pos[k]).collect(),
            &format!("tree/d{}", depth + 1),
        );
        let t = mul(ctx, node, p.clone(), dk, &format!("tree/t{}", depth + 1))?;
        let fl = binary(
            ctx,
            node,
            IrOp::Sub,
            |p, q| p - q,
            p,
            t.clone(),
            &format!("tree/f{}", depth + 1),
        )?;
        cols = ks.iter().filter_map(|&k| f.nodes[k].map(|b| b.yes)).collect();
        cols.extend(ks.iter().filter_map(|&k| f.nodes[k].map(|b| b.no)));
        cur = concat(ctx, node, vec![t, fl], &format!("tree/i{}", depth + 1));
        cur = unit_interval(ctx, node, cur, &format!("tree/c{}", depth + 1));
    }
    let ind = concat(ctx, node, leaf_parts, "tree/leaves");
    Ok(Leaves { ind: Some(ind), leaves, constant: constant_leaves })
}

/// `clip(v, 0, 1)`: the identity on the 0 / 1 indicators, which tells the bound analysis they
/// stay within one (without it the bound would double at every depth).
fn unit_interval(ctx: &mut Ctx, node: &Node<'_>, v: Arg, suffix: &str) -> Arg {
    let shape = ctx.graph.shape(&v).to_vec();
    emit_tmp(ctx, node, suffix, shape, IrOp::Clip(Some(0.0), Some(1.0)), vec![v])
}

fn concat(ctx: &mut Ctx, node: &Node<'_>, mut parts: Vec<Arg>, suffix: &str) -> Arg {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    let n = ctx.graph.shape(&parts[0])[0];
    let w: usize = parts.iter().map(|p| ctx.graph.shape(p)[1]).sum();
    emit_tmp(ctx, node, suffix, vec![n, w], IrOp::Concat(1), parts)
}

/// The ensemble's `[N, targets]` scores: the aggregate of the trees' votes plus `base`.
/// Targets no leaf votes for score their base value (0 without one).
pub(crate) fn scores(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: &Forest,
    targets: usize,
    agg: Aggregate,
    base: &[f64],
) -> Result<Arg, TranspileError> {
    let n = ctx.graph.shape(&x)[0];
    let Leaves { ind, leaves, constant } = leaf_indicators(ctx, node, x, f)?;
    let Some(ind) = ind else {
        return Err(node.ctx.unsupported("every tree is a single leaf (a constant model)"));
    };
    let trees = f.roots.len();
    let (width, col) = match agg {
        Aggregate::Sum | Aggregate::Average => (targets, None),
        Aggregate::Min | Aggregate::Max => {
            if !constant.is_empty() {
                return Err(node.ctx.unsupported("MIN / MAX over trees that are single leaves"));
            }
            (trees * targets, Some(tree_of_leaf(f)))
        }
    };
    let div = if agg == Aggregate::Average { trees as f64 } else { 1.0 };
    let mut w = vec![0.0; leaves.len() * width];
    for (r, &leaf) in leaves.iter().enumerate() {
        let mut voted = vec![false; targets];
        for &(t, v) in &f.votes[leaf] {
            let c = match &col {
                Some(tree) => tree[&leaf] * targets + t,
                None => t,
            };
            w[r * width + c] += v / div;
            voted[t] = true;
        }
        if col.is_some() && voted.iter().any(|v| !v) {
            return Err(node.ctx.unsupported(
                "MIN / MAX aggregation with a leaf that does not vote for every target",
            ));
        }
    }
    let mut bias = vec![0.0; width];
    for &leaf in &constant {
        for &(t, v) in &f.votes[leaf] {
            bias[t] += v / div;
        }
    }
    if col.is_none() {
        for (b, v) in bias.iter_mut().zip(base) {
            *b += v;
        }
    }
    let weights = konst(vec![leaves.len(), width], w, format!("{}.leaf_weights", node.ctx.name));
    let bias = ConstTensor {
        shape: vec![width],
        data: bias,
        dtype: DType::Float,
        name: Some(format!("{}.base_values", node.ctx.name)),
    };
    let s = emit_tmp(
        ctx,
        node,
        "tree/sum",
        vec![n, width],
        IrOp::MatMul { bias: Some(bias) },
        vec![ind, weights],
    );
    if col.is_none() {
        return Ok(s);
    }
    let per = super::movement::reshape(ctx, node, s, vec![n, trees, targets], "tree/per_tree");
    let how = if agg == Aggregate::Max {
        super::composite::Reduce::Max
    } else {
        super::composite::Reduce::Min
    };
    let r = super::composite::reduce_over(ctx, node, per, &[1], false, how)?;
    if base.iter().all(|&b| b == 0.0) {
        return Ok(r);
    }
    let b = konst(vec![targets], base.to_vec(), format!("{}.base_values", node.ctx.name));
    binary(ctx, node, IrOp::Add, |p, q| p + q, r, b, "tree/based")
}

fn tree_of_leaf(f: &Forest) -> HashMap<usize, usize> {
    let mut out = HashMap::new();
    for (t, &root) in f.roots.iter().enumerate() {
        let mut stack = vec![root];
        while let Some(k) = stack.pop() {
            match f.nodes[k] {
                Some(b) => stack.extend([b.yes, b.no]),
                None => {
                    out.insert(k, t);
                }
            }
        }
    }
    out
}

fn aggregate(node: &Node<'_>) -> Result<Aggregate, TranspileError> {
    match node.attrs.string("aggregate_function")?.as_deref().unwrap_or("SUM") {
        "SUM" => Ok(Aggregate::Sum),
        "AVERAGE" => Ok(Aggregate::Average),
        "MIN" => Ok(Aggregate::Min),
        "MAX" => Ok(Aggregate::Max),
        other => Err(node.ctx.attr("aggregate_function", format!("unknown {other}"))),
    }
}

/// The `[N, F]` input (a run-time value) and `F`.
fn features(ctx: &Ctx, node: &Node<'_>) -> Result<(Arg, usize), TranspileError> {
    let x = node.input(0)?.clone();
    if let Arg::Const(_) = x {
        return Err(node.ctx.unsupported("constant input; fold it before export"));
    }
    match *ctx.graph.shape(&x) {
        [_, f] => Ok((x, f)),
        ref s => Err(node.ctx.shape(format!("X {s:?} is not [N, F]"))),
    }
}

/// `base_values` (or its tensor form), `len` values or none (zeros).
fn base_values(node: &Node<'_>, len: usize) -> Result<Vec<f64>, TranspileError> {
    match node.attrs.floats_or_tensor("base_values")? {
        None => Ok(vec![0.0; len]),
        Some(v) if v.len() == len && v.iter().all(|b| b.is_finite()) => Ok(v),
        Some(v) => {
            Err(node.ctx.attr("base_values", format!("{} values for {len} outputs", v.len())))
        }
    }
}

/// `ai.onnx.ml.TreeEnsembleRegressor`: `[N, n_targets]` predictions (`post_transform` NONE).
pub fn tree_ensemble_regressor(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let (x, nf) = features(ctx, node)?;
    let targets = usize::try_from(node.attrs.int_or("n_targets", 1)?)
        .ok()
        .filter(|&t| t >= 1)
        .ok_or_else(|| node.ctx.attr("n_targets", "must be >= 1"))?;
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    let f = Forest::parse(node, "target", nf, targets)?;
    let base = base_values(node, targets)?;
    let s = scores(ctx, node, x, &f, targets, aggregate(node)?, &base)?;
    let s = ml::post_transform(ctx, node, s, &post)?;
    let shape = ctx.graph.shape(&s).to_vec();
    Ok(vec![super::emit(ctx, node, shape, IrOp::Reshape, vec![s])])
}

/// `ai.onnx.ml.TreeEnsembleClassifier`: `[label, scores]` as onnxruntime computes them. With
/// several classes voted for, the scores are the per-class sums (plus base values) through
/// `post_transform`, the label their first maximum. With two classes and votes for one
/// (XGBoost, LightGBM binary), the one score `s` becomes `[1 - s, s]` when every weight is
/// non-negative (label: `s > 0.5`), else `[-s, s]` or, with LOGISTIC, `[sigmoid(-s),
/// sigmoid(s)]` (label: `s > 0`).
pub fn tree_ensemble_classifier(
    ctx: &mut Ctx,
    node: &Node<'_>,
) -> Result<Vec<Arg>, TranspileError> {
    let (x, nf) = features(ctx, node)?;
    let labels = ml::class_labels(node, "classlabels_int64s", "classlabels_strings")?;
    let c = labels.len();
    let post = node.attrs.string("post_transform")?.unwrap_or_else(|| "NONE".into());
    let f = Forest::parse(node, "class", nf, c)?;
    let voted = f.voted_targets();
    let agg = aggregate(node)?;
    if c == 2 && voted.len() == 1 {
        let id = voted.iter().copied().next().unwrap_or(0);
        let base = node.attrs.floats_or_tensor("base_values")?.unwrap_or_default();
        let b = match base.len() {
            0 => 0.0,
            1 => base[0],
            2 => base[id],
            n => return Err(node.ctx.attr("base_values", format!("{n} values for 2 classes"))),
        };
        let mut bv = vec![0.0; 2];
        bv[id] = b;
        let all = scores(ctx, node, x, &f, 2, agg, &bv)?;
        let s = gather(ctx, node, all, vec![id], "tree/score");
        return ml::binary_scores(ctx, node, s, &post, f.all_positive(), &labels);
    }
    let base = base_values(node, c)?;
    let s = scores(ctx, node, x, &f, c, agg, &base)?;
    ml::classify(ctx, node, s, &post, &labels)
}
