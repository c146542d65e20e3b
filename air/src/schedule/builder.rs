//! The schedule builder: addresses, static bounds and nodes, shared by the op families.

use std::sync::Arc;

use runtime::shape::broadcast_index_map;
use runtime::{Op, OpId, OpNode, Program, TensorId, TensorKind};

use super::{Block, Requant, Row, Terms, MAX_TRACE_LEN};
use crate::error::UnsupportedOp;
use crate::layout::{FACTOR_OFFSET, LIMB_BITS, T_LANES, V1_LANES};

/// Most limbs of `T` a node can have (on a wide row).
const MAX_T_LIMBS: usize = 2 * (T_LANES.end - T_LANES.start);
/// Most limbs of `V1` (and `V2`) a node can have (on a wide row).
const MAX_V_LIMBS: usize = 2 * (V1_LANES.end - V1_LANES.start);

/// The op being scheduled: its index, node, output and output shape.
pub(super) struct Cx<'p> {
    /// Index of the op in the program.
    pub(super) k: usize,
    /// The op.
    pub(super) node: &'p OpNode,
    /// Its output tensor.
    pub(super) out: TensorId,
    /// The output's shape.
    pub(super) out_shape: Vec<usize>,
    /// The output's element count.
    pub(super) n_out: usize,
}

/// Rounding parameters of a node.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rounding {
    pub(super) shift: u8,
    pub(super) relu: bool,
    pub(super) qbound: Option<u128>,
    pub(super) divisor: Option<u64>,
}

pub(super) fn bits(b: u128) -> u32 {
    128 - b.leading_zeros()
}

pub(super) struct Builder<'p> {
    pub(super) p: &'p Program,
    /// Address map of every tensor on the bus.
    pub(super) addr: Vec<Option<Vec<u32>>>,
    /// Honest bound of the value at each address (index = address).
    pub(super) bound: Vec<u128>,
    pub(super) rows: Vec<Row>,
    pub(super) terms: Vec<(u32, i64)>,
    pub(super) blocks: Vec<Block>,
    /// Set when a node fails the field budget (read and cleared by `refuse`).
    pub(super) budget_exceeded: bool,
    pub(super) requants: Vec<Requant>,
    pub(super) unsupported: Vec<UnsupportedOp>,
    pub(super) macs: u64,
    /// Function tables of lookup nodes.
    pub(super) tables: Vec<super::FnTable>,
}

/// One linear node before scheduling.
pub(super) struct Node {
    pub(super) lanes: Vec<(u32, i64)>,
    pub(super) bias: i64,
}

