//! The static schedule: which row does what, derived from a [`Program`] alone. Prover and
//! verifier both build it; its periodic columns and its node terms are the verifying key.
//!
//! Every provable op is compiled into *nodes*: `out = f(round_div(bias + sum_j w_j x_j, d))`
//! with `f` the identity or ReLU, `x_j` values written earlier (by nodes or as public inputs),
//! and `w_j`, `bias`, `d` fixed. A node is one slot of a row (half a row; a node whose values
//! need more than 24 bits takes a wide row): its accumulator and the limbs of its rounding;
//! the terms `(address, weight)` are checked for all nodes at once by the linear relation
//! ([`crate::linear`]), so a node costs half a row however many terms it has. Ops map to nodes
//! as follows:
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
//! - `Reshape`, `Transpose`, `Gather`, `Concat`: no rows, only a new address map;
//! - `Mul` of two run-time tensors: one product node per element (alone on its row, the
//!   factors read on the bus); `Div`: one quotient node per element (likewise, the divisor
//!   read on the bus);
//! - `Table`: the clamp into the table's range as for `Clip` (left out on a side the input's
//!   bound cannot reach), then one lookup node reading the entry `(x, f(x))` of a function
//!   table that is part of the verifying key.

use runtime::{Op, OpId, Program, ProgramDigest, TensorKind};

mod builder;
mod elementwise;
mod linalg;
mod lookup;
mod movement;
mod pool;

use crate::conv::ConvBlock;
use crate::dense::DenseBlock;
use crate::error::{ProveError, UnsupportedOp};
use crate::layout::{
    LimbGroup, Slot, ADDR_FIRST, ADDR_ZERO, FACTOR_X_LANES, FACTOR_Y_LANES, LANES, LIMB_BITS,
    MIN_TRACE_LEN, TABLE_SIZE, T_LANES, V1_LANES, V2_LANES,
};
use builder::{Builder, Cx, Uses};
use std::ops::Range;

/// Largest trace length the schedule accepts (2^22 rows). What a machine can prove is less:
/// `prove` refuses a trace whose estimated peak memory exceeds the available memory
/// ([`crate::memory`]); on 24 GiB that is 2^21 rows at blowup 8 and 2^22 at blowup 4.
pub const MAX_TRACE_LEN: usize = 1 << 22;

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
    /// A lookup node of function table `t` ([`Schedule::tables`]): no rounding (`shift` 0,
    /// no remainder limbs), the value `V1 - OFF` is the table's entry at the accumulator.
    pub table: Option<usize>,
    /// A product node: its accumulator is the product of two values read on the bus (stored
    /// in half `B` of its row, which it has to itself), not a linear combination.
    pub product: bool,
    /// A quotient node: its accumulator `2^(k+1) a + b` (linear) is `2 Q B + R` with the
    /// divisor `B` read on the bus, `0 <= R < 2B`; it writes `Q`. Alone on its row like a
    /// product node.
    pub divide: bool,
    /// A root node: its accumulator (linear) is `Q^2 + R` with `0 <= R <= 2Q`; it writes
    /// `Q = floor(sqrt(acc))`. Alone on its row like a product node.
    pub root: bool,
}

impl Requant {
    /// The node sits alone on a row but in half `A` only (half `B` holds factors).
    pub fn solo(&self) -> bool {
        self.product || self.divide || self.root
    }
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

