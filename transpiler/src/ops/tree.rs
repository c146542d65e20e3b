//! Tree ensembles of the `ai.onnx.ml` domain (`TreeEnsembleClassifier`,
//! `TreeEnsembleRegressor`), as scikit-learn, XGBoost and LightGBM export them, spelled out in
//! ops the prover already checks.
//!
//! Every branch node of every tree is tested at once: the features are gathered into one
//! vector and compared with the thresholds by [`IrOp::Above`] (exactly 0 or 1; see "Ties"
//! below); a node's decision ("take the true branch") is an affine function of its tests. A leaf is reached exactly when every condition on its path
//! holds; as the conditions are 0 / 1, their sum equals the path's length on the leaf reached
//! and is smaller on every other, so the leaf's indicator is `relu(sum - (length - 1))`: one
//! `MatMul` of the tests by a constant matrix of path coefficients (+-1), with the path
//! constants as bias, and a `Relu`, which the prover fuses into one node per leaf. Exactly one
//! leaf of each tree has indicator 1, so the ensemble's sum is one `MatMul` of the leaf
//! indicators with the constant leaf-weight matrix (plus base values as its bias).
//!
//! Cost per sample: the tests (a few nodes per branch node: difference, clip, scale), one node
//! per leaf and one per output; the path matrix costs the prover nothing beyond that (its
//! non-zero coefficients, the sum of the path lengths, cost the verifier one multiplication
//! each). Trees are grouped so that each group's block of the matrix stays small.
//!
//! Ties: the input is quantised to `q = round(x 2^s)` and the threshold the same way, `T =
//! round(t 2^s)`; `x <= t` is decided as `q <= T`, `x < t` as `q < T` (and `>`, `>=` as their
//! negations, `==` as both). An input equal to the threshold (XGBoost and LightGBM cut at data
//! values) takes the branch float takes, as do inputs and thresholds on the grid; an input
//! within one unit `2^-s` of a threshold, not equal to it, may fall on the other side.
//! Missing values (NaN) cannot occur in a fixed-point input, so
//! `nodes_missing_value_tracks_true` is read and has no effect.

use std::collections::{HashMap, HashSet};

use super::composite::binary;
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