impl Builder<'_> {
    /// Static bound of program tensor `t`.
    pub(super) fn bound_of(&self, t: TensorId) -> u128 {
        u128::from(self.p.tensors[t.0 as usize].bound)
    }

    /// Lowers the static bound of address `a` to `bound` (which must hold for the honest
    /// value, e.g. a clamp's output range).
    pub(super) fn tighten(&mut self, a: u32, bound: u128) {
        if let Some(b) = self.bound.get_mut(a as usize) {
            *b = (*b).min(bound.max(1));
        }
    }

    pub(super) fn fresh(&mut self, bound: u128) -> u32 {
        self.bound.push(bound);
        (self.bound.len() - 1) as u32
    }

    pub(super) fn refuse(&mut self, k: usize, reason: impl Into<String>) {
        let node = &self.p.ops[k];
        self.unsupported.push(UnsupportedOp {
            op: OpId(k as u32),
            name: node.op.name(),
            origin: node.origin.clone(),
            reason: reason.into(),
            field_budget: std::mem::take(&mut self.budget_exceeded),
        });
    }

    pub(super) fn consts(&self, t: TensorId) -> Option<&[i64]> {
        self.shared_consts(t).map(|d| d.as_slice())
    }

    /// The data of constant `t`, shared with the program (not copied).
    pub(super) fn shared_consts(&self, t: TensorId) -> Option<&Arc<Vec<i64>>> {
        match &self.p.tensors[t.0 as usize].kind {
            TensorKind::Const(d) => Some(d),
            _ => None,
        }
    }

    pub(super) fn shape(&self, t: TensorId) -> &[usize] {
        &self.p.tensors[t.0 as usize].shape
    }

    pub(super) fn group(
        &mut self,
        shift: u8,
        relu: bool,
        qbound: u128,
        divisor: Option<u64>,
    ) -> Result<usize, String> {
        if shift > 32 {
            return Err(format!("a rounding division by 2^{shift} exceeds the AIR's 2^32"));
        }
        let lr = match divisor {
            Some(d) if !(2..1 << 32).contains(&d) || relu => {
                return Err(format!("division by {d} is not provable"))
            }
            Some(d) => (bits(u128::from(d - 1)).div_ceil(LIMB_BITS) as usize).max(1),
            None => u32::from(shift).div_ceil(LIMB_BITS) as usize,
        };
        let need = if relu { bits(qbound) } else { bits(qbound) + 1 };
        let lv = (need.div_ceil(LIMB_BITS) as usize).max(1);
        if lv > MAX_V_LIMBS || lr > MAX_T_LIMBS {
            return Err(format!("values of {need} bits exceed the AIR's {MAX_V_LIMBS} limbs"));
        }
        let shift = if divisor.is_some() { 0 } else { shift };
        let g = Requant {
            shift,
            relu,
            lr,
            lv,
            divisor,
            table: None,
            product: false,
            divide: false,
            root: false,
        };
        Ok(self.intern(g))
    }

    /// The index of requant parameters `g`, added when new.
    pub(super) fn intern(&mut self, g: Requant) -> usize {
        match self.requants.iter().position(|r| *r == g) {
            Some(i) => i,
            None => {
                self.requants.push(g);
                self.requants.len() - 1
            }
        }
    }

    /// Schedules one node; returns the address it writes. `qbound` bounds the honest rounded
    /// quotient (before ReLU).
    pub(super) fn node(
        &mut self,
        n: Node,
        shift: u8,
        relu: bool,
        qbound: Option<u128>,
    ) -> Result<u32, String> {
        self.node_div(n, shift, relu, qbound, None)
    }

    /// As [`Builder::node`], dividing by `divisor` (not a power of two) instead of `2^shift`.
    pub(super) fn node_div(
        &mut self,
        n: Node,
        shift: u8,
        relu: bool,
        qbound: Option<u128>,
        divisor: Option<u64>,
    ) -> Result<u32, String> {
        let acc = n.lanes.iter().fold(u128::from(n.bias.unsigned_abs()), |s, (a, w)| {
            s.saturating_add(u128::from(w.unsigned_abs()).saturating_mul(self.bound[*a as usize]))
        });
        let start = self.terms.len();
        self.terms.extend(n.lanes.iter().filter(|(_, w)| *w != 0));
        self.macs += (self.terms.len() - start) as u64;
        let terms = Terms::List(start..self.terms.len());
        self.push_node(terms, n.bias, acc, Rounding { shift, relu, qbound, divisor })
    }

    /// Appends the row of a node whose accumulator is bounded by `acc` (bias included);
    /// returns the address it writes.
    pub(super) fn push_node(
        &mut self,
        terms: Terms,
        bias: i64,
        acc: u128,
        r: Rounding,
    ) -> Result<u32, String> {
        let Rounding { shift, relu, qbound, divisor } = r;
        let d = u128::from(divisor.unwrap_or(1u64 << shift.min(63)));
        let q = qbound.unwrap_or(acc.saturating_add(d / 2) / d);
        let mut gi = self.group(shift, relu, q, divisor)?;
        if let Terms::Product { .. } | Terms::Quotient { .. } = terms {
            let base = self.requants[gi];
            let g = match terms {
                Terms::Product { .. } => Requant { product: true, ..base },
                _ => Requant { divide: true, ..base },
            };
            if !g.narrow() {
                self.budget_exceeded = true;
                return Err(format!(
                    "a product of ~2^{} needs more than a half row's limbs; compile with a \
                     smaller scale",
                    bits(acc)
                ));
            }
            gi = self.intern(g);
        }
        let g = self.requants[gi];
        // Soundness: TSH * (acc + 2^s + 2^(s + 8 lv)) stays below 2^62 (no wrap-around).
        let span = acc
            .saturating_add(d)
            .saturating_add(d.saturating_mul(1u128 << (LIMB_BITS * g.lv as u32)));
        if bits(span) + g.tshift() >= 62 {
            self.budget_exceeded = true;
            return Err(format!(
                "accumulators of ~2^{} exceed the AIR's field budget; compile with a smaller scale",
                bits(acc)
            ));
        }
        if self.rows.len() >= MAX_TRACE_LEN {
            return Err(format!("the schedule exceeds {MAX_TRACE_LEN} rows"));
        }
        // The bound later nodes may rely on: the honest quotient's (from the accumulator's
        // bound), capped by what the limbs admit. `q` itself may be a bound declared from
        // calibration, which the runtime enforces but the proof only up to the limbs.
        let honest = acc.saturating_add(d / 2) / d;
        let out_bound = honest.min(g.value_range()).max(1);
        let addr = self.fresh(out_bound);
        self.rows.push(Row { group: gi, addr, bias, terms });
        Ok(addr)
    }

    /// Schedules a product node `f(round_div(x * y, 2^shift))` of the values at addresses `x`
    /// and `y` (each read on the bus, so each must fit a signed 24-bit factor); returns the
    /// address written.
    pub(super) fn product_node(
        &mut self,
        x: u32,
        y: u32,
        shift: u8,
        relu: bool,
        qbound: Option<u128>,
    ) -> Result<u32, String> {
        let (bx, by) = (self.bound[x as usize], self.bound[y as usize]);
        if bx.max(by) >= u128::from(FACTOR_OFFSET) {
            self.budget_exceeded = true;
            return Err(format!(
                "a factor of up to 2^{} exceeds a product's 24 bits; compile with a smaller scale",
                bits(bx.max(by))
            ));
        }
        self.macs += 1;
        let rounding = Rounding { shift, relu, qbound, divisor: None };
        self.push_node(Terms::Product { x, y }, 0, bx * by, rounding)
    }

    /// Schedules a quotient node `round_half_up(a 2^shift / b)` of the values at addresses
    /// `a` and `b` (the divisor read on the bus: within 24 bits; at least 1 in every valid
    /// trace); returns the address written.
    pub(super) fn quotient_node(
        &mut self,
        a: Result<u32, i64>,
        b: u32,
        shift: u8,
        qbound: Option<u128>,
    ) -> Result<u32, String> {
        let bb = self.bound[b as usize];
        let ba = match a {
            Ok(a) => self.bound[a as usize],
            Err(c) => u128::from(c.unsigned_abs()),
        };
        if bb >= u128::from(FACTOR_OFFSET) {
            self.budget_exceeded = true;
            return Err(format!(
                "a divisor of up to 2^{} exceeds 24 bits; compile with a smaller scale",
                bits(bb)
            ));
        }
        let w = 1i64 << (shift + 1);
        let start = self.terms.len();
        // A constant numerator is the bias.
        let bias = match a {
            Ok(a) => {
                self.terms.push((a, w));
                0
            }
            Err(c) => c.checked_mul(w).ok_or("a constant numerator beyond 2^63")?,
        };
        self.terms.push((b, 1));
        let acc = ba.saturating_mul(w as u128).saturating_add(bb);
        let rounding = Rounding { shift: 0, relu: false, qbound, divisor: None };
        let terms = Terms::Quotient { list: start..self.terms.len(), b };
        self.push_node(terms, bias, acc, rounding)
    }

    /// Schedules a root node `floor(sqrt(x 2^shift))` of the value at address `x`; returns the
    /// address written.
    pub(super) fn root_node(
        &mut self,
        x: u32,
        shift: u8,
        qbound: Option<u128>,
    ) -> Result<u32, String> {
        let w = 1i64 << shift;
        let start = self.terms.len();
        self.terms.push((x, w));
        let acc = self.bound[x as usize].saturating_mul(w as u128);
        let q = qbound.unwrap_or_else(|| runtime::bounds::isqrt(acc));
        let gi = self.group(0, false, q, None)?;
        let g = Requant { root: true, ..self.requants[gi] };
        if !g.narrow() || acc >= 1 << 48 {
            self.budget_exceeded = true;
            return Err(format!(
                "a square root of ~2^{} needs more than a half row's limbs; compile with a \
                 smaller scale",
                bits(acc)
            ));
        }
        let group = self.intern(g);
        if self.rows.len() >= MAX_TRACE_LEN {
            return Err(format!("the schedule exceeds {MAX_TRACE_LEN} rows"));
        }
        let honest = runtime::bounds::isqrt(acc).min(g.value_range()).max(1);
        let addr = self.fresh(honest);
        self.rows.push(Row { group, addr, bias: 0, terms: Terms::List(start..start + 1) });
        Ok(addr)
    }

    /// Schedules the nodes of a product kept as its weights (one per output, consecutive
    /// rows); returns the addresses they write.
    pub(super) fn block(
        &mut self,
        mut block: Block,
        bias: &[i64],
        shift: u8,
        relu: bool,
        qbound: u128,
    ) -> Result<Vec<u32>, String> {
        if bias.len() != block.outputs() {
            return Err("operand layout".into());
        }
        let (bounds, macs) = block.abs_bounds_and_macs(&self.bound);
        self.macs += macs;
        let id = self.blocks.len();
        block.set_first_row(self.rows.len());
        self.blocks.push(block);
        let rounding = Rounding { shift, relu, qbound: Some(qbound), divisor: None };
        bounds
            .iter()
            .zip(bias)
            .enumerate()
            .map(|(out, (a, &bv))| {
                let acc = a.saturating_add(u128::from(bv.unsigned_abs()));
                self.push_node(Terms::Block { block: id, out }, bv, acc, rounding)
            })
            .collect()
    }

    /// The maximum of the values at `addrs` (each bounded by `bound`), by
    /// `max(a, b) = b + relu(a - b)`: two nodes per value after the first.
    pub(super) fn max_of(&mut self, addrs: &[u32], bound: u128) -> Result<u32, String> {
        let (&first, rest) = addrs.split_first().ok_or("a maximum of nothing")?;
        let mut cur = first;
        for &v in rest {
            let y = self.node(
                Node { lanes: vec![(cur, 1), (v, -1)], bias: 0 },
                0,
                true,
                Some(2 * bound),
            )?;
            cur =
                self.node(Node { lanes: vec![(y, 1), (v, 1)], bias: 0 }, 0, false, Some(bound))?;
        }
        Ok(cur)
    }

    pub(super) fn on_bus(&self, t: TensorId) -> Result<Vec<u32>, String> {
        self.addr[t.0 as usize].clone().ok_or_else(|| {
            "reads a tensor that is not on the bus (a constant or an unproven value)".to_string()
        })
    }
}

