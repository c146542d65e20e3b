//! ONNX `Resize` (and `Upsample`, its opset-9 form): separable per axis. Each resized axis maps its input line
//! to its output line by constant weights: `nearest` is a `Gather` (a copy, free in the
//! proof); `linear` and `cubic` (with antialiasing, `exclude_outside`, any coordinate
//! transformation) are a `MatMul` by a constant `[d_in, d_out]` matrix along that axis, which
//! the prover checks as it checks any constant-weight layer. `tf_crop_and_resize` positions
//! outside the input take `extrapolation_value` through a zero column plus a constant.

use runtime::shape::{numel, positions};

use super::emit_tmp;
use crate::builder::{Ctx, Node};
use crate::consts::{self, norm_axis};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// The geometry and filter of one node.
struct Spec {
    mode: String,
    transform: String,
    nearest: String,
    cubic_a: f64,
    exclude_outside: bool,
    antialias: bool,
}

/// Output element `o` of an axis: `Some(weights over input indices)`, or `None` when it lies
/// outside the input (`tf_crop_and_resize`).
pub(crate) type Line = Option<Vec<(usize, f64)>>;

/// Where output `o` samples the input axis (`d_in` long, `d_out` resized, scale `s`, `roi`
/// start and end for `tf_crop_and_resize`).
fn source(spec: &Spec, o: usize, d_in: usize, d_out: usize, s: f64, roi: (f64, f64)) -> f64 {
    let (o, din, dout) = (o as f64, d_in as f64, d_out as f64);
    match spec.transform.as_str() {
        "asymmetric" => o / s,
        // The resized length here is `d_in * s`, not rounded (as onnx's reference computes it).
        "align_corners" if din * s <= 1.0 => 0.0,
        "align_corners" => o * (din - 1.0) / (din * s - 1.0),
        "pytorch_half_pixel" if d_out == 1 => 0.0,
        "half_pixel_symmetric" => {
            let adjust = dout / (s * din);
            let center = din / 2.0;
            center * (1.0 - adjust) + (o + 0.5) / s - 0.5
        }
        "tf_crop_and_resize" if d_out == 1 => 0.5 * (roi.0 + roi.1) * (din - 1.0),
        "tf_crop_and_resize" => {
            roi.0 * (din - 1.0) + o * (roi.1 - roi.0) * (din - 1.0) / (dout - 1.0)
        }
        // half_pixel (the default) and pytorch_half_pixel with more than one output
        _ => (o + 0.5) / s - 0.5,
    }
}

/// The cubic convolution kernel with coefficient `a` at distance `t`.
fn cubic(a: f64, t: f64) -> f64 {
    let t = t.abs();
    if t <= 1.0 {
        ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
    } else if t < 2.0 {
        ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
    } else {
        0.0
    }
}

/// The weights of every output element of one axis.
fn lines(spec: &Spec, d_in: usize, d_out: usize, s: f64, roi: (f64, f64)) -> Vec<Line> {
    let last = d_in as i64 - 1;
    (0..d_out)
        .map(|o| {
            let x = source(spec, o, d_in, d_out, s, roi);
            if spec.transform == "tf_crop_and_resize" && (x < 0.0 || x > last as f64) {
                return None;
            }
            if spec.mode == "nearest" {
                let f = x.floor();
                let i = match spec.nearest.as_str() {
                    "floor" => f,
                    "ceil" => x.ceil(),
                    "round_prefer_ceil" if x - f == 0.5 => f + 1.0,
                    "round_prefer_ceil" => x.round(),
                    _ if x - f == 0.5 => f,
                    _ => x.round(),
                };
                return Some(vec![((i as i64).clamp(0, last) as usize, 1.0)]);
            }
            let kernel = |t: f64| match spec.mode.as_str() {
                "cubic" => cubic(spec.cubic_a, t),
                _ => (1.0 - t.abs()).max(0.0),
            };
            // The filter's reach in input samples (wider when antialiasing a downscale).
            let stretch = if spec.antialias && s < 1.0 { s } else { 1.0 };
            let reach = if spec.mode == "cubic" { 2.0 } else { 1.0 } / stretch;
            let (lo, hi) = ((x - reach).floor() as i64, (x + reach).ceil() as i64);
            let mut w: Vec<(i64, f64)> = (lo..=hi)
                .map(|i| (i, kernel((i as f64 - x) * stretch)))
                .filter(|&(_, v)| v != 0.0)
                .collect();
            // Outside the input, samples repeat the edge (unless excluded).
            if spec.exclude_outside {
                w.retain(|&(i, _)| (0..=last).contains(&i));
            }
            let total: f64 = w.iter().map(|&(_, v)| v).sum();
            let norm =
                if total != 0.0 && (spec.exclude_outside || stretch < 1.0) { total } else { 1.0 };
            Some(w.into_iter().map(|(i, v)| (i.clamp(0, last) as usize, v / norm)).collect())
        })
        .collect()
}

