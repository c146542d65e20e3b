//! Data movement and shape arithmetic: Flatten, Reshape, Transpose, Squeeze, Unsqueeze,
//! Concat, Identity, Dropout, and the ops folded at compile time (Shape, Gather, Cast,
//! Constant, ConstantOfShape).

use runtime::shape::numel;

use super::emit;
use crate::builder::{Ctx, Node};
use crate::consts::{self, norm_axis, reshape_target};
use crate::error::TranspileError;
use crate::graph::{Arg, IrOp};
use crate::onnx::{ConstTensor, DType};

/// A reshape of `x` to `shape` (folded for constants).
fn reshaped(ctx: &mut Ctx, node: &Node<'_>, x: Arg, shape: Vec<usize>) -> Arg {
    match x {
        Arg::Const(mut c) => {
            c.shape = shape;
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) => emit(ctx, node, shape, IrOp::Reshape, vec![d]),
    }
}

/// ONNX `Flatten`.
pub fn flatten(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let axis = node.attrs.int_or("axis", 1)?;
    let axis = if axis == s.len() as i64 {
        s.len()
    } else {
        norm_axis(axis, s.len()).map_err(|e| node.ctx.attr("axis", e))?
    };
    let shape = vec![s[..axis].iter().product(), s[axis..].iter().product()];
    Ok(vec![reshaped(ctx, node, x, shape)])
}

/// ONNX `Reshape` (target shape must be a constant).
pub fn reshape(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let spec = node.const_input(1, "shape")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    let allowzero = node.attrs.flag("allowzero", false)?;
    let shape =
        reshape_target(ctx.graph.shape(&x), &spec, allowzero).map_err(|e| node.ctx.shape(e))?;
    Ok(vec![reshaped(ctx, node, x, shape)])
}

/// ONNX `Transpose`.
pub fn transpose(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let perm: Vec<usize> = match node.attrs.ints("perm")? {
        None => (0..s.len()).rev().collect(),
        Some(p) => {
            let mut seen = vec![false; s.len()];
            let mut out = Vec::with_capacity(p.len());
            for &v in &p {
                let a = norm_axis(v, s.len()).map_err(|e| node.ctx.attr("perm", e))?;
                if seen[a] {
                    return Err(node.ctx.attr("perm", format!("{p:?} is not a permutation")));
                }
                seen[a] = true;
                out.push(a);
            }
            if out.len() != s.len() {
                return Err(node.ctx.attr("perm", format!("{p:?} does not fit rank {}", s.len())));
            }
            out
        }
    };
    Ok(vec![match x {
        Arg::Const(c) => Arg::Const(consts::transpose(&c, &perm)),
        d @ Arg::Dyn(_) => {
            let shape = perm.iter().map(|&p| s[p]).collect();
            emit(ctx, node, shape, IrOp::Transpose(perm), vec![d])
        }
    }])
}

/// Axes from the `axes` attribute (before opset 13) or the constant input #1.
fn axes(node: &Node<'_>) -> Result<Option<Vec<i64>>, TranspileError> {
    if node.opset < 13 {
        node.attrs.ints("axes")
    } else {
        match node.opt_const(1, "axes")? {
            None => Ok(None),
            Some(c) => c.as_ints().map(Some).map_err(|e| node.ctx.shape(e)),
        }
    }
}

/// ONNX `Squeeze`.
pub fn squeeze(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let shape: Vec<usize> = match axes(node)? {
        None => s.iter().copied().filter(|&d| d != 1).collect(),
        Some(ax) => {
            let mut drop = vec![false; s.len()];
            for a in ax {
                let a = norm_axis(a, s.len()).map_err(|e| node.ctx.attr("axes", e))?;
                if s[a] != 1 {
                    return Err(node.ctx.shape(format!("axis {a} of {s:?} is not 1")));
                }
                drop[a] = true;
            }
            s.iter().zip(drop).filter(|(_, d)| !d).map(|(v, _)| *v).collect()
        }
    };
    Ok(vec![reshaped(ctx, node, x, shape)])
}

/// ONNX `Unsqueeze`.
pub fn unsqueeze(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let x = node.input(0)?.clone();
    let s = ctx.graph.shape(&x).to_vec();
    let ax = axes(node)?.ok_or_else(|| node.ctx.attr("axes", "required"))?;
    let rank = s.len() + ax.len();
    let mut ones = vec![false; rank];
    for a in ax {
        let a = norm_axis(a, rank).map_err(|e| node.ctx.attr("axes", e))?;
        if ones[a] {
            return Err(node.ctx.attr("axes", format!("axis {a} repeated")));
        }
        ones[a] = true;
    }
    let mut it = s.iter();
    let shape = ones
        .iter()
        .map(|&o| if o { Some(1) } else { it.next().copied() })
        .collect::<Option<Vec<usize>>>();
    let shape = shape.ok_or_else(|| node.ctx.shape("axes do not fit the input rank"))?;
    Ok(vec![reshaped(ctx, node, x, shape)])
}

