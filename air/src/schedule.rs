//! The static schedule: which row does what, derived from a [`Program`] alone. Prover and
//! verifier both build it; its periodic columns and its node terms are the verifying key.
//!
//! Every provable op is compiled into *nodes*: `out = f(round_div(bias + sum_j w_j x_j, d))`
//! with `f` the identity or ReLU, `x_j` values written earlier (by nodes or as public inputs),
//! and `w_j`, `bias`, `d` fixed. A node is one row: its accumulator and the limbs of its
//! rounding; the terms `(address, weight)` are checked for all nodes at once by the linear
//! relation ([`crate::linear`]), so a node costs one row however many terms it has. Ops map to
//! nodes as follows:
//!
//! - `MatMul`/`Conv` with constant weights, and `Mul` by a constant, each followed by its
//!   `Rescale` (and a `Relu` that is the rescale's only reader): one node per element;
//! - `Add`/`Sub` (run-time or constant operands), stand-alone `Rescale` and `Relu`: one node
//!   per element (a following sole-reader `Relu` is fused);
//! - `MaxPool`: `max(a, b) = b + relu(a - b)`, two nodes per window element after the first;
//! - `AvgPool`: one node (the window sum, then a rounding shift for power-of-two counts or a
//!   rounding division by the count);
//! - `Clip`: `max(x, lo) = lo + relu(x - lo)` and `min(y, hi) = hi - relu(hi - y)`;
//! - `LeakyRelu`: `relu(x) + round_div(-alpha * relu(-x), 2^k)`, four nodes per element;
//! - `ArgMax`: the maximum `m` as for `MaxPool`, then `e_j = relu(1 - (m - v_j))` (1 exactly
//!   where `v_j = m`, integers), prefix counts `c_j`, `f_j = relu(e_j - c_j)` (the first
//!   maximum) and `index = sum_j j f_j`;
//! - `Reshape`, `Transpose`, `Gather`, `Concat`: no rows, only a new address map.

use runtime::shape::{broadcast_index_map, strides, window_offset as window};
use runtime::{Op, OpId, Program, ProgramDigest, TensorId, TensorKind};

use crate::dense::DenseBlock;
use crate::error::{ProveError, UnsupportedOp};
use crate::layout::{
    ADDR_FIRST, ADDR_ZERO, LANES, LIMB_BITS, MIN_TRACE_LEN, T_LANES, V1_LANES, V2_LANES,
};
use std::ops::Range;

/// Largest trace length the schedule accepts (2^21 rows: about 15 GB of prover memory at
/// blowup 8, measured 3.8 GB at 2^19).
pub const MAX_TRACE_LEN: usize = 1 << 21;

/// Parameters of a requant row (shared by all rows with the same parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requant {
    /// Bits dropped by the rounding division.
    pub shift: u8,
    /// A ReLU is applied.
    pub relu: bool,
    /// Limbs of the shifted remainder (`ceil(shift / 8)`).
    pub lr: usize,
    /// Limbs of each of `V1`, `V2` (with a divisor: of `V1`; `V2` then has `lr` limbs).
    pub lv: usize,
    /// A divisor that is not a power of two: the row divides by it (rounding half up), `T`
    /// holds the remainder and `V2` its complement `d - 1 - r`; `shift` is then 0.
    pub divisor: Option<u64>,
}

impl Requant {
    /// Offset added to signed outputs: `2^(8 lv - 1)` without ReLU, 0 with.
    pub fn offset(&self) -> u64 {
        if self.relu {
            0
        } else {
            1u64 << (LIMB_BITS as usize * self.lv - 1)
        }
    }

    /// The remainder shift `8 lr - shift` (0 for divisions).
    pub fn tshift(&self) -> u32 {
        if self.divisor.is_some() {
            0
        } else {
            LIMB_BITS * self.lr as u32 - u32::from(self.shift)
        }
    }

    /// The divisor: `2^shift` or the constant.
    pub fn d(&self) -> u64 {
        self.divisor.unwrap_or(1u64 << self.shift)
    }

    /// Lane `i` holds a limb of this row (a range lookup); unused lanes read the zero cell.
    pub fn lane_used(&self, i: usize) -> bool {
        if T_LANES.contains(&i) {
            i - T_LANES.start < self.lr
        } else if V1_LANES.contains(&i) {
            i - V1_LANES.start < self.lv
        } else {
            V2_LANES.contains(&i) && i - V2_LANES.start < self.v2_limbs()
        }
    }

