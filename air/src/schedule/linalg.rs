//! Products with constant weights: `MatMul` (a dense block of its 2-D weight matrix), `Conv`
//! (a convolution block of its kernel) and `Mul` by a constant (one term per output).

use runtime::shape::broadcast_index_map;
use runtime::Op;

use super::builder::{operand, product_tail, Builder, Cx, Node, Uses};
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
    let out_shape = &cx.out_shape;
    let n_out = cx.n_out;
    let x = node.inputs[0];
    let x_addr = b.on_bus(x)?;
    let w = b.shared_consts(node.inputs[1]).cloned().ok_or("weights must be constants")?;
    let bias: Vec<i64> = match node.inputs.get(2) {
        None => vec![0; n_out],
        Some(t) => {
            let d = b.consts(*t).ok_or("bias must be a constant")?;
            match node.op {
                // Output (b, channel, position): the bias of its channel.
                Op::Conv(_) => {
                    let (m, o_sp) = (out_shape[1], out_shape[2..].iter().product::<usize>());
                    (0..n_out).map(|o| d[o / o_sp.max(1) % m.max(1)]).collect()
                }
                _ => broadcast_index_map(b.shape(*t), out_shape).iter().map(|&i| d[i]).collect(),
            }
        }
    };
    let w_shape = b.shape(node.inputs[1]).to_vec();
    let block = match &node.op {
        Op::MatMul => {
            let &[kk, nn] = w_shape.as_slice() else {
                return Err("weights must be a 2-D constant on the right".into());
            };
            if kk == 0 || x_addr.len() % kk != 0 || x_addr.len() / kk * nn != n_out {
                return Err("operand layout".into());
            }
            Block::Dense(DenseBlock { first_row: 0, x: x_addr, w, k: kk, n: nn })
        }
        Op::Conv(cp) => {
            let x_shape = b.shape(x);
            let (c_in, m) =
                (x_shape.get(1).copied().unwrap_or(0), w_shape.first().copied().unwrap_or(0));
            let in_sp: usize = x_shape.iter().skip(2).product();
            let k_sp: usize = w_shape.iter().skip(2).product();
            let o_sp: usize = out_shape.iter().skip(2).product::<usize>().max(1);
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
            Block::Conv(ConvBlock::new(x_addr, w, x_shape, &w_shape, &out_shape[2..], cp))
        }
        _ => return Err("not a product".into()),
    };
    let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
    let addrs = b.block(block, &bias, shift, relu, qb)?;
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

/// `Mul` of a run-time tensor by a constant, with its rescale (and ReLU).
/// `Mul` of two run-time tensors (broadcasting): one product node per element, its rescale
/// (and a sole-reader ReLU) fused.
fn run_time_product(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = cx.node;
    let xa = operand(b, node.inputs[0], &cx.out_shape)?;
    let xb = operand(b, node.inputs[1], &cx.out_shape)?;
    let (shift, relu, final_t, qb) = product_tail(b, cx.k, uses, covered)?;
    let mut addrs = Vec::with_capacity(cx.n_out);
    for (x, y) in xa.into_iter().zip(xb) {
        let (Ok(x), Ok(y)) = (x, y) else { return Err("operand layout".into()) };
        addrs.push(b.product_node(x, y, shift, relu, Some(qb))?);
    }
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

pub(super) fn scale(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = cx.node;
    let out_shape = &cx.out_shape;
    let n_out = cx.n_out;
    let (a, c) = match (b.consts(node.inputs[0]).is_some(), b.consts(node.inputs[1]).is_some()) {
        (false, true) => (node.inputs[0], node.inputs[1]),
        (true, false) => (node.inputs[1], node.inputs[0]),
        (false, false) => return run_time_product(b, cx, uses, covered),
        (true, true) => return Err("a product of two constants (fold it)".into()),
    };
    let xa = operand(b, a, out_shape)?;
    let cv = operand(b, c, out_shape)?;
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
