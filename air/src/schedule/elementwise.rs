//! Element-wise nodes: `Add`, `Sub`, stand-alone `Rescale` and `Relu`, `Clip`, `LeakyRelu`.

use runtime::Op;

use super::builder::{operand, relu_tail, Builder, Cx, Node, Uses};

/// `Add` / `Sub` (run-time or constant operands, broadcasting), one node per element.
pub(super) fn add_sub(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let out_shape = &cx.out_shape;
    let n_out = cx.n_out;
    let sign = if node.op == Op::Sub { -1 } else { 1 };
    let xa = operand(b, node.inputs[0], out_shape)?;
    let xb = operand(b, node.inputs[1], out_shape)?;
    let (relu, final_t) = relu_tail(b, out, uses, covered);
    let qb = Some(b.bound_of(out));
    let mut addrs = Vec::with_capacity(n_out);
    for (x, y) in xa.into_iter().zip(xb) {
        let mut n = Node { lanes: vec![], bias: 0 };
        match x {
            Ok(a) => n.lanes.push((a, 1)),
            Err(c) => n.bias += c,
        }
        match y {
            Ok(a) => n.lanes.push((a, sign)),
            Err(c) => n.bias += sign * c,
        }
        addrs.push(b.node(n, 0, relu, qb)?);
    }
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

/// A stand-alone `Rescale` (a sole-reader `Relu` fused).
pub(super) fn rescale(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    uses: &Uses,
    covered: &mut [bool],
    shift: &u8,
) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let x = b.on_bus(node.inputs[0])?;
    let (relu, final_t) = relu_tail(b, out, uses, covered);
    let qb = Some(b.bound_of(out));
    let addrs = x
        .iter()
        .map(|&a| b.node(Node { lanes: vec![(a, 1)], bias: 0 }, *shift, relu, qb))
        .collect::<Result<Vec<_>, _>>()?;
    b.addr[final_t.0 as usize] = Some(addrs);
    Ok(())
}

/// A stand-alone `Relu`.
pub(super) fn relu(b: &mut Builder<'_>, cx: &Cx<'_>) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let x = b.on_bus(node.inputs[0])?;
    let qb = Some(b.bound_of(node.inputs[0]));
    let addrs = x
        .iter()
        .map(|&a| b.node(Node { lanes: vec![(a, 1)], bias: 0 }, 0, true, qb))
        .collect::<Result<Vec<_>, _>>()?;
    b.addr[out.0 as usize] = Some(addrs);
    Ok(())
}

/// `Clip`: `max(x, lo) = lo + relu(x - lo)`, `min(y, hi) = hi - relu(hi - y)`.
pub(super) fn clip(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    min: &Option<i64>,
    max: &Option<i64>,
) -> Result<(), String> {
    let node = cx.node;
    let x = b.on_bus(node.inputs[0])?;
    let xb = b.bound_of(node.inputs[0]);
    let addrs = x.iter().map(|&a| clamp(b, a, xb, *min, *max)).collect::<Result<_, _>>()?;
    b.addr[cx.out.0 as usize] = Some(addrs);
    Ok(())
}

/// The value at `a` (its honest values bounded by `xb`) clamped to `[min, max]`: two nodes per
/// bound. Returns the address of the result.
pub(super) fn clamp(
    b: &mut Builder<'_>,
    a: u32,
    xb: u128,
    min: Option<i64>,
    max: Option<i64>,
) -> Result<u32, String> {
    let mut cur = a;
    let mut cb = xb;
    if let Some(lo) = min {
        // max(x, lo) = lo + relu(x - lo)
        let y = b.node(
            Node { lanes: vec![(cur, 1)], bias: -lo },
            0,
            true,
            Some(cb + u128::from(lo.unsigned_abs())),
        )?;
        cur = b.node(
            Node { lanes: vec![(y, 1)], bias: lo },
            0,
            false,
            Some(cb.max(u128::from(lo.unsigned_abs()))),
        )?;
        cb = cb.max(u128::from(lo.unsigned_abs()));
    }
    if let Some(hi) = max {
        // min(y, hi) = hi - relu(hi - y)
        let y = b.node(
            Node { lanes: vec![(cur, -1)], bias: hi },
            0,
            true,
            Some(cb + u128::from(hi.unsigned_abs())),
        )?;
        // With a lower bound applied first, `y >= lo` (a relu output is non-negative), so
        // `relu(hi - y) <= hi - lo` and the result lies in `[lo, hi]` exactly.
        let out = match min {
            Some(lo) => u128::from(lo.unsigned_abs()).max(u128::from(hi.unsigned_abs())),
            None => cb.max(u128::from(hi.unsigned_abs())),
        };
        cur = b.node(Node { lanes: vec![(y, -1)], bias: hi }, 0, false, Some(out))?;
        if min.is_some() {
            // True of the honest value, so of every value a valid trace writes here (the
            // soundness argument's induction): later nodes may rely on it.
            b.tighten(cur, out);
        }
    }
    Ok(cur)
}

/// `Div` by a run-time tensor: one quotient node per element.
pub(super) fn quotient(b: &mut Builder<'_>, cx: &Cx<'_>, shift: u8) -> Result<(), String> {
    let node = cx.node;
    let xa = operand(b, node.inputs[0], &cx.out_shape)?;
    let xb = operand(b, node.inputs[1], &cx.out_shape)?;
    let qb = Some(b.bound_of(cx.out));
    let mut addrs = Vec::with_capacity(cx.n_out);
    for (x, y) in xa.into_iter().zip(xb) {
        let Ok(y) = y else { return Err("a quotient by a constant (fold it)".into()) };
        addrs.push(b.quotient_node(x, y, shift, qb)?);
    }
    b.addr[cx.out.0 as usize] = Some(addrs);
    Ok(())
}

/// `Sqrt`: one root node per element.
pub(super) fn root(b: &mut Builder<'_>, cx: &Cx<'_>, shift: u8) -> Result<(), String> {
    let x = b.on_bus(cx.node.inputs[0])?;
    let qb = Some(b.bound_of(cx.out));
    let addrs = x.iter().map(|&a| b.root_node(a, shift, qb)).collect::<Result<_, _>>()?;
    b.addr[cx.out.0 as usize] = Some(addrs);
    Ok(())
}

/// `LeakyRelu`: `relu(x) + round_div(-alpha relu(-x), 2^k)`.
pub(super) fn leaky_relu(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    alpha: &i64,
    alpha_shift: &u8,
) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let n_out = cx.n_out;
    let x = b.on_bus(node.inputs[0])?;
    let xb = b.bound_of(node.inputs[0]);
    let mut addrs = Vec::with_capacity(n_out);
    for &a in &x {
        // relu(x) + round_div(-alpha * relu(-x), 2^k)
        let pos = b.node(Node { lanes: vec![(a, 1)], bias: 0 }, 0, true, Some(xb))?;
        let neg = b.node(Node { lanes: vec![(a, -1)], bias: 0 }, 0, true, Some(xb))?;
        let t = b.node(Node { lanes: vec![(neg, -*alpha)], bias: 0 }, *alpha_shift, false, None)?;
        addrs.push(b.node(
            Node { lanes: vec![(pos, 1), (t, 1)], bias: 0 },
            0,
            false,
            Some(b.bound_of(out)),
        )?);
    }
    b.addr[out.0 as usize] = Some(addrs);
    Ok(())
}