    /// Limbs used in the `V2` lane group.
    pub fn v2_limbs(&self) -> usize {
        match (self.divisor, self.relu) {
            (Some(_), _) => self.lr,
            (None, true) => self.lv,
            (None, false) => 0,
        }
    }
}

/// One node: one row of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Index into [`Schedule::requants`].
    pub group: usize,
    /// Bus address written.
    pub addr: u32,
    /// Constant term of the accumulator.
    pub bias: i64,
    /// Where the node's terms are.
    pub terms: Terms,
}

/// Where a node's terms `(address, weight)` are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terms {
    /// A range of [`Schedule::terms`].
    List(Range<usize>),
    /// Output `out` of dense block `block` ([`Schedule::dense`]).
    Dense {
        /// Index into [`Schedule::dense`].
        block: usize,
        /// Output index within the block (batch row-major).
        out: usize,
    },
}

/// Rounding parameters of a node.
#[derive(Debug, Clone, Copy)]
struct Rounding {
    shift: u8,
    relu: bool,
    qbound: Option<u128>,
    divisor: Option<u64>,
}

/// The schedule of a program.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Digest of the program it was derived from.
    pub digest: ProgramDigest,
    /// Used rows, one per node (the trace pads the rest).
    pub rows: Vec<Row>,
    /// Terms `(address, weight)` of the nodes with [`Terms::List`], in row order.
    pub terms: Vec<(u32, i64)>,
    /// Dense products (their nodes have [`Terms::Dense`]).
    pub dense: Vec<DenseBlock>,
    /// Distinct requant parameters.
    pub requants: Vec<Requant>,
    /// Trace length (a power of two, at least [`MIN_TRACE_LEN`], with at least one padding row).
    pub len: usize,
    /// Number of addresses (including the lookup and zero addresses).
    pub addresses: usize,
    /// Fan-out of every address on the bus (one for each time it is a program output).
    pub fanout: Vec<u64>,
    /// Addresses of each program input's elements.
    pub inputs: Vec<Vec<u32>>,
    /// Addresses of each program output's elements.
    pub outputs: Vec<Vec<u32>>,
    /// Number of reads of the zero cell.
    pub zero_reads: u64,
    /// Static bound of each program input (the verifier checks public inputs against it).
    pub input_bounds: Vec<u64>,
    /// Multiply-accumulates scheduled (terms of all nodes).
    pub macs: u64,
}

fn bits(b: u128) -> u32 {
    128 - b.leading_zeros()
}

struct Builder<'p> {
    p: &'p Program,
    /// Address map of every tensor on the bus.
    addr: Vec<Option<Vec<u32>>>,
    /// Honest bound of the value at each address (index = address).
    bound: Vec<u128>,
    rows: Vec<Row>,
    terms: Vec<(u32, i64)>,
    dense: Vec<DenseBlock>,
    requants: Vec<Requant>,
    unsupported: Vec<UnsupportedOp>,
    macs: u64,
}

/// One linear node before scheduling.
struct Node {
    lanes: Vec<(u32, i64)>,
    bias: i64,
}

