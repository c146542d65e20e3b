//! Data movement lowered to per-axis `Gather`s with constant indices (and `Reshape` /
//! `Transpose`): Slice, Split, Tile, Expand, Pad (edge, reflect, wrap; constant through
//! `Concat` with constant blocks), DepthToSpace and SpaceToDepth. Every output element is a
//! copy of an input element, so the prover only remaps addresses (no trace rows); constant
//! inputs are folded at compile time.

use runtime::shape::numel;

use super::emit_tmp;
use crate::builder::{Ctx, Node};
use crate::consts::{self, norm_axis};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// `x` with axis `axis` replaced by the elements at `idx` (in order, repeats allowed): a
/// `Gather` with a one-dimensional index list, folded for constants and skipped when `idx` is
/// the whole axis in order.
pub(crate) fn take(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    axis: usize,
    idx: Vec<usize>,
    suffix: &str,
) -> Result<Arg, TranspileError> {
    let s = ctx.graph.shape(&x).to_vec();
    if idx.len() == s[axis] && idx.iter().enumerate().all(|(k, &i)| k == i) {
        return Ok(x);
    }
    if idx.is_empty() {
        return Err(node.ctx.unsupported(format!("an empty result along axis {axis}")));
    }
    let mut shape = s.clone();
    shape[axis] = idx.len();
    if numel(&shape).is_none() {
        return Err(node.ctx.shape(format!("output shape {shape:?} is too large")));
    }
    let n = idx.len();
    Ok(match x {
        Arg::Const(c) => {
            let ids = ConstTensor {
                shape: vec![n],
                data: idx.iter().map(|&i| i as f64).collect(),
                dtype: DType::Int,
                name: None,
            };
            Arg::Const(consts::gather(&c, &ids, axis).map_err(|e| node.ctx.shape(e))?)
        }
        d @ Arg::Dyn(_) => {
            emit_tmp(ctx, node, suffix, shape, IrOp::Gather(axis, idx, vec![n]), vec![d])
        }
    })
}

/// A reshape of `x` (folded for constants, skipped when the shape is already `shape`).
pub(crate) fn reshape(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    shape: Vec<usize>,
    suffix: &str,
) -> Arg {
    if ctx.graph.shape(&x) == shape.as_slice() {
        return x;
    }
    match x {
        Arg::Const(mut c) => {
            c.shape = shape;
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) => emit_tmp(ctx, node, suffix, shape, IrOp::Reshape, vec![d]),
    }
}

/// Integers of a constant input, saturated to `±2^53` (Slice bounds are often `INT64_MAX`).
fn saturating_ints(c: &ConstTensor) -> Result<Vec<i64>, String> {
    const MAX: f64 = 9_007_199_254_740_992.0;
    c.data
        .iter()
        .map(|&v| {
            if v.fract() == 0.0 {
                Ok(v.clamp(-MAX, MAX) as i64)
            } else {
                Err(format!("{v} is not an integer"))
            }
        })
        .collect()
}

/// Distinct axes, normalised.
fn axes_of(node: &Node<'_>, axes: &[i64], rank: usize) -> Result<Vec<usize>, TranspileError> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let a = norm_axis(a, rank).map_err(|e| node.ctx.attr("axes", e))?;
        if out.contains(&a) {
            return Err(node.ctx.attr("axes", format!("axis {a} is repeated")));
        }
        out.push(a);
    }
    Ok(out)
}

