//! The program: tensors, ops and I/O, with validation and summary statistics.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::bounds::compute_bounds;
use crate::error::RuntimeError;
use crate::fixed_point::MAX_SCALE;
use crate::op::{Op, OpId, Operand, TensorId};
use crate::shape::{numel, MAX_RANK};

/// Largest number of tensors or ops a program may have.
pub const MAX_ITEMS: usize = 1 << 20;

/// What a tensor is.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorKind {
    /// A program input. Real inputs must lie in `[lo, hi]`; they are quantised at the tensor's
    /// scale with [`quantize`](crate::fixed_point::quantize).
    Input {
        /// Smallest accepted real value.
        lo: f64,
        /// Largest accepted real value.
        hi: f64,
    },
    /// A constant (weights, biases), row-major integers at the tensor's scale. Shared, not
    /// copied, by what reads a program (the prover's and verifier's schedules hold the same
    /// weights); build one with [`TensorKind::constant`], change one with `Arc::make_mut`.
    Const(Arc<Vec<i64>>),
    /// Computed by exactly one op.
    Value,
}

impl TensorKind {
    /// A constant holding `data`.
    pub fn constant(data: Vec<i64>) -> TensorKind {
        TensorKind::Const(Arc::new(data))
    }
}

/// A tensor of the program.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Name (the ONNX value or initializer name, or a derived name).
    pub name: String,
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Fractional bits: the integer `x` stands for `x / 2^scale`.
    pub scale: u8,
    /// Static bound: `|x| <= bound` for every element on every in-range input that runs (see
    /// [`bounds`](crate::bounds)): derived from the inputs' bounds, or declared smaller for a
    /// computed tensor and then enforced by the runtime. Provers may rely on it.
    pub bound: u64,
    /// Input, constant or computed value.
    pub kind: TensorKind,
}

/// One op with its operands.
#[derive(Debug, Clone, PartialEq)]
pub struct OpNode {
    /// The operation.
    pub op: Op,
    /// Tensors read, in the order the op defines.
    pub inputs: Vec<TensorId>,
    /// Tensor written.
    pub output: TensorId,
    /// Name of the ONNX node this op was lowered from (for error messages).
    pub origin: String,
}

/// A deterministic fixed-point integer program: the unit that is run, proven and deployed.
///
/// Invariants (checked by [`Program::validate`], which every decoder runs): ops are in
/// topological order, every value tensor is written by exactly one op, recorded shapes, scales
/// and bounds equal the ones derived from the inputs, and every bound fits the budget
/// [`crate::bounds::MAX_BOUND_BITS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Model name.
    pub name: String,
    /// All tensors: inputs, constants and computed values.
    pub tensors: Vec<TensorInfo>,
    /// Ops in execution order.
    pub ops: Vec<OpNode>,
    /// Program inputs, in order.
    pub inputs: Vec<TensorId>,
    /// Program outputs, in order.
    pub outputs: Vec<TensorId>,
}

/// Summary figures of a program, as shown by `starkml inspect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramStats {
    /// Number of ops of each kind.
    pub op_counts: BTreeMap<&'static str, usize>,
    /// Number of constant elements (quantised parameters).
    pub params: usize,
    /// Multiply-accumulates of one run.
    pub macs: u64,
    /// Distinct tensor scales (fractional bits).
    pub scales: Vec<u8>,
    /// Bits of the largest static bound.
    pub max_bound_bits: u32,
}

impl Program {
    /// The tensor with id `id`, if it exists.
    pub fn tensor(&self, id: TensorId) -> Option<&TensorInfo> {
        self.tensors.get(id.0 as usize)
    }

    /// Checks every invariant of a program and recomputes the static bounds.
    ///
    /// # Errors
    /// The first violated invariant, naming the tensor or op.
    pub fn validate(&self) -> Result<(), RuntimeError> {
        self.validate_structure()?;
        self.validate_bounds()
    }