impl Builder<'_> {
    fn fresh(&mut self, bound: u128) -> u32 {
        self.bound.push(bound);
        (self.bound.len() - 1) as u32
    }

    fn refuse(&mut self, k: usize, reason: impl Into<String>) {
        let node = &self.p.ops[k];
        self.unsupported.push(UnsupportedOp {
            op: OpId(k as u32),
            name: node.op.name(),
            origin: node.origin.clone(),
            reason: reason.into(),
        });
    }

    fn consts(&self, t: TensorId) -> Option<&[i64]> {
        match &self.p.tensors[t.0 as usize].kind {
            TensorKind::Const(d) => Some(d),
            _ => None,
        }
    }

    fn shape(&self, t: TensorId) -> &[usize] {
        &self.p.tensors[t.0 as usize].shape
    }

    fn group(
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
        if lv > V1_LANES.len() || lr > T_LANES.len() {
            return Err(format!("values of {need} bits exceed the AIR's {} limbs", V1_LANES.len()));
        }
        let g = Requant { shift: if divisor.is_some() { 0 } else { shift }, relu, lr, lv, divisor };
        Ok(match self.requants.iter().position(|r| *r == g) {
            Some(i) => i,
            None => {
                self.requants.push(g);
                self.requants.len() - 1
            }
        })
    }

    /// Schedules one node; returns the address it writes. `qbound` bounds the honest rounded
    /// quotient (before ReLU).
    fn node(
        &mut self,
        n: Node,
        shift: u8,
        relu: bool,
        qbound: Option<u128>,
    ) -> Result<u32, String> {
        self.node_div(n, shift, relu, qbound, None)
    }

    /// As [`Builder::node`], dividing by `divisor` (not a power of two) instead of `2^shift`.
    fn node_div(
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
    fn push_node(
        &mut self,
        terms: Terms,
        bias: i64,
        acc: u128,
        r: Rounding,
    ) -> Result<u32, String> {
        let Rounding { shift, relu, qbound, divisor } = r;
        let d = u128::from(divisor.unwrap_or(1u64 << shift.min(63)));
        let q = qbound.unwrap_or(acc.saturating_add(d / 2) / d);
        let gi = self.group(shift, relu, q, divisor)?;
        let g = self.requants[gi];
        // Soundness: TSH * (acc + 2^s + 2^(s + 8 lv)) stays below 2^62 (no wrap-around).
        let span = acc
            .saturating_add(d)
            .saturating_add(d.saturating_mul(1u128 << (LIMB_BITS * g.lv as u32)));
        if bits(span) + g.tshift() >= 62 {
            return Err(format!(
                "accumulators of ~2^{} exceed the AIR's field budget; compile with a smaller scale",
                bits(acc)
            ));
        }
        if self.rows.len() >= MAX_TRACE_LEN {
            return Err(format!("the schedule exceeds {MAX_TRACE_LEN} rows"));
        }
        let out_bound = if relu { q } else { q.max(1) };
        let addr = self.fresh(out_bound);
        self.rows.push(Row { group: gi, addr, bias, terms });
        Ok(addr)
    }

    /// Schedules the nodes of a dense product (one per output, consecutive rows); returns the
    /// addresses they write.
    fn dense(
        &mut self,
        block: DenseBlock,
        bias: &[i64],
        shift: u8,
        relu: bool,
        qbound: u128,
    ) -> Result<Vec<u32>, String> {
        let bounds = block.abs_bounds(&self.bound);
        self.macs += block.macs();
        let id = self.dense.len();
        let first_row = self.rows.len();
        self.dense.push(DenseBlock { first_row, ..block });
        let rounding = Rounding { shift, relu, qbound: Some(qbound), divisor: None };
        bounds
            .iter()
            .zip(bias)
            .enumerate()
            .map(|(out, (a, &bv))| {
                let acc = a.saturating_add(u128::from(bv.unsigned_abs()));
                self.push_node(Terms::Dense { block: id, out }, bv, acc, rounding)
            })
            .collect()
    }

    /// The maximum of the values at `addrs` (each bounded by `bound`), by
    /// `max(a, b) = b + relu(a - b)`: two nodes per value after the first.
    fn max_of(&mut self, addrs: &[u32], bound: u128) -> Result<u32, String> {
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

    fn on_bus(&self, t: TensorId) -> Result<Vec<u32>, String> {
        self.addr[t.0 as usize].clone().ok_or_else(|| {
            "reads a tensor that is not on the bus (a constant or an unproven value)".to_string()
        })
    }
}

fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut out = vec![0; dims.len()];
    for ax in (0..dims.len()).rev() {
        out[ax] = i % dims[ax].max(1);
        i /= dims[ax].max(1);
    }
    out
}

/// Consumers of each tensor and whether it is a program output.
struct Uses {
    consumers: Vec<Vec<usize>>,
    is_output: Vec<bool>,
}

impl Uses {
    /// The op that is the sole reader of `t`, if `t` is not a program output.
    fn sole(&self, t: TensorId) -> Option<usize> {
        match self.consumers[t.0 as usize].as_slice() {
            [k] if !self.is_output[t.0 as usize] => Some(*k),
            _ => None,
        }
    }
}

