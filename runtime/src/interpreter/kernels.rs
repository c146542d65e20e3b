//! Integer kernels of the interpreter. Every function returns `None` on `i64` overflow.

use crate::fixed_point::{rescale, round_div};
use crate::op::{ConvParams, PoolParams};
use crate::shape::{broadcast_index_map, in_padded_extent, positions, strides, window_offset};

/// A tensor view for the kernels.
pub(crate) struct View<'a> {
    pub data: &'a [i64],
    pub shape: &'a [usize],
}

pub(crate) fn elementwise(
    a: &View<'_>,
    b: &View<'_>,
    out_shape: &[usize],
    f: impl Fn(i64, i64) -> Option<i64>,
) -> Option<Vec<i64>> {
    let ma = broadcast_index_map(a.shape, out_shape);
    let mb = broadcast_index_map(b.shape, out_shape);
    ma.iter().zip(&mb).map(|(&i, &j)| f(a.data[i], b.data[j])).collect()
}

pub(crate) fn matmul(
    a: &View<'_>,
    b: &View<'_>,
    bias: Option<&View<'_>>,
    out_shape: &[usize],
) -> Option<Vec<i64>> {
    // Promote 1-D operands as numpy does.
    let a_shape: Vec<usize> =
        if a.shape.len() == 1 { vec![1, a.shape[0]] } else { a.shape.to_vec() };
    let b_shape: Vec<usize> =
        if b.shape.len() == 1 { vec![b.shape[0], 1] } else { b.shape.to_vec() };
    let (m, k) = (a_shape[a_shape.len() - 2], a_shape[a_shape.len() - 1]);
    let n = b_shape[b_shape.len() - 1];
    let batch_a = &a_shape[..a_shape.len() - 2];
    let batch_b = &b_shape[..b_shape.len() - 2];
    let batch = crate::shape::broadcast(batch_a, batch_b)?;
    let map_a = broadcast_index_map(batch_a, &batch);
    let map_b = broadcast_index_map(batch_b, &batch);
    let mut out = Vec::with_capacity(map_a.len() * m * n);
    for (&ba, &bb) in map_a.iter().zip(&map_b) {
        let pa = &a.data[ba * m * k..(ba + 1) * m * k];
        let pb = &b.data[bb * k * n..(bb + 1) * k * n];
        for i in 0..m {
            let row = &pa[i * k..(i + 1) * k];
            let mut acc = vec![0i64; n];
            for (kk, &x) in row.iter().enumerate() {
                if x == 0 {
                    continue;
                }
                let wrow = &pb[kk * n..(kk + 1) * n];
                for (acc_j, &w) in acc.iter_mut().zip(wrow) {
                    *acc_j = acc_j.checked_add(x.checked_mul(w)?)?;
                }
            }
            out.extend_from_slice(&acc);
        }
    }
    if let Some(bias) = bias {
        let map = broadcast_index_map(bias.shape, out_shape);
        for (o, &j) in out.iter_mut().zip(&map) {
            *o = o.checked_add(bias.data[j])?;
        }
    }
    Some(out)
}

pub(crate) fn conv(
    x: &View<'_>,
    w: &View<'_>,
    bias: Option<&View<'_>>,
    p: &ConvParams,
    out_shape: &[usize],
) -> Option<Vec<i64>> {
    let (batch, c_in) = (x.shape[0], x.shape[1]);
    let m = w.shape[0];
    let c_per = w.shape[1];
    let m_per = m / p.group;
    let in_dims = &x.shape[2..];
    let k_dims = &w.shape[2..];
    let o_dims = &out_shape[2..];
    let in_sp: usize = in_dims.iter().product();
    let k_sp: usize = k_dims.iter().product();
    let in_strides = strides(in_dims);
    let kpos = positions(k_dims);
    let mut out = Vec::with_capacity(out_shape.iter().product());
    for n in 0..batch {
        for oc in 0..m {
            let g = oc / m_per;
            let b0 = bias.map_or(0, |b| b.data[oc]);
            for opos in positions(o_dims) {
                let mut acc = b0;
                for (ki, kp) in kpos.iter().enumerate() {
                    let Some(off) = window_offset(
                        &opos,
                        kp,
                        &p.strides,
                        &p.dilations,
                        &p.pads,
                        in_dims,
                        &in_strides,
                    ) else {
                        continue;
                    };
                    for c in 0..c_per {
                        let ic = g * c_per + c;
                        let xv = x.data[(n * c_in + ic) * in_sp + off];
                        let wv = w.data[(oc * c_per + c) * k_sp + ki];
                        acc = acc.checked_add(xv.checked_mul(wv)?)?;
                    }
                }
                out.push(acc);
            }
        }
    }
    Some(out)
}