    /// Largest magnitude of a value the row can write, whatever the prover does: `V1 - OFF`
    /// with `V1` in `[0, 2^(8 lv))` gives `2^(8 lv) - 1` after a ReLU and `2^(8 lv - 1)`
    /// without.
    pub fn value_range(&self) -> u128 {
        let full = 1u128 << (LIMB_BITS as usize * self.lv);
        if self.relu {
            full - 1
        } else {
            full / 2
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

    /// The node fits one half of a row: `T` in 2 limbs, `V1` and `V2` in 3 each.
    pub fn narrow(&self) -> bool {
        self.lr <= T_LANES.len() && self.lv <= V1_LANES.len() && self.v2_limbs() <= V2_LANES.len()
    }

    /// Limbs of `group`.
    pub fn limbs(&self, group: LimbGroup) -> usize {
        match group {
            LimbGroup::T => self.lr,
            LimbGroup::V1 => self.lv,
            LimbGroup::V2 => self.v2_limbs(),
        }
    }

    /// The lanes this node's limbs occupy when it sits in `slot` (lanes it cannot occupy are
    /// left out; the schedule only places a node where all its limbs fit).
    pub fn lanes(&self, slot: Slot) -> impl Iterator<Item = usize> + '_ {
        [LimbGroup::T, LimbGroup::V1, LimbGroup::V2]
            .into_iter()
            .flat_map(move |g| (0..self.limbs(g)).filter_map(move |k| slot.lane(g, k)))
    }

    /// The lanes that are range lookups when the node sits in `slot`: its limbs', and on a
    /// product row the factors' (half `B`'s `V1` and `V2` lanes).
    pub fn lookup_lanes(&self, slot: Slot) -> impl Iterator<Item = usize> + '_ {
        let factors = if self.solo() { FACTOR_X_LANES.start..FACTOR_Y_LANES.end } else { 0..0 };
        self.lanes(slot).chain(factors)
    }

    /// Limbs used in the `V2` lane group.
    pub fn v2_limbs(&self) -> usize {
        if self.divide || self.root {
            // The remainder's complement (`2B - 1 - R`, `2Q - R`).
            return V2_LANES.len();
        }
        match (self.divisor, self.relu) {
            (Some(_), _) => self.lr,
            (None, true) => self.lv,
            (None, false) => 0,
        }
    }
}

/// One node: one slot of a row of the trace ([`Schedule::slot`]).
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
    /// A quotient node's linear terms (a range of [`Schedule::terms`]) and its divisor's
    /// address.
    Quotient {
        /// The numerator's terms.
        list: Range<usize>,
        /// Address of the divisor.
        b: u32,
    },
    /// The product of the values at two addresses (a product node: no linear terms).
    Product {
        /// Address of the first factor.
        x: u32,
        /// Address of the second factor.
        y: u32,
    },
    /// Output `out` of block `block` ([`Schedule::blocks`]).
    Block {
        /// Index into [`Schedule::blocks`].
        block: usize,
        /// Output index within the block (batch row-major).
        out: usize,
    },
}

/// A function table of the schedule: entries `(lo + i, values[i])`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnTable {
    /// Input of the first entry.
    pub lo: i64,
    /// Outputs.
    pub values: Vec<i64>,
}

/// What the verifier needs to know of a program input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputMeta {
    /// Tensor name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fractional bits of the quantised values.
    pub scale: u8,
    /// Declared real range `[lo, hi]` (`None` if the tensor is not declared as an input).
    pub range: Option<(f64, f64)>,
}

/// A product kept as its weights: its nodes are consecutive rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A product with a constant 2-D weight matrix.
    Dense(DenseBlock),
    /// A convolution with a constant kernel.
    Conv(ConvBlock),
}

impl Block {
    /// Number of outputs (nodes).
    pub fn outputs(&self) -> usize {
        match self {
            Block::Dense(d) => d.outputs(),
            Block::Conv(c) => c.outputs(),
        }
    }

    /// Row of the first output's node.
    pub fn first_row(&self) -> usize {
        match self {
            Block::Dense(d) => d.first_row,
            Block::Conv(c) => c.first_row,
        }
    }

    pub(super) fn set_first_row(&mut self, row: usize) {
        match self {
            Block::Dense(d) => d.first_row = row,
            Block::Conv(c) => c.first_row = row,
        }
    }

    /// The terms of output `out` (a list built for debugging and tests).
    pub fn terms(&self, out: usize) -> Vec<(u32, i64)> {
        match self {
            Block::Dense(d) => d.terms(out),
            Block::Conv(c) => c.terms(out),
        }
    }

    /// Multiply-accumulates of one run.
    pub fn macs(&self) -> u64 {
        match self {
            Block::Dense(d) => d.macs(),
            Block::Conv(c) => c.macs(),
        }
    }

    /// `sum w x` of every output, with `value(address)` the value read.
    pub fn products(&self, value: impl Fn(u32) -> i128) -> Vec<i128> {
        match self {
            Block::Dense(d) => d.products(value),
            Block::Conv(c) => c.products(value),
        }
    }