/// Consumers of each tensor and whether it is a program output.
pub(super) struct Uses {
    pub(super) consumers: Vec<Vec<usize>>,
    pub(super) is_output: Vec<bool>,
}

impl Uses {
    /// The op that is the sole reader of `t`, if `t` is not a program output.
    pub(super) fn sole(&self, t: TensorId) -> Option<usize> {
        match self.consumers[t.0 as usize].as_slice() {
            [k] if !self.is_output[t.0 as usize] => Some(*k),
            _ => None,
        }
    }
}

/// The rescale (and fused ReLU) reading a product; marks them covered. Returns the shift, the
/// ReLU flag, the tensor written to the bus and the static bound of the rescale's output.
pub(super) fn product_tail(
    b: &Builder<'_>,
    k: usize,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(u8, bool, TensorId, u128), String> {
    let p = b.p;
    let acc = p.ops[k].output;
    let r = uses
        .sole(acc)
        .filter(|r| matches!(p.ops[*r].op, Op::Rescale { .. }))
        .ok_or("the product must feed exactly one rescale")?;
    let Op::Rescale { shift } = p.ops[r].op else { return Err("not a rescale".into()) };
    covered[r] = true;
    let q = p.ops[r].output;
    let (relu, out) = relu_tail(b, q, uses, covered);
    Ok((shift, relu, out, u128::from(p.tensors[q.0 as usize].bound)))
}

/// A ReLU that is the only reader of `t`: fused (marked covered).
pub(super) fn relu_tail(
    b: &Builder<'_>,
    t: TensorId,
    uses: &Uses,
    covered: &mut [bool],
) -> (bool, TensorId) {
    match uses.sole(t) {
        Some(u) if b.p.ops[u].op == Op::Relu => {
            covered[u] = true;
            (true, b.p.ops[u].output)
        }
        _ => (false, t),
    }
}

/// Element-wise operand addressing: per output element, either an address or a constant.
pub(super) fn operand(
    b: &Builder<'_>,
    t: TensorId,
    out_shape: &[usize],
) -> Result<Vec<Result<u32, i64>>, String> {
    let map = broadcast_index_map(b.shape(t), out_shape);
    if let Some(c) = b.consts(t) {
        return Ok(map.iter().map(|&i| Err(c[i])).collect());
    }
    let a = b.on_bus(t)?;
    Ok(map.iter().map(|&i| Ok(a[i])).collect())
}
