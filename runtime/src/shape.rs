//! Shapes, strides and numpy-style broadcasting.

/// Largest number of elements a single tensor may hold (2^28). Program files are untrusted:
/// this caps the memory one tensor can ask for.
pub const MAX_ELEMENTS: usize = 1 << 28;

/// Largest rank a tensor may have.
pub const MAX_RANK: usize = 8;

/// Number of elements of `shape`, or `None` if it exceeds [`MAX_ELEMENTS`].
pub fn numel(shape: &[usize]) -> Option<usize> {
    let mut n: usize = 1;
    for &d in shape {
        n = n.checked_mul(d)?;
        if n > MAX_ELEMENTS {
            return None;
        }
    }
    Some(n)
}

/// Row-major strides of `shape` (in elements).
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The numpy broadcast of two shapes, or `None` if they are incompatible.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0usize; rank];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Maps every flat index of `out_shape` to the flat index of `in_shape` it reads under numpy
/// broadcasting. `in_shape` must broadcast to `out_shape`.
pub fn broadcast_index_map(in_shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let rank = out_shape.len();
    let offset = rank - in_shape.len();
    let in_strides = strides(in_shape);
    // Effective stride per output axis: 0 where the input is broadcast.
    let eff: Vec<usize> = (0..rank)
        .map(|i| if i < offset || in_shape[i - offset] == 1 { 0 } else { in_strides[i - offset] })
        .collect();
    let total = out_shape.iter().product::<usize>();
    let mut map = Vec::with_capacity(total);
    let mut idx = vec![0usize; rank];
    for _ in 0..total {
        map.push(idx.iter().zip(&eff).map(|(i, s)| i * s).sum());
        for ax in (0..rank).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    map
}

/// Flat offset (row-major, strides `in_strides`) of kernel position `kpos` of the window at
/// output position `opos`, or `None` when that element falls into padding. `pads` holds the
/// begin paddings (at least one per axis).
pub fn window_offset(
    opos: &[usize],
    kpos: &[usize],
    strides_: &[usize],
    dilations: &[usize],
    pads: &[usize],
    in_dims: &[usize],
    in_strides: &[usize],
) -> Option<usize> {
    let mut off = 0usize;
    for d in 0..opos.len() {
        let p = (opos[d] * strides_[d] + kpos[d] * dilations[d]).checked_sub(pads[d])?;
        if p >= in_dims[d] {
            return None;
        }
        off += p * in_strides[d];
    }
    Some(off)
}

/// Whether kernel position `kpos` of the window at `opos` lies inside the padded extent of
/// the input (`begin pads + in_dims + end pads` on every axis); `pads` holds the `n` begin
/// then the `n` end paddings. Padded positions inside it count for average pooling with
/// `count_include_pad`; those beyond it (ceil mode) never do.
pub fn in_padded_extent(
    opos: &[usize],
    kpos: &[usize],
    strides_: &[usize],
    dilations: &[usize],
    pads: &[usize],
    in_dims: &[usize],
) -> bool {
    let nd = in_dims.len();
    (0..nd).all(|d| {
        let p0 = opos[d] * strides_[d] + kpos[d] * dilations[d];
        p0 < pads[d] + in_dims[d] + pads[d + nd]
    })
}

/// All positions of `dims` in row-major order (an odometer).
pub fn positions(dims: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; dims.len()];
    for _ in 0..total {
        out.push(idx.clone());
        for ax in (0..dims.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < dims[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    out
}

/// Index of the largest value, the first one on ties (0 for an empty slice).
pub fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in values.iter().enumerate() {
        if *x > values[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast(&[2, 3], &[3]), Some(vec![2, 3]));
        assert_eq!(broadcast(&[2, 1], &[1, 4]), Some(vec![2, 4]));
        assert_eq!(broadcast(&[], &[5]), Some(vec![5]));
        assert_eq!(broadcast(&[2, 3], &[2]), None);
        assert_eq!(broadcast_index_map(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(broadcast_index_map(&[2, 1], &[2, 2]), vec![0, 0, 1, 1]);
    }

    #[test]
    fn numel_caps_size() {
        assert_eq!(numel(&[2, 3, 4]), Some(24));
        assert_eq!(numel(&[]), Some(1));
        assert_eq!(numel(&[1 << 20, 1 << 20]), None);
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}