/// The indices ONNX `Slice` selects from an axis of length `d`.
pub(crate) fn slice_indices(d: usize, start: i64, end: i64, step: i64) -> Vec<usize> {
    if d == 0 || step == 0 {
        return Vec::new();
    }
    let d = d as i64;
    let norm = |v: i64| if v < 0 { v + d } else { v };
    let (start, end) = (norm(start), norm(end));
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, end) = (start.clamp(0, d), end.clamp(0, d));
        while i < end {
            out.push(i as usize);
            i += step;
        }
    } else {
        let (mut i, end) = (start.clamp(0, d - 1), end.clamp(-1, d - 1));
        while i > end {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// ONNX `Slice` (starts, ends, axes and steps as attributes before opset 10, as constant
/// inputs from it).
pub fn slice(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let ints = |i: usize, what: &str| -> Result<Option<Vec<i64>>, TranspileError> {
        match node.opt_const(i, what)? {
            Some(c) => saturating_ints(c).map(Some).map_err(|e| node.ctx.shape(e)),
            None => Ok(None),
        }
    };
    let (starts, ends, axes, steps) = if node.opset < 10 {
        let req = |n: &str| node.attrs.ints(n)?.ok_or_else(|| node.ctx.attr(n, "required"));
        (req("starts")?, req("ends")?, node.attrs.ints("axes")?, None)
    } else {
        let req = |i: usize, n: &str| {
            ints(i, n)?.ok_or_else(|| node.ctx.shape(format!("{n} is required")))
        };
        (req(1, "starts")?, req(2, "ends")?, ints(3, "axes")?, ints(4, "steps")?)
    };
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(node.ctx.shape("starts, ends, axes and steps differ in length"));
    }
    let axes = axes_of(node, &axes, s.len())?;
    let mut y = x;
    for (k, &a) in axes.iter().enumerate() {
        if steps[k] == 0 {
            return Err(node.ctx.shape("a step of 0"));
        }
        let idx = slice_indices(s[a], starts[k], ends[k], steps[k]);
        y = take(ctx, node, y, a, idx, &format!("slice{a}"))?;
    }
    Ok(vec![y])
}

/// ONNX `Split` (sizes from the `split` attribute before opset 13, the `split` input from it,
/// or `num_outputs` from opset 18; equal parts otherwise).
pub fn split(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let axis =
        norm_axis(node.attrs.int_or("axis", 0)?, s.len()).map_err(|e| node.ctx.attr("axis", e))?;
    let d = s[axis];
    let given = if node.opset < 13 {
        node.attrs.ints("split")?
    } else {
        node.opt_const(1, "split")?
            .map(|c| c.as_ints())
            .transpose()
            .map_err(|e| node.ctx.shape(e))?
    };
    let n_out = node.outputs.len();
    let sizes: Vec<usize> = match (given, node.attrs.int("num_outputs")?) {
        (Some(v), _) => {
            if v.iter().any(|&x| x < 0) || v.iter().sum::<i64>() != d as i64 {
                return Err(node.ctx.shape(format!("split sizes {v:?} do not add up to {d}")));
            }
            v.into_iter().map(|x| x as usize).collect()
        }
        (None, Some(n)) => {
            if n < 1 || n as usize > d.max(1) {
                return Err(node.ctx.attr("num_outputs", format!("{n} parts of an axis of {d}")));
            }
            let part = d.div_ceil(n as usize);
            (0..n as usize).map(|k| part.min(d.saturating_sub(k * part))).collect()
        }
        (None, None) => {
            if n_out == 0 || d % n_out != 0 {
                return Err(node.ctx.shape(format!("{d} does not split into {n_out} equal parts")));
            }
            vec![d / n_out; n_out]
        }
    };
    if sizes.len() != n_out {
        return Err(node.ctx.shape(format!("{} parts for {n_out} outputs", sizes.len())));
    }
    let mut out = Vec::with_capacity(n_out);
    let mut at = 0;
    for (k, &len) in sizes.iter().enumerate() {
        out.push(take(ctx, node, x.clone(), axis, (at..at + len).collect(), &format!("part{k}"))?);
        at += len;
    }
    Ok(out)
}

/// ONNX `Tile` (constant repeats).
pub fn tile(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let reps = node.const_input(1, "repeats")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    if reps.len() != s.len() || reps.iter().any(|&r| r < 1) {
        return Err(node.ctx.shape(format!("repeats {reps:?} for shape {s:?}")));
    }
    let mut y = x;
    for (a, (&d, &r)) in s.iter().zip(&reps).enumerate() {
        let n = d.checked_mul(r as usize).filter(|&n| n <= 1 << 28);
        let n = n.ok_or_else(|| node.ctx.shape("repeats too large"))?;
        y = take(ctx, node, y, a, (0..n).map(|i| i % d.max(1)).collect(), &format!("tile{a}"))?;
    }
    Ok(vec![y])
}

/// ONNX `Expand` (a constant target shape, broadcast both ways as numpy does).
pub fn expand(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let want = node.const_input(1, "shape")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    if want.iter().any(|&d| d < 0) {
        return Err(node.ctx.shape(format!("target shape {want:?}")));
    }
    let rank = s.len().max(want.len());
    let pad = |v: &[usize]| -> Vec<usize> {
        let mut p = vec![1; rank - v.len()];
        p.extend_from_slice(v);
        p
    };
    let xs = pad(&s);
    let ws = pad(&want.iter().map(|&d| d as usize).collect::<Vec<_>>());
    if numel(&ws).is_none() {
        return Err(node.ctx.shape(format!("target shape {want:?} is too large")));
    }
    let mut y = if xs.len() == s.len() { x } else { reshape(ctx, node, x, xs.clone(), "rank") };
    for a in 0..rank {
        match (xs[a], ws[a]) {
            (p, q) if p == q || q == 1 => {}
            (1, q) => y = take(ctx, node, y, a, vec![0; q], &format!("expand{a}"))?,
            (p, q) => {
                return Err(node.ctx.shape(format!("dimension {p} does not broadcast to {q}")))
            }
        }
    }
    Ok(vec![y])
}

/// Per element of `shape` (row-major): whether its position along every axis `a` is marked
/// in `inside[a]` (a mask of the elements that come from the input, for constant padding and
/// transposed convolutions' spread inputs).
pub(crate) fn inside_mask(shape: &[usize], inside: &[Vec<bool>]) -> Vec<bool> {
    runtime::shape::positions(shape)
        .iter()
        .map(|pos| pos.iter().zip(inside).all(|(&p, v)| v[p]))
        .collect()
}

/// ONNX `Pad`: modes `constant` (default), `reflect`, `edge` and `wrap`; negative pads crop.
/// Constant padding gathers the nearest edge element, then multiplies by a 0/1 mask and adds
/// the constant where the mask is 0 (exact: a product by 0 or 1), so that every output element
/// comes from a proven op.
pub fn pad(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let mode = node.attrs.string("mode")?.unwrap_or_else(|| "constant".into());
    let (pads, value, axes) = if node.opset < 11 {
        let pads = node.attrs.ints("pads")?.ok_or_else(|| node.ctx.attr("pads", "required"))?;
        (pads, node.attrs.float_or("value", 0.0)?, None)
    } else {
        let pads = node.const_input(1, "pads")?.as_ints().map_err(|e| node.ctx.shape(e))?;
        let value = match node.opt_const(2, "constant_value")? {
            Some(c) => c.data.first().copied().unwrap_or(0.0),
            None => 0.0,
        };
        let axes = node.opt_const(3, "axes")?.map(|c| c.as_ints()).transpose();
        (pads, value, axes.map_err(|e| node.ctx.shape(e))?)
    };
    let axes = match axes {
        Some(a) => axes_of(node, &a, s.len())?,
        None => (0..s.len()).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(node.ctx.shape(format!("{} pads for {} axes", pads.len(), axes.len())));
    }
    if !matches!(mode.as_str(), "constant" | "edge" | "reflect" | "wrap") {
        return Err(node.ctx.attr("mode", format!("'{mode}' is not supported")));
    }
    let mut y = x;
    // Per output axis: which positions lie inside the input (for the constant mode's mask).
    let mut inside: Vec<Vec<bool>> = Vec::with_capacity(s.len());
    let mut out_shape = s.clone();
    for (a, &d) in s.iter().enumerate() {
        let Some(k) = axes.iter().position(|&x| x == a) else {
            inside.push(vec![true; d]);
            continue;
        };
        let (d, b, e) = (d as i64, pads[k], pads[k + axes.len()]);
        if d == 0 {
            return Err(node.ctx.shape(format!("axis {a} is empty")));
        }
        let len = d + b + e;
        if !(1..=1 << 28).contains(&len) {
            return Err(node.ctx.shape(format!("pads {b}, {e} leave {len} of axis {a}")));
        }
        let src = |o: i64| -> i64 {
            let i = o - b;
            match mode.as_str() {
                _ if (0..d).contains(&i) => i,
                "wrap" => i.rem_euclid(d),
                "reflect" if d > 1 => {
                    let p = 2 * (d - 1);
                    let r = i.rem_euclid(p);
                    if r < d {
                        r
                    } else {
                        p - r
                    }
                }
                _ => i.clamp(0, d - 1),
            }
        };
        let idx = (0..len).map(|o| src(o) as usize).collect();
        y = take(ctx, node, y, a, idx, &format!("pad{a}"))?;
        inside.push((0..len).map(|o| (0..d).contains(&(o - b))).collect());
        out_shape[a] = len as usize;
    }
    if mode != "constant" || inside.iter().all(|v| v.iter().all(|&i| i)) {
        return Ok(vec![y]);
    }
    numel(&out_shape).ok_or_else(|| node.ctx.shape("output too large"))?;
    let mask = inside_mask(&out_shape, &inside);
    let tensor = |data: Vec<f64>| ConstTensor {
        shape: out_shape.clone(),
        data,
        dtype: DType::Float,
        name: None,
    };
    let ones = tensor(mask.iter().map(|&m| f64::from(u8::from(m))).collect());
    let fill = tensor(mask.iter().map(|&m| if m { 0.0 } else { value }).collect());
    Ok(vec![match y {
        Arg::Const(c) => {
            let data = c.data.iter().zip(&mask).map(|(&v, &m)| if m { v } else { value });
            Arg::Const(tensor(data.collect()))
        }
        d @ Arg::Dyn(_) => {
            let shape = out_shape.clone();
            let masked =
                emit_tmp(ctx, node, "mask", shape.clone(), IrOp::Mul, vec![d, Arg::Const(ones)]);
            if value == 0.0 {
                masked
            } else {
                emit_tmp(ctx, node, "fill", shape, IrOp::Add, vec![masked, Arg::Const(fill)])
            }
        }
    }])
}

/// ONNX `DepthToSpace` (modes DCR and CRD) and `SpaceToDepth`, as reshape, transpose, reshape.
fn depth_space(ctx: &mut Ctx, node: &Node<'_>, to_space: bool) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let b = node.attrs.int("blocksize")?.ok_or_else(|| node.ctx.attr("blocksize", "required"))?;
    let [n, c, h, w] = s[..] else {
        return Err(node.ctx.shape(format!("input of shape {s:?} is not 4-D")));
    };
    if !(1..=1 << 12).contains(&b) {
        return Err(node.ctx.attr("blocksize", format!("{b}")));
    }
    let b = b as usize;
    let mode = node.attrs.string("mode")?.unwrap_or_else(|| "DCR".into());
    let (split, perm, out) = if to_space {
        if c % (b * b) != 0 {
            return Err(node.ctx.shape(format!("{c} channels are not a multiple of {}", b * b)));
        }
        let cc = c / (b * b);
        let out = vec![n, cc, h * b, w * b];
        match mode.as_str() {
            "DCR" => (vec![n, b, b, cc, h, w], vec![0, 3, 4, 1, 5, 2], out),
            "CRD" => (vec![n, cc, b, b, h, w], vec![0, 1, 4, 2, 5, 3], out),
            m => return Err(node.ctx.attr("mode", format!("'{m}' is not DCR or CRD"))),
        }
    } else {
        if h % b != 0 || w % b != 0 {
            return Err(node.ctx.shape(format!("{h}x{w} is not a multiple of the block {b}")));
        }
        let out = vec![n, c * b * b, h / b, w / b];
        let split = vec![n, c, h / b, b, w / b, b];
        match mode.as_str() {
            "DCR" => (split, vec![0, 3, 5, 1, 2, 4], out),
            "CRD" => (split, vec![0, 1, 3, 5, 2, 4], out),
            m => return Err(node.ctx.attr("mode", format!("'{m}' is not DCR or CRD"))),
        }
    };
    let y = reshape(ctx, node, x, split.clone(), "blocks");
    let moved: Vec<usize> = perm.iter().map(|&p| split[p]).collect();
    let y = match y {
        Arg::Const(c) => Arg::Const(consts::transpose(&c, &perm)),
        d @ Arg::Dyn(_) => emit_tmp(ctx, node, "moved", moved, IrOp::Transpose(perm), vec![d]),
    };
    Ok(vec![reshape(ctx, node, y, out, "out")])
}

/// ONNX `DepthToSpace`.
pub fn depth_to_space(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    depth_space(ctx, node, true)
}

/// ONNX `SpaceToDepth`.
pub fn space_to_depth(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    depth_space(ctx, node, false)
}

/// `x` rearranged to `out` by a flat source index per output element: a `Gather` over the
/// flattened input (folded for constants).
fn flat_gather(
    ctx: &mut Ctx,
    node: &Node<'_>,
    x: Arg,
    out: Vec<usize>,
    src: Vec<usize>,
) -> Result<Arg, TranspileError> {
    let n = numel(ctx.graph.shape(&x)).ok_or_else(|| node.ctx.shape("input too large"))?;
    if numel(&out) != Some(src.len()) || src.iter().any(|&i| i >= n) {
        return Err(node.ctx.shape(format!("{} sources for output {out:?}", src.len())));
    }
    let flat = reshape(ctx, node, x, vec![n], "flat");
    let picked = take(ctx, node, flat, 0, src, "picked")?;
    Ok(reshape(ctx, node, picked, out, "out"))
}

/// Constant indices, negative ones counted from `len`, each checked against it.
fn indices_within(
    node: &Node<'_>,
    c: &ConstTensor,
    len: usize,
) -> Result<Vec<usize>, TranspileError> {
    let l = len as i64;
    c.as_ints()
        .map_err(|e| node.ctx.shape(e))?
        .into_iter()
        .map(|i| {
            let j = if i < 0 { i + l } else { i };
            if (0..l).contains(&j) {
                Ok(j as usize)
            } else {
                Err(node.ctx.shape(format!("index {i} is out of range for {len}")))
            }
        })
        .collect()
}

/// ONNX `GatherElements` (constant indices).
pub fn gather_elements(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let idx = node.const_input(1, "indices")?.clone();
    let axis =
        norm_axis(node.attrs.int_or("axis", 0)?, s.len()).map_err(|e| node.ctx.attr("axis", e))?;
    if idx.shape.len() != s.len() {
        return Err(node.ctx.shape(format!("indices {:?} for data {s:?}", idx.shape)));
    }
    let ids = indices_within(node, &idx, s[axis])?;
    let st = runtime::shape::strides(&s);
    let mut src = Vec::with_capacity(ids.len());
    for (pos, &i) in runtime::shape::positions(&idx.shape).iter().zip(&ids) {
        if pos.iter().zip(&s).enumerate().any(|(a, (&p, &d))| a != axis && p >= d) {
            return Err(node.ctx.shape(format!("indices {:?} exceed data {s:?}", idx.shape)));
        }
        src.push(pos.iter().enumerate().map(|(a, &p)| if a == axis { i } else { p } * st[a]).sum());
    }
    Ok(vec![flat_gather(ctx, node, x, idx.shape.clone(), src)?])
}

/// ONNX `GatherND` (constant indices, `batch_dims`).
pub fn gather_nd(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let idx = node.const_input(1, "indices")?.clone();
    let b = node.attrs.int_or("batch_dims", 0)?;
    let q = idx.shape.last().copied().unwrap_or(0);
    let b = usize::try_from(b).map_err(|_| node.ctx.attr("batch_dims", format!("{b}")))?;
    if idx.shape.len() < b + 1 || q == 0 || b + q > s.len() || idx.shape[..b] != s[..b] {
        return Err(node.ctx.shape(format!("indices {:?} for data {s:?}", idx.shape)));
    }
    let raw = idx.as_ints().map_err(|e| node.ctx.shape(e))?;
    let st = runtime::shape::strides(&s);
    let slice: usize = s[b + q..].iter().product();
    let tuples = raw.len() / q;
    let per_batch = tuples / s[..b].iter().product::<usize>().max(1);
    let mut src = Vec::with_capacity(tuples * slice);
    for (t, tuple) in raw.chunks(q).enumerate() {
        let batch = t / per_batch.max(1);
        let mut base = 0;
        let mut rest = batch;
        for a in (0..b).rev() {
            base += (rest % s[a]) * st[a];
            rest /= s[a];
        }
        for (k, &i) in tuple.iter().enumerate() {
            let d = s[b + k] as i64;
            let j = if i < 0 { i + d } else { i };
            if !(0..d).contains(&j) {
                return Err(node.ctx.shape(format!("index {i} is out of range for {d}")));
            }
            base += j as usize * st[b + k];
        }
        src.extend(base..base + slice);
    }
    let mut out = idx.shape[..idx.shape.len() - 1].to_vec();
    out.extend_from_slice(&s[b + q..]);
    Ok(vec![flat_gather(ctx, node, x, out, src)?])
}

/// ONNX `ReverseSequence` (constant lengths).
pub fn reverse_sequence(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let lens = node.const_input(1, "sequence_lens")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    let (bt, tt) = (node.attrs.int_or("batch_axis", 1)?, node.attrs.int_or("time_axis", 0)?);
    let ba = norm_axis(bt, s.len()).map_err(|e| node.ctx.attr("batch_axis", e))?;
    let ta = norm_axis(tt, s.len()).map_err(|e| node.ctx.attr("time_axis", e))?;
    if ba == ta || lens.len() != s[ba] || lens.iter().any(|&l| l < 0 || l as usize > s[ta]) {
        return Err(node.ctx.shape(format!("sequence_lens {lens:?} for {s:?}")));
    }
    let st = runtime::shape::strides(&s);
    let src = runtime::shape::positions(&s)
        .iter()
        .map(|p| {
            let l = lens[p[ba]] as usize;
            let t = if p[ta] < l { l - 1 - p[ta] } else { p[ta] };
            p.iter().enumerate().map(|(a, &v)| if a == ta { t } else { v } * st[a]).sum()
        })
        .collect();
    Ok(vec![flat_gather(ctx, node, x, s, src)?])
}

#[cfg(test)]
mod tests {
    use super::slice_indices;

    #[test]
    fn slice_indices_follow_the_onnx_clamping_rules() {
        assert_eq!(slice_indices(5, 1, 4, 1), vec![1, 2, 3]);
        assert_eq!(slice_indices(5, -3, i64::MAX >> 11, 1), vec![2, 3, 4]);
        assert_eq!(slice_indices(5, 0, 5, 2), vec![0, 2, 4]);
        assert_eq!(slice_indices(5, -1, -(1 << 53), -1), vec![4, 3, 2, 1, 0]);
        assert_eq!(slice_indices(5, 10, 1, -2), vec![4, 2]);
        assert_eq!(slice_indices(5, -10, 3, 1), vec![0, 1, 2]);
        assert!(slice_indices(5, 3, 3, 1).is_empty());
        assert!(slice_indices(5, 1, 3, -1).is_empty());
        assert!(slice_indices(0, 0, 1, -1).is_empty());
    }
}