    /// `sum |w| B(x)` of every output (an upper bound for convolutions), with
    /// `bound[address]` the static bounds, and [`Block::macs`] (one sweep of a dense block's
    /// weights for both).
    pub fn abs_bounds_and_macs(&self, bound: &[u128]) -> (Vec<u128>, u64) {
        match self {
            Block::Dense(d) => d.abs_bounds_and_macs(bound),
            Block::Conv(c) => (c.abs_bounds(bound), c.macs()),
        }
    }
}

/// The schedule of a program.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Digest of the program it was derived from.
    pub digest: ProgramDigest,
    /// The nodes, in program order (every value a node reads is written by an earlier node
    /// or is a public input). Each sits in one slot of a row ([`Schedule::slot`]); the trace
    /// pads the rows after the used ones.
    pub rows: Vec<Row>,
    /// Where each node sits: its *place* `p`, which is also its weight `gamma^p` in the linear
    /// relation. Nodes that need a wide row come first (places `0..wide_rows`, one per row),
    /// then the narrow ones (slot `A` of rows `wide_rows..wide_rows + pair_offset`, then slot
    /// `B` of rows `wide_rows..`). The nodes of a block have consecutive places.
    pub place: Vec<u32>,
    /// Rows holding one wide node.
    pub wide_rows: usize,
    /// `K`: slot `B` of row `r` holds place `r + K` (its weight is `gamma^(r + K)`).
    pub pair_offset: usize,
    /// Terms `(address, weight)` of the nodes with [`Terms::List`], in row order.
    pub terms: Vec<(u32, i64)>,
    /// Products kept as their weights (their nodes have [`Terms::Block`]).
    pub blocks: Vec<Block>,
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
    /// Name, shape, scale and declared real range of each program input: the verifier checks
    /// public inputs against them without the program.
    pub input_meta: Vec<InputMeta>,
    /// Multiply-accumulates scheduled (terms of all nodes).
    pub macs: u64,
    /// Function tables read by lookup nodes (distinct; tag [`crate::layout::table_tag`] of
    /// their index).
    pub tables: Vec<FnTable>,
    /// Cycle of the table-entry columns: a power of two above `256 + ` the entries of all
    /// function tables (so the cycle's last entry, on the transition-exempt last row of the
    /// trace, is a spare copy), at most the trace length.
    pub table_cycle: usize,
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
        Self::of_valid(p, digest)
    }

    /// [`Schedule::with_digest`] for a program that [`Program::validate`] accepted (the
    /// prover has just run it, which validates).
    pub(crate) fn of_valid(p: &Program, digest: ProgramDigest) -> Result<Schedule, ProveError> {
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
            blocks: Vec::new(),
            budget_exceeded: false,
            requants: Vec::new(),
            unsupported: Vec::new(),
            macs: 0,
            tables: Vec::new(),
        };
        for id in &p.inputs {
            let t = &p.tensors[id.0 as usize];
            let n: usize = t.shape.iter().product();
            let a = (0..n).map(|_| b.fresh(u128::from(t.bound))).collect();
            b.addr[id.0 as usize] = Some(a);
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
                    field_budget: false,
                }),
            }
        }
        if !b.unsupported.is_empty() {
            return Err(ProveError::Unsupported { ops: b.unsupported });
        }
        let (place, wide_rows, pair_offset) = place_nodes(&b.rows, &b.requants, &b.blocks);
        let used = wide_rows + pair_offset;
        let entries: usize = b.tables.iter().map(|t| t.values.len()).sum();
        let table_cycle = (TABLE_SIZE + entries + 1).next_power_of_two();
        let len = (used + 1).next_power_of_two().max(MIN_TRACE_LEN).max(table_cycle);
        if len > MAX_TRACE_LEN {
            return Err(ProveError::TooLarge { rows: used, max: MAX_TRACE_LEN });
        }
        let mut fanout = vec![0u64; b.bound.len()];
        let mut zero_reads = (used * LANES) as u64;
        for (node, row) in b.rows.iter().enumerate() {
            let g = &b.requants[row.group];
            let slot = slot_of(place[node] as usize, wide_rows, pair_offset, g.solo());
            zero_reads -= g.lookup_lanes(slot).count() as u64;
            // Factor reads of product nodes are bus reads of the addresses written.
            match row.terms {
                Terms::Product { x, y } => {
                    fanout[x as usize] += 1;
                    fanout[y as usize] += 1;
                }
                Terms::Quotient { b, .. } => fanout[b as usize] += 1,
                _ => {}
            }
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
            place,
            wide_rows,
            pair_offset,
            terms: b.terms,
            blocks: b.blocks,
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
            input_meta: p
                .inputs
                .iter()
                .filter_map(|id| p.tensors.get(id.0 as usize))
                .map(|t| InputMeta {
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    scale: t.scale,
                    range: match t.kind {
                        TensorKind::Input { lo, hi } => Some((lo, hi)),
                        _ => None,
                    },
                })
                .collect(),
            macs: b.macs,
            tables: b.tables,
            table_cycle,
        })
    }

    /// The table entry `(tag, x, y)` of row `r` of a table cycle (see
    /// [`crate::layout::periodic::TX`]); `tag` is 0 in the range table, `t + 1` for function
    /// table `t` (its bus tag is [`crate::layout::table_tag`]`(t)`).
    pub fn table_entry(&self, r: usize) -> (usize, i64, i64) {
        if r < TABLE_SIZE {
            return (0, r as i64, 0);
        }
        let mut k = r - TABLE_SIZE;
        for (t, table) in self.tables.iter().enumerate() {
            match table.values.get(k) {
                Some(&y) => return (t + 1, table.lo + k as i64, y),
                None => k -= table.values.len(),
            }
        }
        (0, 0, 0)
    }

    /// The row of the first table cycle holding function table `t`'s entry at input `x`.
    pub fn table_row(&self, t: usize, x: i64) -> Option<usize> {
        let table = self.tables.get(t)?;
        let k = usize::try_from(x.checked_sub(table.lo)?).ok()?;
        if k >= table.values.len() {
            return None;
        }
        let before: usize = self.tables[..t].iter().map(|t| t.values.len()).sum();
        Some(TABLE_SIZE + before + k)
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
            Terms::Product { x, y } => value(*x) * value(*y),
            Terms::Quotient { list, .. } => self
                .terms
                .get(list.clone())
                .unwrap_or(&[])
                .iter()
                .map(|(a, w)| value(*a) * i128::from(*w))
                .sum(),
            Terms::Block { block, out } => {
                if cache.as_ref().is_none_or(|(b, _)| b != block) {
                    let products = self.blocks.get(*block).map(|d| d.products(&value));
                    *cache = Some((*block, products.unwrap_or_default()));
                }
                cache.as_ref().and_then(|(_, p)| p.get(*out)).copied().unwrap_or(0)
            }
        };
        i128::from(row.bias) + sum
    }

    /// Where node `node` sits (row, slot, wide row).
    pub fn slot(&self, node: usize) -> Slot {
        let p = self.place.get(node).map_or(usize::MAX, |&p| p as usize);
        let solo =
            self.rows.get(node).and_then(|r| self.requants.get(r.group)).is_some_and(|g| g.solo());
        slot_of(p, self.wide_rows, self.pair_offset, solo)
    }

    /// Rows holding at least one node.
    pub fn used_rows(&self) -> usize {
        self.wide_rows + self.pair_offset
    }

    /// The terms `(address, weight)` of the node on row `r`, zero weights left out (empty
    /// beyond the used rows). Builds a list; the prover and verifier use block-wise passes.
    pub fn terms_of(&self, r: usize) -> Vec<(u32, i64)> {
        match self.rows.get(r).map(|row| &row.terms) {
            None => Vec::new(),
            Some(Terms::List(range)) => self.terms.get(range.clone()).unwrap_or(&[]).to_vec(),
            Some(Terms::Product { .. }) => Vec::new(),
            Some(Terms::Quotient { list, .. }) => {
                self.terms.get(list.clone()).unwrap_or(&[]).to_vec()
            }
            Some(Terms::Block { block, out }) => {
                self.blocks.get(*block).map(|d| d.terms(*out)).unwrap_or_default()
            }
        }
    }
}