/// Max (`avg == None`) or rounded average pooling; returns outputs and, for averages, the
/// division remainders.
pub(crate) fn pool(
    x: &View<'_>,
    p: &PoolParams,
    avg: Option<bool>,
    out_shape: &[usize],
) -> Option<(Vec<i64>, Vec<i64>)> {
    let planes = x.shape[0] * x.shape[1];
    let in_dims = &x.shape[2..];
    let o_dims = &out_shape[2..];
    let in_sp: usize = in_dims.iter().product();
    let in_strides = strides(in_dims);
    let kpos = positions(&p.kernel);
    let opos_all = positions(o_dims);
    let mut out = Vec::with_capacity(out_shape.iter().product());
    let mut rem = Vec::new();
    for plane in 0..planes {
        let data = &x.data[plane * in_sp..(plane + 1) * in_sp];
        for opos in &opos_all {
            let mut best: Option<i64> = None;
            let mut sum = 0i64;
            let mut count = 0i64;
            for kp in &kpos {
                match window_offset(
                    opos,
                    kp,
                    &p.strides,
                    &p.dilations,
                    &p.pads,
                    in_dims,
                    &in_strides,
                ) {
                    Some(off) => {
                        let v = data[off];
                        best = Some(best.map_or(v, |b| b.max(v)));
                        sum = sum.checked_add(v)?;
                        count += 1;
                    }
                    None => {
                        // Padding: counted only inside the declared padded extent.
                        let inside =
                            in_padded_extent(opos, kp, &p.strides, &p.dilations, &p.pads, in_dims);
                        if avg == Some(true) && inside {
                            count += 1;
                        }
                    }
                }
            }
            match avg {
                None => out.push(best.unwrap_or(0)),
                Some(_) => {
                    let (q, r) = round_div(sum, count.max(1))?;
                    out.push(q);
                    rem.push(r);
                }
            }
        }
    }
    Some((out, rem))
}

pub(crate) fn rescale_all(x: &[i64], shift: u8) -> Option<(Vec<i64>, Vec<i64>)> {
    let mut q = Vec::with_capacity(x.len());
    let mut r = Vec::with_capacity(x.len());
    for &v in x {
        let (a, b) = rescale(v, shift)?;
        q.push(a);
        r.push(b);
    }
    Some((q, r))
}

pub(crate) fn argmax(x: &View<'_>, axis: usize, select_last: bool) -> Vec<i64> {
    let outer: usize = x.shape[..axis].iter().product();
    let len = x.shape[axis];
    let inner: usize = x.shape[axis + 1..].iter().product();
    let mut out = Vec::with_capacity(outer * inner);
    for o in 0..outer {
        for i in 0..inner {
            let mut best = 0usize;
            for j in 1..len {
                let v = x.data[(o * len + j) * inner + i];
                let b = x.data[(o * len + best) * inner + i];
                if v > b || (select_last && v == b) {
                    best = j;
                }
            }
            out.push(best as i64);
        }
    }
    out
}

pub(crate) fn transpose(x: &View<'_>, perm: &[usize]) -> Vec<i64> {
    let out_dims: Vec<usize> = perm.iter().map(|&p| x.shape[p]).collect();
    let in_strides = strides(x.shape);
    let src_strides: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
    positions(&out_dims)
        .iter()
        .map(|pos| x.data[pos.iter().zip(&src_strides).map(|(i, s)| i * s).sum::<usize>()])
        .collect()
}

pub(crate) fn concat(xs: &[View<'_>], axis: usize) -> Vec<i64> {
    let outer: usize = xs[0].shape[..axis].iter().product();
    let mut out = Vec::new();
    for o in 0..outer {
        for x in xs {
            let chunk: usize = x.shape[axis..].iter().product();
            out.extend_from_slice(&x.data[o * chunk..(o + 1) * chunk]);
        }
    }
    out
}

pub(crate) fn gather(x: &View<'_>, axis: usize, indices: &[usize]) -> Vec<i64> {
    let outer: usize = x.shape[..axis].iter().product();
    let len = x.shape[axis];
    let inner: usize = x.shape[axis + 1..].iter().product();
    let mut out = Vec::with_capacity(outer * indices.len() * inner);
    for o in 0..outer {
        for &i in indices {
            let base = (o * len + i) * inner;
            out.extend_from_slice(&x.data[base..base + inner]);
        }
    }
    out
}
