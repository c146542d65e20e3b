//! The static schedule: which row does what, derived from a [`Program`] alone. Prover and
//! verifier both build it; its periodic columns are the verifying key.
//!
//! Supported program shapes: `MatMul`/`Conv` with constant weights (and constant bias) whose
//! result feeds exactly one `Rescale`, optionally followed by a `Relu` that is the rescale's
//! only reader (fused into the requant row); and the data-movement ops `Reshape`, `Transpose`,
//! `Gather` and `Concat`, which cost no rows (they only remap bus addresses).

use runtime::shape::{broadcast_index_map, strides};
use runtime::{Op, OpId, Program, ProgramDigest, TensorId, TensorKind};

use crate::error::{ProveError, UnsupportedOp};
use crate::layout::{ADDR_FIRST, LANES, LIMB_BITS, MIN_TRACE_LEN, T_LANES, V1_LANES};

/// Largest trace length the schedule accepts (2^22 rows).
pub const MAX_TRACE_LEN: usize = 1 << 22;

/// One fused `MatMul|Conv -> Rescale [-> Relu]` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requant {
    /// The rescale op (its remainders are in the witness).
    pub rescale_op: OpId,
    /// Rescale output (the rounded quotient `q`).
    pub q_tensor: TensorId,
    /// Tensor written to the bus: the ReLU output when fused, else `q_tensor`.
    pub out_tensor: TensorId,
    /// Bits dropped by the rescale.
    pub shift: u8,
    /// A ReLU is fused.
    pub relu: bool,
    /// Limbs of the shifted remainder (`ceil(shift / 8)`).
    pub lr: usize,
    /// Limbs of each of `V1`, `V2`.
    pub lv: usize,
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

    /// The remainder shift `8 lr - shift`.
    pub fn tshift(&self) -> u32 {
        LIMB_BITS * self.lr as u32 - u32::from(self.shift)
    }
}

/// What one row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Multiply-accumulate: lanes `(address, weight)`, and the bias when the row starts a
    /// dot product (0 otherwise).
    Mac {
        /// Up to [`LANES`] reads with their weights.
        lanes: Vec<(u32, i64)>,
        /// Added once, on the first row of the dot product.
        bias: i64,
        /// First row of a dot product (its accumulator starts at 0).
        first: bool,
    },
    /// Rescale (and ReLU) of the accumulator of the rows above; writes element `elem` of the
    /// group's output at `addr`.
    Requant {
        /// Index into [`Schedule::requants`].
        group: usize,
        /// Element index in the output tensor.
        elem: usize,
        /// Bus address written.
        addr: u32,
    },
}

/// The schedule of a program.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Digest of the program it was derived from.
    pub digest: ProgramDigest,
    /// Used rows (the trace pads the rest).
    pub rows: Vec<Row>,
    /// Fused requant groups.
    pub requants: Vec<Requant>,
    /// Trace length (a power of two, at least [`MIN_TRACE_LEN`], with at least one padding row).
    pub len: usize,
    /// For each address from [`ADDR_FIRST`]: the tensor and element it holds.
    pub addr_src: Vec<(TensorId, usize)>,
    /// Fan-out of every address (reads by lanes, plus one for public outputs).
    pub fanout: Vec<u64>,
    /// Addresses of each program input's elements.
    pub inputs: Vec<Vec<u32>>,
    /// Addresses of each program output's elements.
    pub outputs: Vec<Vec<u32>>,
    /// Number of reads of the zero cell.
    pub zero_reads: u64,
    /// Static bound of each program input (the verifier checks public inputs against it).
    pub input_bounds: Vec<u64>,
    /// Multiply-accumulates scheduled (non-zero weights).
    pub macs: u64,
}

struct Builder<'p> {
    p: &'p Program,
    addr: Vec<Option<Vec<u32>>>,
    air_bound: Vec<u128>,
    addr_src: Vec<(TensorId, usize)>,
    rows: Vec<Row>,
    requants: Vec<Requant>,
    unsupported: Vec<UnsupportedOp>,
    macs: u64,
}

fn bits(b: u128) -> u32 {
    128 - b.leading_zeros()
}

impl Builder<'_> {
    fn fresh(&mut self, t: TensorId) -> Vec<u32> {
        let n = self.p.tensors[t.0 as usize].shape.iter().product::<usize>();
        let first = ADDR_FIRST as usize + self.addr_src.len();
        self.addr_src.extend((0..n).map(|e| (t, e)));
        (first..first + n).map(|a| a as u32).collect()
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
}

/// Window offset of kernel position `kp` at output position `op`, or `None` in padding.
fn window(
    op: &[usize],
    kp: &[usize],
    s: &[usize],
    d: &[usize],
    pads: &[usize],
    dims: &[usize],
    st: &[usize],
) -> Option<usize> {
    let mut off = 0;
    for i in 0..op.len() {
        let p = (op[i] * s[i] + kp[i] * d[i]).checked_sub(pads[i])?;
        if p >= dims[i] {
            return None;
        }
        off += p * st[i];
    }
    Some(off)
}

fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut out = vec![0; dims.len()];
    for ax in (0..dims.len()).rev() {
        out[ax] = i % dims[ax].max(1);
        i /= dims[ax].max(1);
    }
    out
}

impl Schedule {
    /// Derives the schedule of `program`.
    ///
    /// # Errors
    /// [`ProveError::InvalidProgram`] for an invalid program, [`ProveError::Unsupported`]
    /// listing every op the AIR cannot prove yet, [`ProveError::TooLarge`] beyond
    /// [`MAX_TRACE_LEN`] rows.
    pub fn new(p: &Program) -> Result<Schedule, ProveError> {
        p.validate().map_err(ProveError::InvalidProgram)?;
        let nt = p.tensors.len();
        let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); nt];
        for (k, node) in p.ops.iter().enumerate() {
            for t in &node.inputs {
                consumers[t.0 as usize].push(k);
            }
        }
        let mut is_output = vec![false; nt];
        for o in &p.outputs {
            is_output[o.0 as usize] = true;
        }
        let mut b = Builder {
            p,
            addr: vec![None; nt],
            air_bound: vec![0; nt],
            addr_src: Vec::new(),
            rows: Vec::new(),
            requants: Vec::new(),
            unsupported: Vec::new(),
            macs: 0,
        };
        let mut input_bounds = Vec::new();
        for id in &p.inputs {
            let a = b.fresh(*id);
            b.addr[id.0 as usize] = Some(a);
            let bound = p.tensors[id.0 as usize].bound;
            b.air_bound[id.0 as usize] = u128::from(bound);
            input_bounds.push(bound);
        }
        let mut covered = vec![false; p.ops.len()];
        for (k, node) in p.ops.iter().enumerate() {
            if covered[k] {
                continue;
            }
            let out = node.output.0 as usize;
            match &node.op {
                Op::MatMul | Op::Conv(_) => {
                    if let Err(reason) = group(&mut b, k, &consumers, &is_output, &mut covered) {
                        b.refuse(k, reason);
                    }
                }
                Op::Reshape | Op::Transpose { .. } | Op::Gather { .. } | Op::Concat { .. } => {
                    let srcs: Option<Vec<&Vec<u32>>> =
                        node.inputs.iter().map(|t| b.addr[t.0 as usize].as_ref()).collect();
                    let Some(srcs) = srcs else {
                        b.refuse(k, "reads a tensor that is not on the bus (a constant or an unproven value)");
                        continue;
                    };
                    let in_shape = &p.tensors[node.inputs[0].0 as usize].shape;
                    let map: Vec<u32> = match &node.op {
                        Op::Reshape => srcs[0].clone(),
                        Op::Transpose { perm } => {
                            let st = strides(in_shape);
                            let out_shape = &p.tensors[out].shape;
                            (0..srcs[0].len())
                                .map(|i| {
                                    let pos = unravel(i, out_shape);
                                    srcs[0][pos
                                        .iter()
                                        .zip(perm)
                                        .map(|(x, &ax)| x * st[ax])
                                        .sum::<usize>()]
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
                                    let chunk: usize =
                                        p.tensors[t.0 as usize].shape[*axis..].iter().product();
                                    m.extend_from_slice(&src[o * chunk..(o + 1) * chunk]);
                                }
                            }
                            m
                        }
                        _ => Vec::new(),
                    };
                    b.air_bound[out] =
                        node.inputs.iter().map(|t| b.air_bound[t.0 as usize]).max().unwrap_or(0);
                    b.addr[out] = Some(map);
                }
                _ => b.refuse(k, "no AIR row type for this op yet"),
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
                    reason: "the output is not computed by provable ops".into(),
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
        let n_addr = ADDR_FIRST as usize + b.addr_src.len();
        let mut fanout = vec![0u64; n_addr];
        let mut zero_reads = 0u64;
        for row in &b.rows {
            match row {
                Row::Mac { lanes, .. } => {
                    for (a, _) in lanes {
                        fanout[*a as usize] += 1;
                    }
                }
                Row::Requant { group, .. } => {
                    let r = &b.requants[*group];
                    let used = r.lr + r.lv + if r.relu { r.lv } else { 0 };
                    zero_reads += (LANES - used) as u64;
                }
            }
        }
        for out in &outputs {
            for a in out {
                fanout[*a as usize] += 1;
            }
        }
        Ok(Schedule {
            digest: p.digest(),
            rows: b.rows,
            requants: b.requants,
            len,
            addr_src: b.addr_src,
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
}

/// Schedules one `MatMul|Conv -> Rescale [-> Relu]` group starting at op `k`.
fn group(
    b: &mut Builder<'_>,
    k: usize,
    consumers: &[Vec<usize>],
    is_output: &[bool],
    covered: &mut [bool],
) -> Result<(), String> {
    let p = b.p;
    let node = &p.ops[k];
    let acc = node.output.0 as usize;
    let (r, shift) = match consumers[acc].as_slice() {
        [r] if !is_output[acc] => match p.ops[*r].op {
            Op::Rescale { shift } => (*r, shift),
            _ => return Err("the product must feed exactly one rescale".into()),
        },
        _ => return Err("the product must feed exactly one rescale".into()),
    };
    let q = p.ops[r].output;
    let (relu, out_tensor, relu_op) = match consumers[q.0 as usize].as_slice() {
        [u] if !is_output[q.0 as usize] && p.ops[*u].op == Op::Relu => {
            (true, p.ops[*u].output, Some(*u))
        }
        _ => (false, q, None),
    };
    let x = node.inputs[0];
    let Some(x_addr) = b.addr[x.0 as usize].clone() else {
        return Err("its input is not on the bus (a constant or an unproven value)".into());
    };
    let Some(w) = b.consts(node.inputs[1]).map(<[i64]>::to_vec) else {
        return Err("weights must be constants".into());
    };
    let acc_shape = p.tensors[acc].shape.clone();
    let n_out: usize = acc_shape.iter().product();
    let bias: Vec<i64> = match node.inputs.get(2) {
        None => vec![0; n_out],
        Some(t) => {
            let Some(d) = b.consts(*t) else { return Err("bias must be a constant".into()) };
            match node.op {
                Op::Conv(_) => (0..n_out).map(|o| d[unravel(o, &acc_shape)[1]]).collect(),
                _ => broadcast_index_map(&p.tensors[t.0 as usize].shape, &acc_shape)
                    .iter()
                    .map(|&i| d[i])
                    .collect(),
            }
        }
    };
    // Lanes of every output element.
    let x_shape = &p.tensors[x.0 as usize].shape;
    let w_shape = &p.tensors[node.inputs[1].0 as usize].shape;
    let mut dots: Vec<Vec<(u32, i64)>> = Vec::with_capacity(n_out);
    match &node.op {
        Op::MatMul => {
            if w_shape.len() != 2 {
                return Err("weights must be a 2-D constant on the right".into());
            }
            let (kk, nn) = (w_shape[0], w_shape[1]);
            for o in 0..n_out {
                let (row, col) = (o / nn, o % nn);
                dots.push(
                    (0..kk)
                        .filter(|&i| w[i * nn + col] != 0)
                        .map(|i| (x_addr[row * kk + i], w[i * nn + col]))
                        .collect(),
                );
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
            let o_sp: usize = odims.iter().product();
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
    // Widths: limbs of the remainder and of the output.
    if shift > 32 {
        return Err(format!("rescale by {shift} bits exceeds the AIR's 32"));
    }
    let lr = (u32::from(shift)).div_ceil(LIMB_BITS) as usize;
    let qb = u128::from(p.tensors[q.0 as usize].bound);
    let need = if relu { bits(qb) } else { bits(qb) + 1 };
    let lv = (need.div_ceil(LIMB_BITS) as usize).max(1);
    if lv > V1_LANES.len() || lr > T_LANES.len() {
        return Err(format!("values of {need} bits exceed the AIR's {} limbs", V1_LANES.len()));
    }
    let req = Requant { rescale_op: OpId(r as u32), q_tensor: q, out_tensor, shift, relu, lr, lv };
    // Soundness: TSH * (acc + 2^s + 2^(s + 8 lv)) must stay below 2^62 (no wrap-around).
    let xb = b.air_bound[x.0 as usize];
    let acc_bound = dots
        .iter()
        .zip(&bias)
        .map(|(lanes, bv)| {
            lanes.iter().fold(u128::from(bv.unsigned_abs()), |s, (_, wv)| {
                s.saturating_add(u128::from(wv.unsigned_abs()).saturating_mul(xb))
            })
        })
        .max()
        .unwrap_or(0);
    let s = u32::from(shift);
    let span =
        acc_bound.saturating_add(1u128 << s).saturating_add(1u128 << (s + LIMB_BITS * lv as u32));
    if bits(span) + req.tshift() >= 62 {
        return Err(format!(
            "accumulators of ~2^{} exceed the AIR's field budget; compile with a smaller scale",
            bits(acc_bound)
        ));
    }
    // Rows.
    let gi = b.requants.len();
    let out_addr = b.fresh(out_tensor);
    for (o, lanes) in dots.iter().enumerate() {
        b.macs += lanes.len() as u64;
        let chunks: Vec<&[(u32, i64)]> =
            if lanes.is_empty() { vec![&[][..]] } else { lanes.chunks(LANES).collect() };
        for (ci, chunk) in chunks.iter().enumerate() {
            b.rows.push(Row::Mac {
                lanes: chunk.to_vec(),
                bias: if ci == 0 { bias[o] } else { 0 },
                first: ci == 0,
            });
        }
        b.rows.push(Row::Requant { group: gi, elem: o, addr: out_addr[o] });
    }
    b.air_bound[out_tensor.0 as usize] = if relu {
        (1u128 << (LIMB_BITS as usize * lv)) - 1
    } else {
        1u128 << (LIMB_BITS as usize * lv - 1)
    };
    b.addr[out_tensor.0 as usize] = Some(out_addr);
    b.requants.push(req);
    covered[r] = true;
    if let Some(u) = relu_op {
        covered[u] = true;
    }
    Ok(())
}