/// ONNX `Concat`.
pub fn concat(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let args: Vec<Arg> =
        (0..node.arity()).map(|i| node.input(i).cloned()).collect::<Result<_, _>>()?;
    let first = args.first().ok_or_else(|| node.ctx.shape("no inputs"))?;
    let rank = ctx.graph.shape(first).len();
    let axis = node.attrs.int("axis")?.ok_or_else(|| node.ctx.attr("axis", "required"))?;
    let axis = norm_axis(axis, rank).map_err(|e| node.ctx.attr("axis", e))?;
    let shapes: Vec<&[usize]> = args.iter().map(|a| ctx.graph.shape(a)).collect();
    let shape = consts::concat_shape(&shapes, axis).map_err(|e| node.ctx.shape(e))?;
    if args.iter().all(|a| matches!(a, Arg::Const(_))) {
        let parts: Vec<&ConstTensor> = args
            .iter()
            .filter_map(|a| if let Arg::Const(c) = a { Some(c) } else { None })
            .collect();
        return Ok(vec![Arg::Const(consts::concat(&parts, axis, shape))]);
    }
    Ok(vec![emit(ctx, node, shape, IrOp::Concat(axis), args)])
}

/// ONNX `Identity`.
pub fn identity(_ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    Ok(vec![node.input(0)?.clone()])
}

/// ONNX `Dropout` at inference: the identity (the mask output is not supported).
pub fn dropout(_ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    if let Some(t) = node.opt_const(2, "training_mode")? {
        if t.data.iter().any(|&v| v != 0.0) {
            return Err(node.ctx.unsupported("training_mode=true"));
        }
    }
    Ok(vec![node.input(0)?.clone()])
}

/// ONNX `Shape`: a constant, since every shape is static.
pub fn shape(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let s = ctx.graph.shape(node.input(0)?).to_vec();
    let r = s.len() as i64;
    let clamp = |v: i64| if v < 0 { (v + r).max(0) } else { v.min(r) } as usize;
    let start = clamp(node.attrs.int_or("start", 0)?);
    let end = clamp(node.attrs.int_or("end", r)?);
    let dims: Vec<f64> =
        if start < end { s[start..end].iter().map(|&d| d as f64).collect() } else { vec![] };
    Ok(vec![Arg::Const(ConstTensor {
        shape: vec![dims.len()],
        data: dims,
        dtype: DType::Int,
        name: None,
    })])
}

/// ONNX `Gather` on constant data and indices (folded).
pub fn gather(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let data = node.input(0)?;
    let rank = ctx.graph.shape(data).len();
    let axis =
        norm_axis(node.attrs.int_or("axis", 0)?, rank).map_err(|e| node.ctx.attr("axis", e))?;
    let idx = node.const_input(1, "indices")?;
    let Arg::Const(d) = data else {
        let s = ctx.graph.shape(data).to_vec();
        let len = s[axis] as i64;
        let mut flat = Vec::with_capacity(idx.data.len());
        for i in idx.as_ints().map_err(|e| node.ctx.shape(e))? {
            if i < -len || i >= len {
                return Err(node
                    .ctx
                    .shape(format!("index {i} is out of range for axis {axis} of {s:?}")));
            }
            flat.push(if i < 0 { i + len } else { i } as usize);
        }
        let mut shape = s[..axis].to_vec();
        shape.extend_from_slice(&idx.shape);
        shape.extend_from_slice(&s[axis + 1..]);
        if shape.len() > runtime::shape::MAX_RANK || numel(&shape).is_none() {
            return Err(node.ctx.shape(format!("output shape {shape:?} is too large")));
        }
        let op = IrOp::Gather(axis, flat, idx.shape.clone());
        return Ok(vec![emit(ctx, node, shape, op, vec![data.clone()])]);
    };
    Ok(vec![Arg::Const(consts::gather(d, idx, axis).map_err(|e| node.ctx.shape(e))?)])
}

/// ONNX `Cast`: folded on constants, the identity between float types at run time.
pub fn cast(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let to = node.attrs.int("to")?.ok_or_else(|| node.ctx.attr("to", "required"))?;
    let dtype = DType::from_onnx(to as i32)
        .ok_or_else(|| node.ctx.attr("to", format!("element type {to} is not supported")))?;
    cast_to(ctx, node, dtype)
}

/// ONNX `CastLike`: a cast to the element type of input 1 (a constant's own type; a run-time
/// value is float, or integer for ArgMax indices).
pub fn cast_like(ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let dtype = match node.input(1)? {
        Arg::Const(c) => c.dtype,
        Arg::Dyn(v) if ctx.graph.is_index(*v) => DType::Int,
        Arg::Dyn(_) => DType::Float,
    };
    cast_to(ctx, node, dtype)
}