/// The slot of place `p` with `wide` rows of one node each and pairing offset `k`; a product
/// node sits alone on its row but in half `A` only.
fn slot_of(p: usize, wide: usize, k: usize, product: bool) -> Slot {
    if p < wide {
        Slot { row: p, b: false, wide: !product }
    } else if p < wide + k {
        Slot { row: p, b: false, wide: false }
    } else {
        Slot { row: p - k, b: true, wide: false }
    }
}

/// Places the nodes: those that need a row of their own (wide nodes, nodes of a block with
/// one, product nodes) first, then the narrow ones, two per row; each group keeps program order, so a block's
/// nodes get consecutive places. Returns `place`, the wide row count and `K`.
fn place_nodes(rows: &[Row], requants: &[Requant], blocks: &[Block]) -> (Vec<u32>, usize, usize) {
    let mut narrow: Vec<bool> =
        rows.iter().map(|r| requants[r.group].narrow() && !requants[r.group].solo()).collect();
    for block in blocks {
        let range = block.first_row()..block.first_row() + block.outputs();
        if let Some(nodes) = narrow.get_mut(range) {
            if nodes.iter().any(|n| !n) {
                nodes.iter_mut().for_each(|n| *n = false);
            }
        }
    }
    let mut by_place: Vec<u32> = (0..rows.len() as u32).filter(|&i| !narrow[i as usize]).collect();
    let wide = by_place.len();
    by_place.extend((0..rows.len() as u32).filter(|&i| narrow[i as usize]));
    let mut place = vec![0u32; rows.len()];
    for (p, &node) in by_place.iter().enumerate() {
        place[node as usize] = p as u32;
    }
    let k = (rows.len() - wide).div_ceil(2);
    (place, wide, k)
}

