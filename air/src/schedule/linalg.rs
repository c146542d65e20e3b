//! Products with constant weights: `MatMul` (a dense block when the weights are a 2-D
//! matrix), `Conv` (explicit terms per output) and `Mul` by a constant.

use runtime::shape::{broadcast_index_map, strides, window_offset as window};
use runtime::Op;

use super::builder::{operand, product_tail, unravel, Builder, Cx, Node, Uses};
use super::Block;
use crate::conv::ConvBlock;
use crate::dense::DenseBlock;

/// `MatMul` / `Conv` with constant weights and bias, with the rescale (and ReLU) reading them.
pub(super) fn product(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = cx.node;
    let out_shape = cx.out_shape.clone();
    let n_out = cx.n_out;
    let x = node.inputs[0];
    let x_addr = b.on_bus(x)?;
    let w = b.consts(node.inputs[1]).map(<[i64]>::to_vec).ok_or("weights must be constants")?;
    let acc_shape = out_shape.clone();
    let bias: Vec<i64> = match node.inputs.get(2) {
        None => vec![0; n_out],
        Some(t) => {
            let d = b.consts(*t).ok_or("bias must be a constant")?;
            match node.op {
                Op::Conv(_) => (0..n_out).map(|o| d[unravel(o, &acc_shape)[1]]).collect(),
                _ => broadcast_index_map(b.shape(*t), &acc_shape).iter().map(|&i| d[i]).collect(),
            }
        }
    };
    let w_shape = b.shape(node.inputs[1]).to_vec();
    if let (Op::MatMul, &[kk, nn]) = (&node.op, w_shape.as_slice()) {
        if kk == 0 || x_addr.len() % kk != 0 || x_addr.len() / kk * nn != n_out {
            return Err("operand layout".into());
        }
        let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
        let block = DenseBlock { first_row: 0, x: x_addr, w, k: kk, n: nn };
        let addrs = b.block(Block::Dense(block), &bias, shift, relu, qb)?;
        b.addr[final_t.0 as usize] = Some(addrs);
        return Ok(());
    }
    if let Op::Conv(cp) = &node.op {
        let x_shape = b.shape(x).to_vec();
        let (c_in, m) =
            (x_shape.get(1).copied().unwrap_or(0), w_shape.first().copied().unwrap_or(0));
        let in_sp: usize = x_shape.iter().skip(2).product();
        let k_sp: usize = w_shape.iter().skip(2).product();
        let o_sp: usize = acc_shape.iter().skip(2).product::<usize>().max(1);
        let batch = x_shape.first().copied().unwrap_or(0);
        let g = cp.group.max(1);
        if c_in % g != 0
            || m % g != 0
            || x_addr.len() != batch * c_in * in_sp
            || w.len() != m * (c_in / g) * k_sp
            || n_out != batch * m * o_sp
        {
            return Err("operand layout".into());
        }
        let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
        let block = ConvBlock::new(x_addr, w, &x_shape, &w_shape, &acc_shape[2..], cp);
        let addrs = b.block(Block::Conv(block), &bias, shift, relu, qb)?;
        b.addr[final_t.0 as usize] = Some(addrs);
        return Ok(());
    }
    let dots = product_lanes(&node.op, &x_addr, b.shape(x), &w, &w_shape, &acc_shape)?;
    let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
    b.terms.reserve(dots.iter().map(Vec::len).sum());
    let mut addrs = Vec::with_capacity(n_out);
    for (lanes, bv) in dots.into_iter().zip(bias) {
        addrs.push(b.node(Node { lanes, bias: bv }, shift, relu, Some(qb))?);
    }
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

/// `Mul` of a run-time tensor by a constant, with its rescale (and ReLU).
pub(super) fn scale(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = cx.node;
    let out_shape = cx.out_shape.clone();
    let n_out = cx.n_out;
    let (a, c) = match (b.consts(node.inputs[0]).is_some(), b.consts(node.inputs[1]).is_some()) {
        (false, true) => (node.inputs[0], node.inputs[1]),
        (true, false) => (node.inputs[1], node.inputs[0]),
        _ => return Err("only a product with a constant is provable".into()),
    };
    let xa = operand(b, a, &out_shape)?;
    let cv = operand(b, c, &out_shape)?;
    let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
    let mut addrs = Vec::with_capacity(n_out);
    for (x, c) in xa.into_iter().zip(cv) {
        let (Ok(x), Err(c)) = (x, c) else { return Err("operand layout".into()) };
        let lanes = if c == 0 { vec![] } else { vec![(x, c)] };
        addrs.push(b.node(Node { lanes, bias: 0 }, shift, relu, Some(qb))?);
    }
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

/// Lanes `(address, weight)` of every output element of a product with constant weights.
fn product_lanes(
    op: &Op,
    x_addr: &[u32],
    x_shape: &[usize],
    w: &[i64],
    w_shape: &[usize],
    acc_shape: &[usize],
) -> Result<Vec<Vec<(u32, i64)>>, String> {
    let n_out: usize = acc_shape.iter().product();
    let mut dots = Vec::with_capacity(n_out);
    match op {
        Op::MatMul => {
            if w_shape.len() != 2 {
                return Err("weights must be a 2-D constant on the right".into());
            }
            let (kk, nn) = (w_shape[0], w_shape[1]);
            // Row-major sweep of the weights (a column-wise one misses the cache on every
            // weight of a wide layer).
            dots.resize_with(n_out, || Vec::with_capacity(kk));
            for row in 0..n_out / nn.max(1) {
                for (i, wrow) in w.chunks(nn).enumerate().take(kk) {
                    let xa = x_addr[row * kk + i];
                    for (col, &wv) in wrow.iter().enumerate() {
                        if wv != 0 {
                            dots[row * nn + col].push((xa, wv));
                        }
                    }
                }
            }
        }
        Op::Conv(cp) => {
            let (c_in, m) = (x_shape[1], w_shape[0]);
            let c_per = w_shape[1];
            let m_per = m / cp.group;
            let dims = &x_shape[2..];
            let kdims = &w_shape[2..];
            let odims = &acc_shape[2..];
            let in_sp: usize = dims.iter().product();
            let k_sp: usize = kdims.iter().product();
            let st = strides(dims);
            let o_sp: usize = odims.iter().product::<usize>().max(1);
            for o in 0..n_out {
                let (nc, opos) = (o / o_sp, unravel(o % o_sp, odims));
                let (n, oc) = (nc / m, nc % m);
                let g = oc / m_per;
                let mut lanes = Vec::new();
                for c in 0..c_per {
                    let ic = g * c_per + c;
                    for ki in 0..k_sp {
                        let wv = w[(oc * c_per + c) * k_sp + ki];
                        if wv == 0 {
                            continue;
                        }
                        let kp = unravel(ki, kdims);
                        if let Some(off) =
                            window(&opos, &kp, &cp.strides, &cp.dilations, &cp.pads, dims, &st)
                        {
                            lanes.push((x_addr[(n * c_in + ic) * in_sp + off], wv));
                        }
                    }
                }
                dots.push(lanes);
            }
        }
        _ => return Err("not a product".into()),
    }
    Ok(dots)
}
