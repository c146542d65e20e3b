//! The reference interpreter: exact `i64` execution of a validated [`Program`].

mod kernels;

use kernels::View;

use crate::error::RuntimeError;
use crate::fixed_point::{dequantize, quantize, round_div};
use crate::op::{Op, OpId};
use crate::program::{OpNode, Program, TensorKind};
use crate::shape::{broadcast_index_map, numel};

/// A fixed-point tensor: integers at `scale` fractional bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Fractional bits.
    pub scale: u8,
    /// Row-major integers.
    pub data: Vec<i64>,
}

impl Tensor {
    /// The real values the integers stand for (`x / 2^scale`).
    pub fn to_f64(&self) -> Vec<f64> {
        self.data.iter().map(|&x| dequantize(x, self.scale)).collect()
    }
}

/// Everything a prover needs about one run, without any trace layout: the value of every
/// tensor (inputs, constants and intermediates, by tensor id) and the rounding remainders of
/// every op that divides (by op id; empty for the others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// `values[t]` is tensor `t`'s integers, row-major.
    pub values: Vec<Vec<i64>>,
    /// `remainders[op]`: for `Rescale` and `AvgPool` one per output element, for `LeakyRelu`
    /// one per element (0 for non-negative inputs); empty for other ops. Each lies in
    /// `[0, divisor)`.
    pub remainders: Vec<Vec<i64>>,
}

