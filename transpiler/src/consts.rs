//! Compile-time evaluation on constant tensors (shape arithmetic, folded data movement) and
//! shared shape helpers.

use runtime::shape::{broadcast, broadcast_index_map, numel, strides};

use crate::onnx::{ConstTensor, DType};

/// Normalises a possibly negative axis against `rank` (`-rank <= axis < rank`).
pub fn norm_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(format!("axis {axis} is out of range for rank {rank}"));
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// The target shape of ONNX `Reshape` (`0` copies the input dimension unless `allowzero`, one
/// `-1` is inferred).
pub fn reshape_target(
    input: &[usize],
    spec: &[i64],
    allowzero: bool,
) -> Result<Vec<usize>, String> {
    let total = numel(input).ok_or("input too large")?;
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allowzero => out.push(
                *input
                    .get(i)
                    .ok_or_else(|| format!("0 at axis {i} has no input dimension to copy"))?,
            ),
            d if d >= 0 => out.push(d as usize),
            d => return Err(format!("invalid target dimension {d} in {spec:?}")),
        }
    }
    let known = numel(&out).ok_or("target too large")?;
    if let Some(i) = infer {
        if known == 0 || total % known != 0 {
            return Err(format!("cannot infer -1: {total} elements into {spec:?}"));
        }
        out[i] = total / known;
    }
    if numel(&out) != Some(total) {
        return Err(format!("cannot reshape {input:?} ({total} elements) to {out:?}"));
    }
    Ok(out)
}

/// Flat source index of every element of `transpose(x, perm)`.
pub fn transpose_map(shape: &[usize], perm: &[usize]) -> Vec<usize> {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let st = strides(shape);
    let src: Vec<usize> = perm.iter().map(|&p| st[p]).collect();
    let total: usize = out_shape.iter().product();
    let mut idx = vec![0usize; out_shape.len()];
    let mut map = Vec::with_capacity(total);
    for _ in 0..total {
        map.push(idx.iter().zip(&src).map(|(i, s)| i * s).sum());
        for ax in (0..out_shape.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    map
}

/// `transpose(c, perm)`; `perm` must be a valid permutation.
pub fn transpose(c: &ConstTensor, perm: &[usize]) -> ConstTensor {
    let data = transpose_map(&c.shape, perm).into_iter().map(|i| c.data[i]).collect();
    ConstTensor {
        shape: perm.iter().map(|&p| c.shape[p]).collect(),
        data,
        dtype: c.dtype,
        name: c.name.clone(),
    }
}

/// Element-wise `f(a, b)` with broadcasting.
pub fn binary(
    a: &ConstTensor,
    b: &ConstTensor,
    f: impl Fn(f64, f64) -> f64,
) -> Result<ConstTensor, String> {
    let shape = broadcast(&a.shape, &b.shape)
        .ok_or_else(|| format!("shapes {:?} and {:?} do not broadcast", a.shape, b.shape))?;
    let ma = broadcast_index_map(&a.shape, &shape);
    let mb = broadcast_index_map(&b.shape, &shape);
    let data = ma.iter().zip(&mb).map(|(&i, &j)| f(a.data[i], b.data[j])).collect();
    let dtype =
        if a.dtype == DType::Float || b.dtype == DType::Float { DType::Float } else { a.dtype };
    Ok(ConstTensor { shape, data, dtype, name: None })
}

/// Concatenation along `axis` (shapes already checked).
pub fn concat(parts: &[&ConstTensor], axis: usize, shape: Vec<usize>) -> ConstTensor {
    let outer: usize = shape[..axis].iter().product();
    let mut data = Vec::with_capacity(shape.iter().product());
    for o in 0..outer {
        for p in parts {
            let chunk: usize = p.shape[axis..].iter().product();
            data.extend_from_slice(&p.data[o * chunk..(o + 1) * chunk]);
        }
    }
    let dtype = parts.first().map_or(DType::Float, |p| p.dtype);
    ConstTensor { shape, data, dtype, name: None }
}

/// Output shape of concatenating `shapes` along `axis`.
pub fn concat_shape(shapes: &[&[usize]], axis: usize) -> Result<Vec<usize>, String> {
    let first = shapes.first().ok_or("no inputs")?;
    let mut out = first.to_vec();
    for s in &shapes[1..] {
        if s.len() != first.len()
            || s.iter().zip(first.iter()).enumerate().any(|(i, (a, b))| i != axis && a != b)
        {
            return Err(format!("shapes {first:?} and {s:?} do not concatenate on axis {axis}"));
        }
        out[axis] += s[axis];
    }
    Ok(out)
}

/// ONNX `Gather` of constant data with constant indices.
pub fn gather(
    data: &ConstTensor,
    indices: &ConstTensor,
    axis: usize,
) -> Result<ConstTensor, String> {
    let idx = indices.as_ints()?;
    let len = data.shape[axis] as i64;
    let outer: usize = data.shape[..axis].iter().product();
    let inner: usize = data.shape[axis + 1..].iter().product();
    let mut out = Vec::with_capacity(outer * idx.len() * inner);
    for o in 0..outer {
        for &i in &idx {
            if i < -len || i >= len {
                return Err(format!("index {i} is out of range for axis of size {len}"));
            }
            let i = if i < 0 { i + len } else { i } as usize;
            let base = (o * data.shape[axis] + i) * inner;
            out.extend_from_slice(&data.data[base..base + inner]);
        }
    }
    let mut shape = data.shape[..axis].to_vec();
    shape.extend_from_slice(&indices.shape);
    shape.extend_from_slice(&data.shape[axis + 1..]);
    Ok(ConstTensor { shape, data: out, dtype: data.dtype, name: data.name.clone() })
}