/// ONNX `Resize` (opset 10 and from 11: `roi`, `scales` or `sizes` as constant inputs).
pub fn resize(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let shape = ctx.graph.shape(&x).to_vec();
    let r = shape.len();
    let given = |i: usize, what: &str| -> Result<Option<Vec<f64>>, TranspileError> {
        Ok(node.opt_const(i, what)?.map(|c| c.data.clone()).filter(|d| !d.is_empty()))
    };
    let (roi, scales, sizes) = if node.opset < 11 {
        (None, given(1, "scales")?, None)
    } else {
        (given(1, "roi")?, given(2, "scales")?, given(3, "sizes")?)
    };
    let axes: Vec<usize> = match node.attrs.ints("axes")? {
        Some(a) => a
            .iter()
            .map(|&v| norm_axis(v, r).map_err(|e| node.ctx.attr("axes", e)))
            .collect::<Result<_, _>>()?,
        None => (0..r).collect(),
    };
    let spec =
        Spec {
            mode: node.attrs.string("mode")?.unwrap_or_else(|| "nearest".into()),
            transform: node.attrs.string("coordinate_transformation_mode")?.unwrap_or_else(|| {
                if node.opset < 11 { "asymmetric" } else { "half_pixel" }.into()
            }),
            // Before opset 11 (Resize-10, Upsample) nearest takes the floor.
            nearest: node.attrs.string("nearest_mode")?.unwrap_or_else(|| {
                if node.opset < 11 { "floor" } else { "round_prefer_floor" }.into()
            }),
            cubic_a: node.attrs.float_or("cubic_coeff_a", -0.75)?,
            exclude_outside: node.attrs.int_or("exclude_outside", 0)? != 0,
            antialias: node.attrs.int_or("antialias", 0)? != 0,
        };
    if !matches!(spec.mode.as_str(), "nearest" | "linear" | "cubic") {
        return Err(node.ctx.attr("mode", format!("'{}' is not supported", spec.mode)));
    }
    let extrapolation = node.attrs.float_or("extrapolation_value", 0.0)?;
    let policy = node.attrs.string("keep_aspect_ratio_policy")?.unwrap_or_else(|| "stretch".into());
    let dims: Vec<f64> = axes.iter().map(|&a| shape[a] as f64).collect();
    // Output sizes and scales per listed axis.
    let (outs, factors): (Vec<usize>, Vec<f64>) = match (&scales, &sizes) {
        (_, Some(sz)) => {
            if sz.len() != axes.len() {
                return Err(node.ctx.shape(format!("{} sizes for {} axes", sz.len(), axes.len())));
            }
            let ratios: Vec<f64> = sz.iter().zip(&dims).map(|(o, d)| o / d).collect();
            let common = match policy.as_str() {
                "stretch" => None,
                "not_larger" => ratios.iter().copied().reduce(f64::min),
                "not_smaller" => ratios.iter().copied().reduce(f64::max),
                p => return Err(node.ctx.attr("keep_aspect_ratio_policy", format!("'{p}'"))),
            };
            match common {
                None => (sz.iter().map(|&o| o as usize).collect(), ratios),
                Some(c) => (
                    dims.iter().map(|d| (c * d + 0.5).floor() as usize).collect(),
                    vec![c; axes.len()],
                ),
            }
        }
        (Some(sc), None) => {
            if sc.len() != axes.len() {
                return Err(node.ctx.shape(format!("{} scales for {} axes", sc.len(), axes.len())));
            }
            let roi_len = |k: usize| match (&roi, spec.transform.as_str()) {
                (Some(v), "tf_crop_and_resize") => {
                    v.get(k + axes.len()).zip(v.get(k)).map_or(1.0, |(e, s)| e - s)
                }
                _ => 1.0,
            };
            let outs = dims
                .iter()
                .zip(sc)
                .enumerate()
                .map(|(k, (d, s))| (d * roi_len(k) * s).floor() as usize);
            (outs.collect(), sc.clone())
        }
        (None, None) => return Err(node.ctx.shape("neither scales nor sizes is given")),
    };
    if factors.iter().any(|&f| !(f.is_finite() && f > 0.0)) || outs.contains(&0) {
        return Err(node.ctx.shape(format!("scales {factors:?}, output sizes {outs:?}")));
    }
    let mut out_shape = shape.clone();
    for (k, &a) in axes.iter().enumerate() {
        out_shape[a] = outs[k];
    }
    if numel(&out_shape).is_none() {
        return Err(node.ctx.shape(format!("output shape {out_shape:?} is too large")));
    }
    let mut y = x;
    let mut outside: Vec<Vec<bool>> = shape.iter().map(|&d| vec![false; d]).collect();
    for (k, &a) in axes.iter().enumerate() {
        let roi_k = match &roi {
            Some(v) => {
                (v.get(k).copied().unwrap_or(0.0), v.get(k + axes.len()).copied().unwrap_or(1.0))
            }
            None => (0.0, 1.0),
        };
        if spec.mode != "nearest" && shape[a].saturating_mul(outs[k]) > 1 << 24 {
            return Err(node.ctx.unsupported(format!(
                "interpolating an axis of {} into {} (a matrix of more than 2^24 weights)",
                shape[a], outs[k]
            )));
        }
        let ls = lines(&spec, shape[a], outs[k], factors[k], roi_k);
        outside[a] = ls.iter().map(Option::is_none).collect();
        let copies: Option<Vec<usize>> = ls
            .iter()
            .map(|l| match l.as_deref() {
                Some(&[(i, 1.0)]) => Some(i),
                _ => None,
            })
            .collect();
        y = match copies {
            Some(idx) => super::movement::take(ctx, node, y, a, idx, &format!("resize{a}"))?,
            None => along(ctx, node, y, a, shape[a], &ls)?,
        };
    }
    if outside.iter().all(|v| v.iter().all(|&o| !o)) || extrapolation == 0.0 {
        return Ok(vec![y]);
    }
    let fill: Vec<f64> = positions(&out_shape)
        .iter()
        .map(|p| if p.iter().zip(&outside).any(|(&i, v)| v[i]) { extrapolation } else { 0.0 })
        .collect();
    let fill =
        ConstTensor { shape: out_shape.clone(), data: fill, dtype: DType::Float, name: None };
    Ok(vec![match y {
        Arg::Const(c) => {
            Arg::Const(consts::binary(&c, &fill, |p, q| p + q).map_err(|e| node.ctx.shape(e))?)
        }
        d @ Arg::Dyn(_) => {
            emit_tmp(ctx, node, "extrapolate", out_shape, IrOp::Add, vec![d, Arg::Const(fill)])
        }
    }])
}