/// Whether `p` fits the AIR's field budget. `Err` names the first node whose accumulator is
/// too large for the no-wrap margin of the soundness argument (the same model at a smaller
/// scale may fit); `Ok` otherwise, including programs refused for reasons no scale changes
/// (ops without a row type, more than [`MAX_TRACE_LEN`] rows). `starkml compile` passes it to
/// the transpiler's automatic scale choice (`TranspileOptions::accept`), so that the scale it
/// picks proves.
///
/// # Errors
/// The refusal of the first node over budget, as text.
pub fn check_field_budget(p: &Program) -> Result<(), String> {
    match Schedule::with_digest(p, ProgramDigest([0; 32])) {
        Err(ProveError::Unsupported { ops }) => match ops.iter().find(|o| o.field_budget) {
            Some(o) => Err(o.to_string()),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Schedules op `k` (and the ops it fuses, marked `covered`).
fn schedule_op(
    b: &mut Builder<'_>,
    k: usize,
    uses: &Uses,
    covered: &mut [bool],
) -> Result<(), String> {
    let node = &b.p.ops[k];
    let out_shape = b.shape(node.output).to_vec();
    let cx = Cx { k, node, out: node.output, n_out: out_shape.iter().product(), out_shape };
    match &node.op {
        Op::MatMul | Op::Conv(_) => linalg::product(b, &cx, uses, covered),
        Op::Mul => linalg::scale(b, &cx, uses, covered),
        Op::Add | Op::Sub => elementwise::add_sub(b, &cx, uses, covered),
        Op::Rescale { shift } => elementwise::rescale(b, &cx, uses, covered, shift),
        Op::Relu => elementwise::relu(b, &cx),
        Op::Clip { min, max } => elementwise::clip(b, &cx, min, max),
        Op::LeakyRelu { alpha, alpha_shift } => elementwise::leaky_relu(b, &cx, alpha, alpha_shift),
        Op::MaxPool(pp) | Op::AvgPool { pool: pp, .. } => pool::pool(b, &cx, pp),
        Op::ArgMax { axis, select_last, .. } => pool::argmax(b, &cx, axis, select_last),
        Op::Reshape | Op::Transpose { .. } | Op::Gather { .. } | Op::Concat { .. } => {
            movement::remap(b, &cx)
        }
        Op::Table { lo, values, .. } => lookup::table(b, &cx, *lo, values),
        Op::Div { shift } => elementwise::quotient(b, &cx, *shift),
        Op::Sqrt { shift } => elementwise::root(b, &cx, *shift),
    }
}