impl Schedule {
    /// Derives the schedule of `program`.
    ///
    /// # Errors
    /// [`ProveError::InvalidProgram`] for an invalid program, [`ProveError::Unsupported`]
    /// listing every op the AIR cannot prove yet, [`ProveError::TooLarge`] beyond
    /// [`MAX_TRACE_LEN`] rows.
    pub fn new(p: &Program) -> Result<Schedule, ProveError> {
        Self::with_digest(p, p.digest())
    }

    /// [`Schedule::new`] with the program's digest already computed (it encodes and hashes
    /// every weight, so callers that hold it do not pay twice).
    pub(crate) fn with_digest(p: &Program, digest: ProgramDigest) -> Result<Schedule, ProveError> {
        p.validate().map_err(ProveError::InvalidProgram)?;
        let nt = p.tensors.len();
        let mut uses = Uses { consumers: vec![Vec::new(); nt], is_output: vec![false; nt] };
        for (k, node) in p.ops.iter().enumerate() {
            for t in &node.inputs {
                uses.consumers[t.0 as usize].push(k);
            }
        }
        for o in &p.outputs {
            uses.is_output[o.0 as usize] = true;
        }
        let mut b = Builder {
            p,
            addr: vec![None; nt],
            bound: vec![0; ADDR_FIRST as usize],
            rows: Vec::new(),
            terms: Vec::new(),
            dense: Vec::new(),
            requants: Vec::new(),
            unsupported: Vec::new(),
            macs: 0,
        };
        let mut input_bounds = Vec::new();
        for id in &p.inputs {
            let t = &p.tensors[id.0 as usize];
            let n: usize = t.shape.iter().product();
            let a = (0..n).map(|_| b.fresh(u128::from(t.bound))).collect();
            b.addr[id.0 as usize] = Some(a);
            input_bounds.push(t.bound);
        }
        let mut covered = vec![false; p.ops.len()];
        // Tensors downstream of a refused op: their readers are not listed again.
        let mut tainted = vec![false; nt];
        for k in 0..p.ops.len() {
            if covered[k] {
                continue;
            }
            let node = &p.ops[k];
            if node.inputs.iter().any(|t| tainted[t.0 as usize]) {
                tainted[node.output.0 as usize] = true;
                continue;
            }
            if let Err(reason) = schedule_op(&mut b, k, &uses, &mut covered) {
                b.refuse(k, reason);
                tainted[node.output.0 as usize] = true;
            }
        }
        let mut outputs = Vec::new();
        for (i, o) in p.outputs.iter().enumerate() {
            match &b.addr[o.0 as usize] {
                Some(a) => outputs.push(a.clone()),
                // An op refused above already explains a missing output.
                None if !b.unsupported.is_empty() => {}
                None => b.unsupported.push(UnsupportedOp {
                    op: OpId(u32::MAX),
                    name: "output",
                    origin: format!("output #{i}"),
                    reason: "the output is a constant, not computed by provable ops".into(),
                }),
            }
        }
        if !b.unsupported.is_empty() {
            return Err(ProveError::Unsupported { ops: b.unsupported });
        }
        let len = (b.rows.len() + 1).next_power_of_two().max(MIN_TRACE_LEN);
        if len > MAX_TRACE_LEN {
            return Err(ProveError::TooLarge { rows: b.rows.len(), max: MAX_TRACE_LEN });
        }
        let mut fanout = vec![0u64; b.bound.len()];
        let mut zero_reads = 0u64;
        for row in &b.rows {
            let r = &b.requants[row.group];
            zero_reads += (LANES - (r.lr + r.lv + r.v2_limbs())) as u64;
        }
        for out in &outputs {
            for a in out {
                fanout[*a as usize] += 1;
            }
        }
        fanout[ADDR_ZERO as usize] = 0;
        Ok(Schedule {
            digest,
            rows: b.rows,
            terms: b.terms,
            dense: b.dense,
            requants: b.requants,
            len,
            addresses: b.bound.len(),
            fanout,
            inputs: p
                .inputs
                .iter()
                .map(|t| b.addr[t.0 as usize].clone().unwrap_or_default())
                .collect(),
            outputs,
            zero_reads,
            input_bounds,
            macs: b.macs,
        })
    }