/// `y` with axis `a` (`d_in` long) replaced by the weighted sums `ls` (an output outside the
/// input sums nothing): a `MatMul` by the constant `[d_in, d_out]` matrix, between transposes
/// that bring the axis last (folded for constants).
pub(crate) fn along(
    ctx: &mut Ctx,
    node: &Node<'_>,
    y: Arg,
    a: usize,
    d_in: usize,
    ls: &[Line],
) -> Result<Arg, TranspileError> {
    let d_out = ls.len();
    // A dense matrix: refuse one past 2^24 weights (an axis of thousands of elements).
    if d_in.checked_mul(d_out).is_none_or(|n| n > 1 << 24) {
        return Err(node.ctx.unsupported(format!(
            "interpolating an axis of {d_in} into {d_out} (a matrix of more than 2^24 weights)"
        )));
    }
    let mut m = vec![0.0; d_in * d_out];
    for (o, l) in ls.iter().enumerate() {
        for &(i, w) in l.iter().flatten() {
            m[i * d_out + o] += w;
        }
    }
    let shape = ctx.graph.shape(&y).to_vec();
    let r = shape.len();
    let mut perm: Vec<usize> = (0..r).collect();
    perm.swap(a, r - 1);
    let mut out = shape.clone();
    out[a] = d_out;
    if let Arg::Const(c) = &y {
        let inner: usize = shape[a + 1..].iter().product();
        let outer: usize = shape[..a].iter().product();
        let mut data = vec![0.0; outer * d_out * inner];
        for b in 0..outer {
            for i in 0..d_in {
                for o in 0..d_out {
                    let w = m[i * d_out + o];
                    if w != 0.0 {
                        for k in 0..inner {
                            data[(b * d_out + o) * inner + k] +=
                                w * c.data[(b * d_in + i) * inner + k];
                        }
                    }
                }
            }
        }
        return Ok(Arg::Const(ConstTensor { shape: out, data, dtype: DType::Float, name: None }));
    }
    let weights = Arg::Const(ConstTensor {
        shape: vec![d_in, d_out],
        data: m,
        dtype: DType::Float,
        name: None,
    });
    let moved = |s: &[usize]| perm.iter().map(|&p| s[p]).collect::<Vec<usize>>();
    let t = if a + 1 == r {
        y
    } else {
        emit_tmp(
            ctx,
            node,
            &format!("axis{a}"),
            moved(&shape),
            IrOp::Transpose(perm.clone()),
            vec![y],
        )
    };
    let mut mshape = moved(&shape);
    mshape[r - 1] = d_out;
    let z = emit_tmp(
        ctx,
        node,
        &format!("interp{a}"),
        mshape.clone(),
        IrOp::MatMul { bias: None },
        vec![t, weights],
    );
    Ok(if a + 1 == r {
        z
    } else {
        emit_tmp(ctx, node, &format!("back{a}"), out, IrOp::Transpose(perm), vec![z])
    })
}