/// Quantises real inputs (in program input order, flat row-major) after checking their
/// lengths, finiteness and declared ranges.
///
/// # Errors
/// [`RuntimeError::InputCount`], [`RuntimeError::InputShape`],
/// [`RuntimeError::InputNotFinite`], [`RuntimeError::InputOutOfRange`].
pub fn quantize_inputs(
    program: &Program,
    inputs: &[Vec<f64>],
) -> Result<Vec<Vec<i64>>, RuntimeError> {
    if inputs.len() != program.inputs.len() {
        return Err(RuntimeError::InputCount { expected: program.inputs.len(), got: inputs.len() });
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (id, data) in program.inputs.iter().zip(inputs) {
        let t = program.tensor(*id).ok_or_else(|| RuntimeError::InvalidField {
            field: "inputs".into(),
            reason: format!("{id} does not exist"),
        })?;
        let n = numel(&t.shape).unwrap_or(0);
        if data.len() != n {
            return Err(RuntimeError::InputShape {
                input: t.name.clone(),
                expected: t.shape.clone(),
                numel: n,
                got: format!("{} values", data.len()),
            });
        }
        let TensorKind::Input { lo, hi } = t.kind else {
            return Err(RuntimeError::InvalidField {
                field: "inputs".into(),
                reason: format!("{id} is not an input"),
            });
        };
        let mut q = Vec::with_capacity(n);
        for (index, &v) in data.iter().enumerate() {
            if !v.is_finite() {
                return Err(RuntimeError::InputNotFinite { input: t.name.clone(), index });
            }
            if v < lo || v > hi {
                return Err(RuntimeError::InputOutOfRange {
                    input: t.name.clone(),
                    index,
                    value: v,
                    lo,
                    hi,
                });
            }
            q.push(
                quantize(v, t.scale)
                    .ok_or(RuntimeError::InputNotFinite { input: t.name.clone(), index })?,
            );
        }
        out.push(q);
    }
    Ok(out)
}

/// Runs `program` on real inputs (program input order, flat row-major) and returns its
/// outputs.
///
/// # Errors
/// Input errors as in [`quantize_inputs`]; [`RuntimeError::Overflow`] or
/// [`RuntimeError::BoundViolated`] if arithmetic leaves the analysed bounds (not possible for
/// a validated program on in-range inputs).
pub fn run(program: &Program, inputs: &[Vec<f64>]) -> Result<Vec<Tensor>, RuntimeError> {
    run_traced(program, inputs).map(|(outputs, _)| outputs)
}

/// Like [`run`], and also returns the [`Witness`] of the run.
///
/// # Errors
/// As [`run`].
pub fn run_traced(
    program: &Program,
    inputs: &[Vec<f64>],
) -> Result<(Vec<Tensor>, Witness), RuntimeError> {
    let quantised = quantize_inputs(program, inputs)?;
    run_quantized(program, quantised)
}

/// Runs `program` on already quantised inputs (program input order). Values must lie within
/// each input's static bound.
///
/// # Errors
/// Any [`Program::validate`] error, as [`run`], plus [`RuntimeError::BoundViolated`] for an
/// input beyond its bound.
pub fn run_quantized(
    program: &Program,
    inputs: Vec<Vec<i64>>,
) -> Result<(Vec<Tensor>, Witness), RuntimeError> {
    // Programs from `from_bytes` or the transpiler are valid already; one built by hand may
    // not be, and indexing below relies on every invariant.
    program.validate()?;
    let witness = execute(program, inputs, true)?;
    let outputs = program
        .outputs
        .iter()
        .map(|id| {
            let t = &program.tensors[id.0 as usize];
            Tensor {
                shape: t.shape.clone(),
                scale: t.scale,
                data: witness.values[id.0 as usize].clone(),
            }
        })
        .collect();
    Ok((outputs, witness))
}

/// The largest magnitude `max |x|` of every tensor (by tensor id) over runs of `program` on
/// `samples` (each one real input per program input, as for [`run`]), ignoring the recorded
/// bounds: only the structure needs to be valid and the arithmetic to fit `i64`. The
/// transpiler declares bounds from these figures (calibration).
///
/// # Errors
/// [`Program::validate_structure`] errors, input errors as in [`quantize_inputs`],
/// [`RuntimeError::Overflow`].
pub fn observe_magnitudes(
    program: &Program,
    samples: &[Vec<Vec<f64>>],
) -> Result<Vec<u64>, RuntimeError> {
    program.validate_structure()?;
    let mut max = vec![0u64; program.tensors.len()];
    for sample in samples {
        let witness = execute(program, quantize_inputs(program, sample)?, false)?;
        for (m, v) in max.iter_mut().zip(&witness.values) {
            *m = v.iter().fold(*m, |m, x| m.max(x.unsigned_abs()));
        }
    }
    Ok(max)
}

/// Executes a structurally valid program; with `enforce`, every input and computed value
/// must lie within its tensor's recorded bound.
fn execute(
    program: &Program,
    inputs: Vec<Vec<i64>>,
    enforce: bool,
) -> Result<Witness, RuntimeError> {
    if inputs.len() != program.inputs.len() {
        return Err(RuntimeError::InputCount { expected: program.inputs.len(), got: inputs.len() });
    }
    let mut values: Vec<Vec<i64>> = program
        .tensors
        .iter()
        .map(|t| if let TensorKind::Const(d) = &t.kind { d.to_vec() } else { Vec::new() })
        .collect();
    let beyond = |data: &[i64], bound: u64| {
        if enforce {
            data.iter().copied().find(|v| v.unsigned_abs() > bound)
        } else {
            None
        }
    };
    for (id, data) in program.inputs.iter().zip(inputs) {
        let t = &program.tensors[id.0 as usize];
        if data.len() != numel(&t.shape).unwrap_or(0) {
            return Err(RuntimeError::InputShape {
                input: t.name.clone(),
                expected: t.shape.clone(),
                numel: numel(&t.shape).unwrap_or(0),
                got: format!("{} values", data.len()),
            });
        }
        if let Some(v) = beyond(&data, t.bound) {
            return Err(RuntimeError::BoundViolated {
                op: OpId(u32::MAX),
                origin: "input".into(),
                tensor: *id,
                name: t.name.clone(),
                value: v,
                bound: t.bound,
            });
        }
        values[id.0 as usize] = data;
    }
    let mut remainders = vec![Vec::new(); program.ops.len()];
    for (k, node) in program.ops.iter().enumerate() {
        let op = OpId(k as u32);
        if let (Op::Sqrt { .. }, Some(x)) = (&node.op, node.inputs.first()) {
            if let Some(&value) = values[x.0 as usize].iter().find(|&&v| v < 0) {
                return Err(RuntimeError::NegativeRoot { op, origin: node.origin.clone(), value });
            }
        }
        if let (Op::Div { .. }, Some(b)) = (&node.op, node.inputs.get(1)) {
            if let Some(&value) = values[b.0 as usize].iter().find(|&&v| v < 1) {
                return Err(RuntimeError::NonPositiveDivisor {
                    op,
                    origin: node.origin.clone(),
                    value,
                });
            }
        }
        let (out, rem) = exec(program, node, &values).ok_or_else(|| RuntimeError::Overflow {
            op,
            name: node.op.name(),
            origin: node.origin.clone(),
        })?;
        let info = &program.tensors[node.output.0 as usize];
        if let Some(v) = beyond(&out, info.bound) {
            return Err(RuntimeError::BoundViolated {
                op,
                origin: node.origin.clone(),
                tensor: node.output,
                name: info.name.clone(),
                value: v,
                bound: info.bound,
            });
        }
        values[node.output.0 as usize] = out;
        remainders[k] = rem;
    }
    Ok(Witness { values, remainders })
}

/// Executes one op; `None` on overflow.
fn exec(program: &Program, node: &OpNode, values: &[Vec<i64>]) -> Option<(Vec<i64>, Vec<i64>)> {
    let view = |k: usize| {
        let id = node.inputs[k].0 as usize;
        View { data: &values[id], shape: &program.tensors[id].shape }
    };
    let out_shape = &program.tensors[node.output.0 as usize].shape;
    let none = Vec::new;
    Some(match &node.op {
        Op::MatMul => {
            let bias = (node.inputs.len() > 2).then(|| view(2));
            (kernels::matmul(&view(0), &view(1), bias.as_ref(), out_shape)?, none())
        }
        Op::Conv(p) => {
            let bias = (node.inputs.len() > 2).then(|| view(2));
            (kernels::conv(&view(0), &view(1), bias.as_ref(), p, out_shape)?, none())
        }
        Op::Add => (kernels::elementwise(&view(0), &view(1), out_shape, i64::checked_add)?, none()),
        Op::Sub => (kernels::elementwise(&view(0), &view(1), out_shape, i64::checked_sub)?, none()),
        Op::Mul => (kernels::elementwise(&view(0), &view(1), out_shape, i64::checked_mul)?, none()),
        Op::Rescale { shift } => kernels::rescale_all(view(0).data, *shift)?,
        Op::Relu => (view(0).data.iter().map(|&x| x.max(0)).collect(), none()),
        Op::LeakyRelu { alpha, alpha_shift } => {
            let x = view(0).data;
            let mut out = Vec::with_capacity(x.len());
            let mut rem = Vec::with_capacity(x.len());
            for &v in x {
                if v >= 0 {
                    out.push(v);
                    rem.push(0);
                } else {
                    let (q, r) = round_div(v.checked_mul(*alpha)?, 1i64 << alpha_shift)?;
                    out.push(q);
                    rem.push(r);
                }
            }
            (out, rem)
        }
        Op::Clip { min, max } => {
            let f = |x: i64| {
                let x = min.map_or(x, |m| x.max(m));
                max.map_or(x, |m| x.min(m))
            };
            (view(0).data.iter().map(|&x| f(x)).collect(), none())
        }
        Op::MaxPool(p) => kernels::pool(&view(0), p, None, out_shape)?,
        Op::AvgPool { pool, count_include_pad } => {
            kernels::pool(&view(0), pool, Some(*count_include_pad), out_shape)?
        }
        Op::ArgMax { axis, select_last, .. } => {
            (kernels::argmax(&view(0), *axis, *select_last), none())
        }
        Op::Reshape => (view(0).data.to_vec(), none()),
        Op::Transpose { perm } => (kernels::transpose(&view(0), perm), none()),
        Op::Gather { axis, indices, .. } => (kernels::gather(&view(0), *axis, indices), none()),
        Op::Div { shift } => {
            let (a, b) = (view(0), view(1));
            let (ia, ib) =
                (broadcast_index_map(a.shape, out_shape), broadcast_index_map(b.shape, out_shape));
            let mut out = Vec::with_capacity(ia.len());
            let mut rem = Vec::with_capacity(ia.len());
            for (&i, &j) in ia.iter().zip(&ib) {
                let (x, d) = (i128::from(a.data[i]), i128::from(b.data[j]));
                if d < 1 {
                    return None;
                }
                let num = (x << (shift + 1)) + d;
                let q = num.div_euclid(2 * d);
                out.push(i64::try_from(q).ok()?);
                rem.push(i64::try_from(num - 2 * q * d).ok()?);
            }
            (out, rem)
        }
        Op::Sqrt { shift } => {
            let mut out = Vec::with_capacity(view(0).data.len());
            let mut rem = Vec::with_capacity(out.capacity());
            for &x in view(0).data {
                let v = u128::try_from(i128::from(x) << shift).ok()?;
                let q = crate::bounds::isqrt(v);
                out.push(i64::try_from(q).ok()?);
                rem.push(i64::try_from(v - q * q).ok()?);
            }
            (out, rem)
        }
        Op::Table { lo, values, .. } => {
            let last = values.len().saturating_sub(1) as i128;
            let at = |x: i64| (i128::from(x) - i128::from(*lo)).clamp(0, last) as usize;
            (
                view(0).data.iter().map(|&x| values.get(at(x)).copied().unwrap_or(0)).collect(),
                none(),
            )
        }
        Op::Concat { axis } => {
            let views: Vec<View<'_>> = (0..node.inputs.len()).map(view).collect();
            (kernels::concat(&views, *axis), none())
        }
    })
}
