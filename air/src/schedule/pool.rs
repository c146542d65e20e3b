//! Pooling and arg-max: `MaxPool`, `AvgPool`, `ArgMax`.

use runtime::shape::{in_padded_extent, positions, strides, window_offset as window};
use runtime::{Op, PoolParams};

use super::builder::{Builder, Cx, Node};

/// `MaxPool` (`max(a, b) = b + relu(a - b)`) and `AvgPool` (a sum and a rounding division).
pub(super) fn pool(b: &mut Builder<'_>, cx: &Cx<'_>, pp: &PoolParams) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let out_shape = &cx.out_shape;
    let n_out = cx.n_out;
    let x = node.inputs[0];
    let xa = b.on_bus(x)?;
    let xb = b.bound_of(x);
    let xs = b.shape(x).to_vec();
    let dims = &xs[2..];
    let st = strides(dims);
    let in_sp: usize = dims.iter().product();
    let odims = &out_shape[2..];
    let o_sp: usize = odims.iter().product::<usize>().max(1);
    let kpos = positions(&pp.kernel);
    let opos_all = positions(odims);
    let mut addrs = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let (plane, opos) = (o / o_sp, &opos_all[o % o_sp]);
        let mut window_addrs = Vec::new();
        let mut pad_count = 0usize;
        for kp in &kpos {
            match window(opos, kp, &pp.strides, &pp.dilations, &pp.pads, dims, &st) {
                Some(off) => window_addrs.push(xa[plane * in_sp + off]),
                None => {
                    if in_padded_extent(opos, kp, &pp.strides, &pp.dilations, &pp.pads, dims) {
                        pad_count += 1;
                    }
                }
            }
        }
        if window_addrs.is_empty() {
            return Err("a window lies entirely in padding".into());
        }
        match &node.op {
            Op::MaxPool(_) => {
                addrs.push(b.max_of(&window_addrs, xb)?);
            }
            Op::AvgPool { count_include_pad, .. } => {
                let count = window_addrs.len() + if *count_include_pad { pad_count } else { 0 };
                let lanes = window_addrs.iter().map(|&a| (a, 1)).collect();
                let n = Node { lanes, bias: 0 };
                addrs.push(if count.is_power_of_two() {
                    b.node(n, count.trailing_zeros() as u8, false, Some(xb))?
                } else {
                    b.node_div(n, 0, false, Some(xb), Some(count as u64))?
                });
            }
            _ => {}
        }
    }
    b.addr[out.0 as usize] = Some(addrs);
    Ok(())
}

/// `ArgMax`: the maximum, equality flags, prefix counts and the first (or last) index.
pub(super) fn argmax(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    axis: &usize,
    select_last: &bool,
) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let n_out = cx.n_out;
    let x = node.inputs[0];
    let xa = b.on_bus(x)?;
    let xb = b.bound_of(x);
    let xs = b.shape(x).to_vec();
    let len = xs[*axis];
    let inner: usize = xs[axis + 1..].iter().product();
    let outer: usize = xs[..*axis].iter().product();
    let mut addrs = Vec::with_capacity(n_out);
    for o in 0..outer {
        for i in 0..inner {
            let mut order: Vec<usize> = (0..len).collect();
            if *select_last {
                order.reverse();
            }
            let vals: Vec<u32> = order.iter().map(|&j| xa[(o * len + j) * inner + i]).collect();
            let m = b.max_of(&vals, xb)?;
            // e_j = [v_j = m] = relu(1 - (m - v_j)); c_j = e_0 + .. + e_(j-1);
            // f_j = relu(e_j - c_j) marks the first maximum; index = sum_j j f_j.
            let mut idx_lanes = Vec::new();
            let mut c: Option<u32> = None;
            for (pos, &v) in vals.iter().enumerate() {
                let e = b.node(
                    Node { lanes: vec![(m, -1), (v, 1)], bias: 1 },
                    0,
                    true,
                    Some(2 * xb + 1),
                )?;
                let f = match c {
                    None => e,
                    Some(c) => b.node(
                        Node { lanes: vec![(e, 1), (c, -1)], bias: 0 },
                        0,
                        true,
                        Some(len as u128),
                    )?,
                };
                let j = order[pos] as i64;
                if j != 0 {
                    idx_lanes.push((f, j));
                }
                if pos + 1 < vals.len() {
                    c = Some(match c {
                        None => e,
                        Some(c) => b.node(
                            Node { lanes: vec![(c, 1), (e, 1)], bias: 0 },
                            0,
                            false,
                            Some(len as u128),
                        )?,
                    });
                }
            }
            addrs.push(b.node(Node { lanes: idx_lanes, bias: 0 }, 0, false, Some(len as u128))?);
        }
    }
    b.addr[out.0 as usize] = Some(addrs);
    Ok(())
}