    /// Every invariant of [`Program::validate`] but the bounds: tensors, topological order,
    /// shapes, scales and outputs. Enough to execute the program with checked arithmetic.
    ///
    /// # Errors
    /// The first violated invariant, naming the tensor or op.
    pub fn validate_structure(&self) -> Result<(), RuntimeError> {
        let field = |field: String, reason: String| RuntimeError::InvalidField { field, reason };
        if self.tensors.len() > MAX_ITEMS || self.ops.len() > MAX_ITEMS {
            return Err(field("tensors".into(), format!("more than {MAX_ITEMS} tensors or ops")));
        }
        let mut defined = vec![false; self.tensors.len()];
        let mut input_seen = vec![false; self.tensors.len()];
        for (i, t) in self.tensors.iter().enumerate() {
            let n = numel(&t.shape).filter(|_| t.shape.len() <= MAX_RANK).ok_or_else(|| {
                field(format!("tensors[{i}].shape"), format!("{:?} is too large", t.shape))
            })?;
            if t.scale > MAX_SCALE {
                return Err(field(
                    format!("tensors[{i}].scale"),
                    format!("{} > {MAX_SCALE}", t.scale),
                ));
            }
            match &t.kind {
                TensorKind::Const(data) => {
                    if data.len() != n {
                        return Err(field(
                            format!("tensors[{i}].data"),
                            format!("{} values for shape {:?}", data.len(), t.shape),
                        ));
                    }
                    defined[i] = true;
                }
                TensorKind::Input { lo, hi } => {
                    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                        return Err(field(format!("tensors[{i}].range"), format!("[{lo}, {hi}]")));
                    }
                    defined[i] = true;
                }
                TensorKind::Value => {}
            }
        }
        for (k, id) in self.inputs.iter().enumerate() {
            let i = id.0 as usize;
            match self.tensors.get(i).map(|t| &t.kind) {
                Some(TensorKind::Input { .. }) if !input_seen[i] => input_seen[i] = true,
                _ => {
                    return Err(field(
                        format!("inputs[{k}]"),
                        format!("{id} is not an unlisted input tensor"),
                    ))
                }
            }
        }
        if let Some(i) = self
            .tensors
            .iter()
            .enumerate()
            .position(|(i, t)| matches!(t.kind, TensorKind::Input { .. }) && !input_seen[i])
        {
            return Err(field(
                format!("tensors[{i}]"),
                "input tensor missing from the input list".into(),
            ));
        }
        for (k, node) in self.ops.iter().enumerate() {
            let op = OpId(k as u32);
            let mut operands = Vec::with_capacity(node.inputs.len());
            for &t in &node.inputs {
                match self.tensors.get(t.0 as usize) {
                    Some(info) if defined[t.0 as usize] => {
                        operands.push(Operand { shape: &info.shape, scale: info.scale })
                    }
                    _ => {
                        return Err(RuntimeError::NotTopological {
                            op,
                            origin: node.origin.clone(),
                            tensor: t,
                        })
                    }
                }
            }
            let out_idx = node.output.0 as usize;
            let out = match self.tensors.get(out_idx) {
                Some(t) if matches!(t.kind, TensorKind::Value) && !defined[out_idx] => t,
                _ => {
                    return Err(field(
                        format!("ops[{k}].output"),
                        format!("{} is not a value tensor written once", node.output),
                    ))
                }
            };
            let invalid = |reason: String| RuntimeError::InvalidOp {
                op,
                name: node.op.name(),
                origin: node.origin.clone(),
                reason,
            };
            let (mut shape, scale) = node.op.infer(&operands).map_err(invalid)?;
            if node.op == Op::Reshape {
                if numel(&out.shape) != numel(operands[0].shape) {
                    return Err(invalid(format!(
                        "cannot reshape {:?} to {:?}",
                        operands[0].shape, out.shape
                    )));
                }
                shape = out.shape.clone();
            }
            if shape != out.shape || scale != out.scale {
                return Err(RuntimeError::ShapeMismatch {
                    tensor: node.output,
                    name: out.name.clone(),
                    recorded: format!("{:?} s{}", out.shape, out.scale),
                    inferred: format!("{shape:?} s{scale}"),
                });
            }
            defined[out_idx] = true;
        }
        if let Some(i) = defined.iter().position(|d| !d) {
            return Err(field(format!("tensors[{i}]"), "value tensor written by no op".into()));
        }
        if self.outputs.is_empty() {
            return Err(field("outputs".into(), "the program has no outputs".into()));
        }
        for (k, id) in self.outputs.iter().enumerate() {
            if self.tensor(*id).is_none() {
                return Err(field(format!("outputs[{k}]"), format!("{id} does not exist")));
            }
        }
        Ok(())
    }

    /// The recorded bounds against the ones the analysis derives (part of
    /// [`Program::validate`]).
    fn validate_bounds(&self) -> Result<(), RuntimeError> {
        let bounds = compute_bounds(self)?;
        for (i, (t, b)) in self.tensors.iter().zip(bounds).enumerate() {
            if t.bound != b {
                return Err(RuntimeError::BoundMismatch {
                    tensor: TensorId(i as u32),
                    name: t.name.clone(),
                    recorded: t.bound,
                    computed: b,
                });
            }
        }
        Ok(())
    }

    /// Recomputes every tensor's static bound from the constants and input ranges and stores
    /// it (no declared bounds). The transpiler calls this once after building a program.
    ///
    /// # Errors
    /// [`RuntimeError::BoundTooLarge`] when a bound exceeds the budget, or any error of the
    /// analysis on an ill-formed program.
    pub fn assign_bounds(&mut self) -> Result<(), RuntimeError> {
        self.declare_bounds(&[])
    }

    /// As [`Program::assign_bounds`], with declared bounds `(tensor, bound)` on computed
    /// tensors: each such tensor's bound becomes the smaller of its derived bound and the
    /// declared one, the runtime refuses runs that exceed it, and its readers' bounds derive
    /// from it (see [`crate::bounds`]). Entries naming other tensors are ignored.
    ///
    /// # Errors
    /// As [`Program::assign_bounds`].
    pub fn declare_bounds(&mut self, declared: &[(TensorId, u64)]) -> Result<(), RuntimeError> {
        for t in &mut self.tensors {
            if matches!(t.kind, TensorKind::Value) {
                t.bound = u64::MAX;
            }
        }
        for &(id, b) in declared {
            if let Some(t) = self.tensors.get_mut(id.0 as usize) {
                if matches!(t.kind, TensorKind::Value) {
                    t.bound = b;
                }
            }
        }
        let bounds = compute_bounds(self)?;
        for (t, b) in self.tensors.iter_mut().zip(bounds) {
            t.bound = b;
        }
        Ok(())
    }

    /// The activation scale (fractional bits): the most common scale of the tensors above 0
    /// (scale 0 holds integers: indices, labels; an input read only by threshold tests is
    /// quantised finer, so the first input's scale can mislead). 0 for a program of integers.
    pub fn activation_scale(&self) -> u8 {
        let mut counts = [0usize; 256];
        for t in &self.tensors {
            counts[t.scale as usize] += 1;
        }
        (1..256u16)
            .max_by_key(|&s| (counts[s as usize], s))
            .filter(|&s| counts[s as usize] > 0)
            .map_or(0, |s| s as u8)
    }

    /// Summary figures: op counts, parameters, MACs, scales and the largest bound.
    pub fn stats(&self) -> ProgramStats {
        let mut op_counts = BTreeMap::new();
        let mut macs = 0u64;
        for node in &self.ops {
            *op_counts.entry(node.op.name()).or_insert(0) += 1;
            let operands: Vec<Operand<'_>> = node
                .inputs
                .iter()
                .filter_map(|t| self.tensor(*t))
                .map(|t| Operand { shape: &t.shape, scale: t.scale })
                .collect();
            let out: &[usize] = self.tensor(node.output).map(|t| t.shape.as_slice()).unwrap_or(&[]);
            macs += node.op.macs(&operands, out);
        }
        let params = self
            .tensors
            .iter()
            .map(|t| if let TensorKind::Const(d) = &t.kind { d.len() } else { 0 })
            .sum();
        let mut scales: Vec<u8> = self.tensors.iter().map(|t| t.scale).collect();
        scales.sort_unstable();
        scales.dedup();
        let max_bound_bits = self.tensors.iter().map(|t| bits(t.bound)).max().unwrap_or(0);
        ProgramStats { op_counts, params, macs, scales, max_bound_bits }
    }
}

/// Number of bits needed for `b`: `ceil(log2(b + 1))`.
pub fn bits(b: u64) -> u32 {
    64 - b.leading_zeros()
}