    /// The accumulator `bias + sum w x` of the node on row `r`, with `value(address)` the value
    /// read. Rows are visited in order and every value a node reads is written before it, so
    /// a dense block's accumulators are computed (into `cache`) when its first row is reached.
    pub fn accumulator(
        &self,
        r: usize,
        cache: &mut Option<(usize, Vec<i128>)>,
        value: impl Fn(u32) -> i128,
    ) -> i128 {
        let Some(row) = self.rows.get(r) else { return 0 };
        let sum = match &row.terms {
            Terms::List(range) => self
                .terms
                .get(range.clone())
                .unwrap_or(&[])
                .iter()
                .map(|(a, w)| value(*a) * i128::from(*w))
                .sum(),
            Terms::Dense { block, out } => {
                if cache.as_ref().is_none_or(|(b, _)| b != block) {
                    let products = self.dense.get(*block).map(|d| d.products(&value));
                    *cache = Some((*block, products.unwrap_or_default()));
                }
                cache.as_ref().and_then(|(_, p)| p.get(*out)).copied().unwrap_or(0)
            }
        };
        i128::from(row.bias) + sum
    }

    /// The terms `(address, weight)` of the node on row `r`, zero weights left out (empty
    /// beyond the used rows). Builds a list; the prover and verifier use block-wise passes.
    pub fn terms_of(&self, r: usize) -> Vec<(u32, i64)> {
        match self.rows.get(r).map(|row| &row.terms) {
            None => Vec::new(),
            Some(Terms::List(range)) => self.terms.get(range.clone()).unwrap_or(&[]).to_vec(),
            Some(Terms::Dense { block, out }) => {
                self.dense.get(*block).map(|d| d.terms(*out)).unwrap_or_default()
            }
        }
    }
}