fn cast_to(ctx: &mut Ctx, node: &Node<'_>, dtype: DType) -> Result<Vec<Arg>, TranspileError> {
    Ok(vec![match node.input(0)?.clone() {
        Arg::Const(mut c) => {
            match dtype {
                DType::Int => c.data.iter_mut().for_each(|v| *v = v.trunc()),
                DType::Bool => c.data.iter_mut().for_each(|v| *v = f64::from(u8::from(*v != 0.0))),
                DType::Float => {}
            }
            c.dtype = dtype;
            Arg::Const(c)
        }
        d @ Arg::Dyn(_) if dtype == DType::Float => d,
        // ArgMax indices and class labels are integers already.
        Arg::Dyn(v)
            if dtype == DType::Int
                && (ctx.graph.is_index(v) || ctx.graph.integral.contains(&v)) =>
        {
            Arg::Dyn(v)
        }
        Arg::Dyn(v) if dtype == DType::Int => truncated(ctx, node, v)?,
        Arg::Dyn(_) => {
            return Err(node.ctx.unsupported("cast of a run-time value to bool"));
        }
    }])
}

/// A cast of a run-time real to an integer type: truncation toward zero (onnxruntime's
/// conversion), `floor(relu(x)) - floor(relu(-x))`, exact on the fixed-point value; the result
/// is an integer-valued real.
fn truncated(ctx: &mut Ctx, node: &Node<'_>, v: usize) -> Result<Arg, TranspileError> {
    use super::composite::{binary, scalar};
    use super::emit_tmp;
    let x = Arg::Dyn(v);
    let shape = ctx.graph.shape(&x).to_vec();
    let neg = binary(ctx, node, IrOp::Sub, |p, q| p - q, scalar(0.0), x.clone(), "trunc/neg")?;
    let mut parts = Vec::new();
    for (arg, tag) in [(x, "pos"), (neg, "negpart")] {
        let r = emit_tmp(ctx, node, &format!("trunc/{tag}"), shape.clone(), IrOp::Relu, vec![arg]);
        let f = IrOp::Step(crate::graph::Step::Floor);
        parts.push(emit_tmp(ctx, node, &format!("trunc/{tag}_floor"), shape.clone(), f, vec![r]));
    }
    let b = parts.pop().ok_or_else(|| node.ctx.unsupported("truncation"))?;
    let a = parts.pop().ok_or_else(|| node.ctx.unsupported("truncation"))?;
    let t = binary(ctx, node, IrOp::Sub, |p, q| p - q, a, b, "trunc")?;
    let out = ctx.graph.push(node.out_name(0), shape, IrOp::Reshape, vec![t], &node.ctx.name);
    if let Arg::Dyn(o) = out {
        ctx.graph.integral.insert(o);
    }
    Ok(out)
}

/// ONNX `Constant`.
pub fn constant(_ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let a = &node.attrs;
    let c = if let Some(t) = a.tensor("value")? {
        t
    } else if let Some(v) = a.int("value_int")? {
        ConstTensor::scalar(v as f64, DType::Int)
    } else if let Some(v) = a.ints("value_ints")? {
        ConstTensor {
            shape: vec![v.len()],
            data: v.iter().map(|&x| x as f64).collect(),
            dtype: DType::Int,
            name: None,
        }
    } else if a.names().any(|n| n == "value_float") {
        ConstTensor::scalar(a.float_or("value_float", 0.0)?, DType::Float)
    } else if let Some(v) = a.floats("value_floats")? {
        ConstTensor { shape: vec![v.len()], data: v, dtype: DType::Float, name: None }
    } else {
        return Err(node
            .ctx
            .unsupported("Constant without a value, value_int(s) or value_float(s) attribute"));
    };
    Ok(vec![Arg::Const(c)])
}

/// ONNX `ConstantOfShape`.
pub fn constant_of_shape(_ctx: &mut Ctx, node: &Node<'_>) -> Result<Vec<Arg>, TranspileError> {
    let dims = node.const_input(0, "shape")?.as_ints().map_err(|e| node.ctx.shape(e))?;
    if dims.iter().any(|&d| d < 0) {
        return Err(node.ctx.shape(format!("negative dimension in {dims:?}")));
    }
    let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
    let n = numel(&shape).ok_or_else(|| node.ctx.shape(format!("shape {shape:?} is too large")))?;
    let (v, dtype) = match node.attrs.tensor("value")? {
        Some(t) if t.data.len() == 1 => (t.data[0], t.dtype),
        Some(_) => return Err(node.ctx.attr("value", "must hold exactly one element")),
        None => (0.0, DType::Float),
    };
    Ok(vec![Arg::Const(ConstTensor { shape, data: vec![v; n], dtype, name: None })])
}