/// The threshold tests of every branch node (in the order of `branches`): `[N, K]` of
/// [`IrOp::Above`] for each node's first test, then, when some node tests equality, `[N, K]`
/// of the strict tests `x > t`. Each is exactly 0 or 1.
fn tests(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: &Forest,
    branches: &[usize],
) -> (Arg, Option<Arg>) {
    let b: Vec<Branch> = branches.iter().filter_map(|&k| f.nodes[k]).collect();
    let k = b.len();
    let xs = gather(ctx, node, x, b.iter().map(|b| b.feature).collect(), "tree/features");
    let n = ctx.graph.shape(&xs)[0];
    let first = b.iter().map(|b| (b.threshold, b.mode.first().0)).collect();
    let a1 = emit_tmp(ctx, node, "tree/above", vec![n, k], IrOp::Above(first), vec![xs.clone()]);
    let a2 = b.iter().any(|b| b.mode.second() != 0.0).then(|| {
        let second = b.iter().map(|b| (b.threshold, true)).collect();
        emit_tmp(ctx, node, "tree/above_strict", vec![n, k], IrOp::Above(second), vec![xs])
    });
    (a1, a2)
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

/// Largest `tests x leaves` matrix of one indicator product: trees are taken in groups whose
/// block of the (block-diagonal) path matrix stays this small.
const BLOCK_ENTRIES: usize = 1 << 20;

/// A leaf's path as a linear form of the tests: `(test column, coefficient)` terms and a
/// constant, such that it is 1 on the leaf the sample reaches and at most 0 on the others.
struct Path {
    leaf: usize,
    terms: Vec<(usize, f64)>,
    constant: f64,
}

/// The paths of one tree's leaves. A branch node's decision ("take the true branch") is
/// `c + m a1 + m2 a2` in its tests (see [`Mode`]); along a path, the sum of the conditions met
/// (the decision for a true branch, one minus it for a false one) equals the path's length
/// exactly on the leaf reached and is smaller elsewhere, so `relu(sum - (length - 1))` is 1 on
/// the leaf reached and 0 on every other.
fn paths(f: &Forest, root: usize, pos: &HashMap<usize, usize>, k: usize) -> Vec<Path> {
    let mut out = Vec::new();
    // (node, terms, constant, length)
    let mut stack = vec![(root, Vec::new(), 0.0, 0usize)];
    while let Some((at, terms, constant, len)) = stack.pop() {
        let Some(b) = f.nodes[at] else {
            out.push(Path { leaf: at, terms, constant: constant - (len as f64 - 1.0) });
            continue;
        };
        let p = pos[&at];
        let (_, c, m) = b.mode.first();
        let m2 = b.mode.second();
        let mut decision = vec![(p, m)];
        if m2 != 0.0 {
            decision.push((k + p, m2));
        }
        let mut yes = terms.clone();
        yes.extend(decision.iter().copied());
        let mut no = terms;
        no.extend(decision.iter().map(|&(j, w)| (j, -w)));
        stack.push((b.no, no, constant + 1.0 - c, len + 1));
        stack.push((b.yes, yes, constant + c, len + 1));
    }
    out
}

/// The leaf indicators of every reachable leaf (see [`Leaves`]): the tests, then per group of
/// trees one `MatMul` of the tests by the constant path matrix (coefficients +-1 where a
/// leaf's path reads a test) with the path constants as bias, and a `Relu`.
fn leaf_indicators(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    f: &Forest,
) -> Result<Leaves, TranspileError> {
    let constant_leaves: Vec<usize> =
        f.roots.iter().copied().filter(|&k| f.nodes[k].is_none()).collect();
    let mut branches = Vec::new();
    let mut stack: Vec<usize> = f.roots.iter().rev().copied().collect();
    while let Some(k) = stack.pop() {
        if let Some(b) = f.nodes[k] {
            branches.push(k);
            stack.extend([b.no, b.yes]);
        }
    }
    if branches.is_empty() {
        return Ok(Leaves { ind: None, leaves: Vec::new(), constant: constant_leaves });
    }
    let k = branches.len();
    let pos: HashMap<usize, usize> = branches.iter().enumerate().map(|(i, &b)| (b, i)).collect();
    let (a1, a2) = tests(ctx, node, x, f, &branches);
    let a = match a2 {
        Some(a2) => concat(ctx, node, vec![a1, a2], "tree/tests"),
        None => a1,
    };
    let n = ctx.graph.shape(&a)[0];
    let trees: Vec<Vec<Path>> =
        f.roots.iter().filter(|&&r| f.nodes[r].is_some()).map(|&r| paths(f, r, &pos, k)).collect();
    // Groups of consecutive trees whose block stays within BLOCK_ENTRIES.
    let mut groups: Vec<Vec<&Vec<Path>>> = vec![Vec::new()];
    let (mut cols, mut rows) = (0usize, 0usize);
    for t in &trees {
        let mut tc: Vec<usize> = t.iter().flat_map(|p| p.terms.iter().map(|&(j, _)| j)).collect();
        tc.sort_unstable();
        tc.dedup();
        let last = groups.last().map_or(0, Vec::len);
        if last > 0 && (cols + tc.len()) * (rows + t.len()) > BLOCK_ENTRIES {
            groups.push(Vec::new());
            (cols, rows) = (0, 0);
        }
        cols += tc.len();
        rows += t.len();
        if let Some(g) = groups.last_mut() {
            g.push(t);
        }
    }
    let (mut parts, mut leaves) = (Vec::new(), Vec::new());
    for (gi, group) in groups.iter().enumerate() {
        let paths: Vec<&Path> = group.iter().flat_map(|t| t.iter()).collect();
        let mut used: Vec<usize> =
            paths.iter().flat_map(|p| p.terms.iter().map(|&(j, _)| j)).collect();
        used.sort_unstable();
        used.dedup();
        let col: HashMap<usize, usize> = used.iter().enumerate().map(|(i, &j)| (j, i)).collect();
        let (r, l) = (used.len(), paths.len());
        let mut w = vec![0.0; r * l];
        for (c, p) in paths.iter().enumerate() {
            for &(j, v) in &p.terms {
                w[col[&j] * l + c] += v;
            }
        }
        let bias = ConstTensor {
            shape: vec![l],
            data: paths.iter().map(|p| p.constant).collect(),
            dtype: DType::Float,
            name: Some(format!("{}.path_constants{gi}", node.ctx.name)),
        };
        let tg = gather(ctx, node, a.clone(), used, &format!("tree/tests{gi}"));
        let m = konst(vec![r, l], w, format!("{}.paths{gi}", node.ctx.name));
        let sum = emit_tmp(
            ctx,
            node,
            &format!("tree/path_sum{gi}"),
            vec![n, l],
            IrOp::MatMul { bias: Some(bias) },
            vec![tg, m],
        );
        parts.push(emit_tmp(
            ctx,
            node,
            &format!("tree/leaf{gi}"),
            vec![n, l],
            IrOp::Relu,
            vec![sum],
        ));
        leaves.extend(paths.iter().map(|p| p.leaf));
    }
    let ind = concat(ctx, node, parts, "tree/leaves");
    Ok(Leaves { ind: Some(ind), leaves, constant: constant_leaves })
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