/// The rescale (and fused ReLU) reading a product; marks them covered. Returns the shift, the
/// ReLU flag, the tensor written to the bus and the static bound of the rescale's output.
fn product_tail(
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
fn relu_tail(b: &Builder<'_>, t: TensorId, uses: &Uses, covered: &mut [bool]) -> (bool, TensorId) {
    match uses.sole(t) {
        Some(u) if b.p.ops[u].op == Op::Relu => {
            covered[u] = true;
            (true, b.p.ops[u].output)
        }
        _ => (false, t),
    }
}

/// Element-wise operand addressing: per output element, either an address or a constant.
fn operand(
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

fn schedule_op(
    b: &mut Builder<'_>,
    k: usize,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let p = b.p;
    let node = &p.ops[k];
    let out = node.output;
    let out_shape = b.shape(out).to_vec();
    let n_out: usize = out_shape.iter().product();
    let bound_of = |t: TensorId| u128::from(p.tensors[t.0 as usize].bound);
    match &node.op {
        Op::MatMul | Op::Conv(_) => {
            let x = node.inputs[0];
            let x_addr = b.on_bus(x)?;
            let w =
                b.consts(node.inputs[1]).map(<[i64]>::to_vec).ok_or("weights must be constants")?;
            let acc_shape = out_shape.clone();
            let bias: Vec<i64> = match node.inputs.get(2) {
                None => vec![0; n_out],
                Some(t) => {
                    let d = b.consts(*t).ok_or("bias must be a constant")?;
                    match node.op {
                        Op::Conv(_) => (0..n_out).map(|o| d[unravel(o, &acc_shape)[1]]).collect(),
                        _ => broadcast_index_map(b.shape(*t), &acc_shape)
                            .iter()
                            .map(|&i| d[i])
                            .collect(),
                    }
                }
            };
            let w_shape = b.shape(node.inputs[1]).to_vec();
            if let (Op::MatMul, &[kk, nn]) = (&node.op, w_shape.as_slice()) {
                if kk == 0 || x_addr.len() % kk != 0 || x_addr.len() / kk * nn != n_out {
                    return Err("operand layout".into());
                }
                let (shift, relu, final_t, qb) = product_tail(b, k, uses, covered)?;
                let block = DenseBlock { first_row: 0, x: x_addr, w, k: kk, n: nn };
                let addrs = b.dense(block, &bias, shift, relu, qb)?;
                b.addr[final_t.0 as usize] = Some(addrs);
                return Ok(());
            }
            let dots = product_lanes(&node.op, &x_addr, b.shape(x), &w, &w_shape, &acc_shape)?;
            let (shift, relu, final_t, qb) = product_tail(b, k, uses, covered)?;
            b.terms.reserve(dots.iter().map(Vec::len).sum());
            let mut addrs = Vec::with_capacity(n_out);
            for (lanes, bv) in dots.into_iter().zip(bias) {
                addrs.push(b.node(Node { lanes, bias: bv }, shift, relu, Some(qb))?);
            }
            b.addr[final_t.0 as usize] = Some(addrs);
        }
        Op::Mul => {
            let (a, c) =
                match (b.consts(node.inputs[0]).is_some(), b.consts(node.inputs[1]).is_some()) {
                    (false, true) => (node.inputs[0], node.inputs[1]),
                    (true, false) => (node.inputs[1], node.inputs[0]),
                    _ => return Err("only a product with a constant is provable".into()),
                };
            let xa = operand(b, a, &out_shape)?;
            let cv = operand(b, c, &out_shape)?;
            let (shift, relu, final_t, qb) = product_tail(b, k, uses, covered)?;
            let mut addrs = Vec::with_capacity(n_out);
            for (x, c) in xa.into_iter().zip(cv) {
                let (Ok(x), Err(c)) = (x, c) else { return Err("operand layout".into()) };
                let lanes = if c == 0 { vec![] } else { vec![(x, c)] };
                addrs.push(b.node(Node { lanes, bias: 0 }, shift, relu, Some(qb))?);
            }
            b.addr[final_t.0 as usize] = Some(addrs);
        }
        Op::Add | Op::Sub => {
            let sign = if node.op == Op::Sub { -1 } else { 1 };
            let xa = operand(b, node.inputs[0], &out_shape)?;
            let xb = operand(b, node.inputs[1], &out_shape)?;
            let (relu, final_t) = relu_tail(b, out, uses, covered);
            let qb = Some(bound_of(out));
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
        }
        Op::Rescale { shift } => {
            let x = b.on_bus(node.inputs[0])?;
            let (relu, final_t) = relu_tail(b, out, uses, covered);
            let qb = Some(bound_of(out));
            let addrs = x
                .iter()
                .map(|&a| b.node(Node { lanes: vec![(a, 1)], bias: 0 }, *shift, relu, qb))
                .collect::<Result<Vec<_>, _>>()?;
            b.addr[final_t.0 as usize] = Some(addrs);
        }
        Op::Relu => {
            let x = b.on_bus(node.inputs[0])?;
            let qb = Some(bound_of(node.inputs[0]));
            let addrs = x
                .iter()
                .map(|&a| b.node(Node { lanes: vec![(a, 1)], bias: 0 }, 0, true, qb))
                .collect::<Result<Vec<_>, _>>()?;
            b.addr[out.0 as usize] = Some(addrs);
        }
        Op::Clip { min, max } => {
            let x = b.on_bus(node.inputs[0])?;
            let xb = bound_of(node.inputs[0]);
            let mut addrs = Vec::with_capacity(n_out);
            for &a in &x {
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
                        Node { lanes: vec![(y, 1)], bias: *lo },
                        0,
                        false,
                        Some(cb.max(u128::from(lo.unsigned_abs()))),
                    )?;
                    cb = cb.max(u128::from(lo.unsigned_abs()));
                }
                if let Some(hi) = max {
                    // min(y, hi) = hi - relu(hi - y)
                    let y = b.node(
                        Node { lanes: vec![(cur, -1)], bias: *hi },
                        0,
                        true,
                        Some(cb + u128::from(hi.unsigned_abs())),
                    )?;
                    cur = b.node(
                        Node { lanes: vec![(y, -1)], bias: *hi },
                        0,
                        false,
                        Some(cb.max(u128::from(hi.unsigned_abs()))),
                    )?;
                }
                addrs.push(cur);
            }
            b.addr[out.0 as usize] = Some(addrs);
        }
        Op::LeakyRelu { alpha, alpha_shift } => {
            let x = b.on_bus(node.inputs[0])?;
            let xb = bound_of(node.inputs[0]);
            let mut addrs = Vec::with_capacity(n_out);
            for &a in &x {
                // relu(x) + round_div(-alpha * relu(-x), 2^k)
                let pos = b.node(Node { lanes: vec![(a, 1)], bias: 0 }, 0, true, Some(xb))?;
                let neg = b.node(Node { lanes: vec![(a, -1)], bias: 0 }, 0, true, Some(xb))?;
                let t = b.node(
                    Node { lanes: vec![(neg, -*alpha)], bias: 0 },
                    *alpha_shift,
                    false,
                    None,
                )?;
                addrs.push(b.node(
                    Node { lanes: vec![(pos, 1), (t, 1)], bias: 0 },
                    0,
                    false,
                    Some(bound_of(out)),
                )?);
            }
            b.addr[out.0 as usize] = Some(addrs);
        }
        Op::MaxPool(pp) | Op::AvgPool { pool: pp, .. } => {
            let x = node.inputs[0];
            let xa = b.on_bus(x)?;
            let xb = bound_of(x);
            let xs = b.shape(x).to_vec();
            let dims = &xs[2..];
            let st = strides(dims);
            let in_sp: usize = dims.iter().product();
            let odims = &out_shape[2..];
            let o_sp: usize = odims.iter().product::<usize>().max(1);
            let k_sp: usize = pp.kernel.iter().product();
            let nd = dims.len();
            let mut addrs = Vec::with_capacity(n_out);
            for o in 0..n_out {
                let (plane, opos) = (o / o_sp, unravel(o % o_sp, odims));
                let mut window_addrs = Vec::new();
                let mut pad_count = 0usize;
                for ki in 0..k_sp {
                    let kp = unravel(ki, &pp.kernel);
                    match window(&opos, &kp, &pp.strides, &pp.dilations, &pp.pads, dims, &st) {
                        Some(off) => window_addrs.push(xa[plane * in_sp + off]),
                        None => {
                            let inside = (0..nd).all(|d| {
                                opos[d] * pp.strides[d] + kp[d] * pp.dilations[d]
                                    < pp.pads[d] + dims[d] + pp.pads[d + nd]
                            });
                            if inside {
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
                        let count =
                            window_addrs.len() + if *count_include_pad { pad_count } else { 0 };
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
        }
        Op::ArgMax { axis, select_last, .. } => {
            let x = node.inputs[0];
            let xa = b.on_bus(x)?;
            let xb = bound_of(x);
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
                    let vals: Vec<u32> =
                        order.iter().map(|&j| xa[(o * len + j) * inner + i]).collect();
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
                    addrs.push(b.node(
                        Node { lanes: idx_lanes, bias: 0 },
                        0,
                        false,
                        Some(len as u128),
                    )?);
                }
            }
            b.addr[out.0 as usize] = Some(addrs);
        }
        Op::Reshape | Op::Transpose { .. } | Op::Gather { .. } | Op::Concat { .. } => {
            let srcs: Vec<Vec<u32>> =
                node.inputs.iter().map(|t| b.on_bus(*t)).collect::<Result<_, _>>()?;
            let in_shape = b.shape(node.inputs[0]).to_vec();
            let map: Vec<u32> = match &node.op {
                Op::Reshape => srcs[0].clone(),
                Op::Transpose { perm } => {
                    let st = strides(&in_shape);
                    (0..srcs[0].len())
                        .map(|i| {
                            let pos = unravel(i, &out_shape);
                            srcs[0][pos.iter().zip(perm).map(|(x, &ax)| x * st[ax]).sum::<usize>()]
                        })
                        .collect()
                }
                Op::Gather { axis, indices, .. } => {
                    let outer: usize = in_shape[..*axis].iter().product();
                    let len = in_shape[*axis];
                    let inner: usize = in_shape[axis + 1..].iter().product();
                    let mut m = Vec::new();
                    for o in 0..outer {
                        for &i in indices {
                            let base = (o * len + i) * inner;
                            m.extend_from_slice(&srcs[0][base..base + inner]);
                        }
                    }
                    m
                }
                Op::Concat { axis } => {
                    let outer: usize = in_shape[..*axis].iter().product();
                    let mut m = Vec::new();
                    for o in 0..outer {
                        for (src, t) in srcs.iter().zip(&node.inputs) {
                            let chunk: usize = b.shape(*t)[*axis..].iter().product();
                            m.extend_from_slice(&src[o * chunk..(o + 1) * chunk]);
                        }
                    }
                    m
                }
                _ => Vec::new(),
            };
            b.addr[out.0 as usize] = Some(map);
        }
        _ => return Err("no AIR row type for this op yet".into()),
    }
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
