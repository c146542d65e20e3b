//! The closed set of fixed-point operations a [`Program`](crate::Program) is made of.
//!
//! These are *semantic* ops, not ONNX names: the transpiler lowers ONNX nodes onto them. Every
//! op reads one or more tensors and writes exactly one. Shapes and scales of the output follow
//! from the inputs and the op's parameters ([`Op::infer`]), except for [`Op::Reshape`], whose
//! output shape is the one recorded for its output tensor.

use crate::fixed_point::MAX_SCALE;
use crate::shape::{broadcast, numel, MAX_RANK};

/// Index of an op in [`Program::ops`](crate::Program::ops).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub u32);

/// Index of a tensor in [`Program::tensors`](crate::Program::tensors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TensorId(pub u32);

impl std::fmt::Display for TensorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// Window geometry of a convolution over `n` spatial axes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvParams {
    /// Stride per spatial axis (>= 1).
    pub strides: Vec<usize>,
    /// Padding: `n` begin values then `n` end values, in elements (zeros are read there).
    pub pads: Vec<usize>,
    /// Dilation per spatial axis (>= 1).
    pub dilations: Vec<usize>,
    /// Number of channel groups (>= 1, divides input and output channels).
    pub group: usize,
}

/// Window geometry of a pooling op over `n` spatial axes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolParams {
    /// Window size per spatial axis (>= 1).
    pub kernel: Vec<usize>,
    /// Stride per spatial axis (>= 1).
    pub strides: Vec<usize>,
    /// Padding: `n` begin values then `n` end values. Padded positions are skipped by
    /// max-pooling and count as zeros for average pooling only with `count_include_pad`.
    pub pads: Vec<usize>,
    /// Dilation per spatial axis (>= 1).
    pub dilations: Vec<usize>,
    /// Output sizes round up instead of down (a last window must still start inside the input
    /// or its begin padding).
    pub ceil_mode: bool,
}

/// A fixed-point operation. Inputs are listed in [`OpNode::inputs`](crate::OpNode::inputs) in
/// the order given for each variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Numpy `matmul(a, b) (+ bias)`: inputs `[a, b]` or `[a, b, bias]`. Output scale is
    /// `scale(a) + scale(b)`; the bias must have that scale and broadcast to the output.
    MatMul,
    /// N-d convolution (cross-correlation) of `x: [N, C, D..]` with `w: [M, C/group, K..]`,
    /// inputs `[x, w]` or `[x, w, bias: [M]]`. Output scale is `scale(x) + scale(w)`.
    Conv(ConvParams),
    /// Element-wise `a + b` with broadcasting; both inputs have the same scale.
    Add,
    /// Element-wise `a - b` with broadcasting; both inputs have the same scale.
    Sub,
    /// Element-wise `a * b` with broadcasting; output scale is the sum of the input scales.
    Mul,
    /// Round-half-up division by `2^shift`; output scale is `scale(x) - shift`. Its remainders
    /// (in `[0, 2^shift)`) are recorded in the witness.
    Rescale {
        /// Bits dropped.
        shift: u8,
    },
    /// `max(x, 0)`.
    Relu,
    /// `x` when `x >= 0`, else `round_div(x * alpha, 2^alpha_shift)`; the slope is the real
    /// number `alpha / 2^alpha_shift`. Remainders of negative elements are in the witness.
    LeakyRelu {
        /// Slope numerator (integer at `alpha_shift` fractional bits).
        alpha: i64,
        /// Fractional bits of `alpha`.
        alpha_shift: u8,
    },
    /// Saturation to `[min, max]` (integers at the tensor's scale; `None` = unbounded).
    Clip {
        /// Lower bound, inclusive.
        min: Option<i64>,
        /// Upper bound, inclusive.
        max: Option<i64>,
    },
    /// Maximum over each window of `x: [N, C, D..]`.
    MaxPool(PoolParams),
    /// Round-half-up mean over each window of `x: [N, C, D..]`; remainders of the divisions
    /// are in the witness.
    AvgPool {
        /// Window geometry.
        pool: PoolParams,
        /// Padded positions count in the divisor.
        count_include_pad: bool,
    },
    /// Index of the largest element along `axis` (first one, or last with `select_last`);
    /// output scale 0.
    ArgMax {
        /// Reduced axis.
        axis: usize,
        /// Keep the reduced axis with size 1.
        keepdims: bool,
        /// On ties, pick the last index instead of the first.
        select_last: bool,
    },
    /// Same data, the shape of the output tensor (element counts must agree).
    Reshape,
    /// Axis permutation: output axis `i` is input axis `perm[i]`.
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// ONNX-style gather along `axis` with constant indices: the output shape is
    /// `x.shape[..axis] ++ indices_shape ++ x.shape[axis + 1..]`.
    Gather {
        /// Gathered axis.
        axis: usize,
        /// Flat indices into that axis (each `< x.shape[axis]`).
        indices: Vec<usize>,
        /// Shape of the index tensor (its element count is `indices.len()`).
        indices_shape: Vec<usize>,
    },
    /// Concatenation of all inputs (same scale, same shape but `axis`) along `axis`.
    Concat {
        /// Joined axis.
        axis: usize,
    },
    /// Element-wise division by a positive run-time value, rounding half up:
    /// `q = floor((2^(shift+1) a + b) / 2b) = round_half_up(a 2^shift / b)`; inputs `[a, b]`
    /// (broadcasting), output scale `scale(a) + shift - scale(b)`. A divisor below 1 is a
    /// run-time error ([`RuntimeError::NonPositiveDivisor`](crate::RuntimeError)). The
    /// remainders `2^(shift+1) a + b - 2 q b`, in `[0, 2b)`, are in the witness.
    Div {
        /// Bits the numerator is shifted up by (at most [`MAX_DIV_SHIFT`]).
        shift: u8,
    },
    /// Element-wise square root, rounded down: `q = floor(sqrt(x 2^shift))` for `x >= 0`;
    /// output scale `(scale(x) + shift) / 2` (the sum must be even). A negative input is a
    /// run-time error ([`RuntimeError::NegativeRoot`](crate::RuntimeError)); the remainders
    /// `x 2^shift - q^2`, in `[0, 2q]`, are in the witness.
    Sqrt {
        /// Bits the input is shifted up by (at most [`MAX_DIV_SHIFT`]).
        shift: u8,
    },
    /// A function tabulated over the integers `lo..lo + values.len()` of its input:
    /// `y = values[clamp(x - lo, 0, len - 1)]`. Inputs outside the table take the value at the
    /// nearer end (the clamp is part of the semantics). The output has scale `out_scale`,
    /// whatever the input's; the transpiler derives the entries from the real function at the
    /// input's scale. At most [`MAX_TABLE_LEN`] entries, `|lo|` and every `|value|` at most
    /// [`MAX_TABLE_VALUE`].
    Table {
        /// Input integer of the first entry.
        lo: i64,
        /// The entries (integers at `out_scale`).
        values: Vec<i64>,
        /// Fractional bits of the output.
        out_scale: u8,
    },
}

/// Largest `shift` of an [`Op::Div`].
pub const MAX_DIV_SHIFT: u8 = 32;

/// Most entries of an [`Op::Table`].
pub const MAX_TABLE_LEN: usize = 1 << 16;
/// Largest magnitude of an [`Op::Table`]'s `lo` and of its entries (`2^40`).
pub const MAX_TABLE_VALUE: i64 = 1 << 40;

/// Shape and scale of one op input, as seen by [`Op::infer`].
#[derive(Debug, Clone, Copy)]
pub struct Operand<'a> {
    /// Tensor shape.
    pub shape: &'a [usize],
    /// Fractional bits.
    pub scale: u8,
}

impl Op {
    /// Short lower-case name used in the text form.
    pub fn name(&self) -> &'static str {
        match self {
            Op::MatMul => "matmul",
            Op::Conv(_) => "conv",
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Rescale { .. } => "rescale",
            Op::Relu => "relu",
            Op::LeakyRelu { .. } => "leaky_relu",
            Op::Clip { .. } => "clip",
            Op::MaxPool(_) => "maxpool",
            Op::AvgPool { .. } => "avgpool",
            Op::ArgMax { .. } => "argmax",
            Op::Reshape => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::Gather { .. } => "gather",
            Op::Concat { .. } => "concat",
            Op::Table { .. } => "table",
            Op::Div { .. } => "div",
            Op::Sqrt { .. } => "sqrt",
        }
    }

    /// Number of multiply-accumulates the op performs for the given input shapes (0 for ops
    /// without products).
    pub fn macs(&self, inputs: &[Operand<'_>], out_shape: &[usize]) -> u64 {
        let out = out_shape.iter().product::<usize>() as u64;
        match self {
            Op::MatMul => {
                let k = inputs.first().and_then(|a| a.shape.last()).copied().unwrap_or(1);
                out * k as u64
            }
            Op::Conv(_) => {
                let per_out = inputs.get(1).map(|w| w.shape.iter().skip(1).product::<usize>());
                out * per_out.unwrap_or(0) as u64
            }
            Op::Mul => out,
            _ => 0,
        }
    }

    /// Shape and scale of the output for the given inputs, checking arity, shapes, scales
    /// and parameters. For [`Op::Reshape`] the returned shape is empty and must be replaced by
    /// the recorded output shape (see [`Program::validate`](crate::Program::validate)).
    ///
    /// # Errors
    /// A human-readable reason when the inputs do not fit the op.
    pub fn infer(&self, inputs: &[Operand<'_>]) -> Result<(Vec<usize>, u8), String> {
        let arity = |lo: usize, hi: usize| {
            if inputs.len() < lo || inputs.len() > hi {
                Err(format!("expects {lo}..={hi} inputs, got {}", inputs.len()))
            } else {
                Ok(())
            }
        };
        let sum_scale = |a: u8, b: u8| {
            let s = u16::from(a) + u16::from(b);
            if s > u16::from(MAX_SCALE) {
                Err(format!("output scale {s} exceeds the maximum {MAX_SCALE}"))
            } else {
                Ok(s as u8)
            }
        };
        match self {
            Op::MatMul => {
                arity(2, 3)?;
                let (a, b) = (inputs[0], inputs[1]);
                let shape = matmul_shape(a.shape, b.shape)?;
                let scale = sum_scale(a.scale, b.scale)?;
                if let Some(bias) = inputs.get(2) {
                    check_bias(bias, &shape, scale)?;
                }
                Ok((shape, scale))
            }
            Op::Conv(p) => {
                arity(2, 3)?;
                let (x, w) = (inputs[0], inputs[1]);
                let shape = conv_shape(p, x.shape, w.shape)?;
                let scale = sum_scale(x.scale, w.scale)?;
                if let Some(bias) = inputs.get(2) {
                    if bias.shape != [shape[1]] {
                        return Err(format!("bias shape {:?} is not [{}]", bias.shape, shape[1]));
                    }
                    if bias.scale != scale {
                        return Err(format!("bias scale {} is not {scale}", bias.scale));
                    }
                }
                Ok((shape, scale))
            }
            Op::Add | Op::Sub | Op::Mul => {
                arity(2, 2)?;
                let (a, b) = (inputs[0], inputs[1]);
                let shape = broadcast(a.shape, b.shape).ok_or_else(|| {
                    format!("shapes {:?} and {:?} do not broadcast", a.shape, b.shape)
                })?;
                let scale = if matches!(self, Op::Mul) {
                    sum_scale(a.scale, b.scale)?
                } else if a.scale != b.scale {
                    return Err(format!("input scales differ: {} and {}", a.scale, b.scale));
                } else {
                    a.scale
                };
                Ok((shape, scale))
            }
            Op::Rescale { shift } => {
                arity(1, 1)?;
                let x = inputs[0];
                if *shift > x.scale {
                    return Err(format!("shift {shift} exceeds the input scale {}", x.scale));
                }
                Ok((x.shape.to_vec(), x.scale - shift))
            }
            Op::Relu | Op::Clip { .. } => {
                arity(1, 1)?;
                if let Op::Clip { min: Some(lo), max: Some(hi) } = self {
                    if lo > hi {
                        return Err(format!("clip min {lo} exceeds max {hi}"));
                    }
                }
                Ok((inputs[0].shape.to_vec(), inputs[0].scale))
            }
            Op::LeakyRelu { alpha_shift, .. } => {
                arity(1, 1)?;
                if *alpha_shift > 32 {
                    return Err(format!("alpha shift {alpha_shift} exceeds 32"));
                }
                Ok((inputs[0].shape.to_vec(), inputs[0].scale))
            }
            Op::MaxPool(p) | Op::AvgPool { pool: p, .. } => {
                arity(1, 1)?;
                Ok((pool_shape(p, inputs[0].shape)?, inputs[0].scale))
            }
            Op::ArgMax { axis, keepdims, .. } => {
                arity(1, 1)?;
                let s = inputs[0].shape;
                if *axis >= s.len() || s[*axis] == 0 {
                    return Err(format!("axis {axis} is not a non-empty axis of {s:?}"));
                }
                let mut out = s.to_vec();
                if *keepdims {
                    out[*axis] = 1;
                } else {
                    out.remove(*axis);
                }
                Ok((out, 0))
            }
            Op::Reshape => {
                arity(1, 1)?;
                Ok((Vec::new(), inputs[0].scale))
            }
            Op::Transpose { perm } => {
                arity(1, 1)?;
                let s = inputs[0].shape;
                let mut seen = vec![false; s.len()];
                if perm.len() != s.len() {
                    return Err(format!("perm {perm:?} does not fit rank {}", s.len()));
                }
                for &p in perm {
                    if p >= s.len() || seen[p] {
                        return Err(format!("perm {perm:?} is not a permutation"));
                    }
                    seen[p] = true;
                }
                Ok((perm.iter().map(|&p| s[p]).collect(), inputs[0].scale))
            }
            Op::Div { shift } => {
                arity(2, 2)?;
                let (a, b) = (inputs[0], inputs[1]);
                if *shift > MAX_DIV_SHIFT {
                    return Err(format!("shift {shift} exceeds {MAX_DIV_SHIFT}"));
                }
                let shape = broadcast(a.shape, b.shape).ok_or_else(|| {
                    format!("shapes {:?} and {:?} do not broadcast", a.shape, b.shape)
                })?;
                let scale = i32::from(a.scale) + i32::from(*shift) - i32::from(b.scale);
                if !(0..=i32::from(MAX_SCALE)).contains(&scale) {
                    return Err(format!("output scale {scale} outside 0..={MAX_SCALE}"));
                }
                Ok((shape, scale as u8))
            }
            Op::Sqrt { shift } => {
                arity(1, 1)?;
                let x = inputs[0];
                if *shift > MAX_DIV_SHIFT {
                    return Err(format!("shift {shift} exceeds {MAX_DIV_SHIFT}"));
                }
                let total = u16::from(x.scale) + u16::from(*shift);
                if total % 2 == 1 {
                    return Err(format!("input scale {} + shift {shift} is odd", x.scale));
                }
                Ok((x.shape.to_vec(), (total / 2) as u8))
            }
            Op::Table { lo, values, out_scale } => {
                arity(1, 1)?;
                if values.is_empty() || values.len() > MAX_TABLE_LEN {
                    return Err(format!(
                        "a table of {} entries (1..={MAX_TABLE_LEN})",
                        values.len()
                    ));
                }
                if lo.unsigned_abs() > MAX_TABLE_VALUE as u64 {
                    return Err(format!("table start {lo} beyond 2^40"));
                }
                if let Some(v) = values.iter().find(|v| v.unsigned_abs() > MAX_TABLE_VALUE as u64) {
                    return Err(format!("table entry {v} beyond 2^40"));
                }
                if *out_scale > MAX_SCALE {
                    return Err(format!("output scale {out_scale} exceeds {MAX_SCALE}"));
                }
                Ok((inputs[0].shape.to_vec(), *out_scale))
            }
            Op::Gather { axis, indices, indices_shape } => {
                arity(1, 1)?;
                let s = inputs[0].shape;
                if *axis >= s.len() {
                    return Err(format!("axis {axis} out of range for {s:?}"));
                }
                if numel(indices_shape) != Some(indices.len()) {
                    return Err(format!(
                        "{} indices for index shape {indices_shape:?}",
                        indices.len()
                    ));
                }
                if let Some(i) = indices.iter().find(|&&i| i >= s[*axis]) {
                    return Err(format!("index {i} out of range for axis {axis} of {s:?}"));
                }
                let mut out = s[..*axis].to_vec();
                out.extend_from_slice(indices_shape);
                out.extend_from_slice(&s[*axis + 1..]);
                check_shape(&out)?;
                Ok((out, inputs[0].scale))
            }
            Op::Concat { axis } => {
                arity(1, usize::MAX)?;
                let first = inputs[0];
                if *axis >= first.shape.len() {
                    return Err(format!("axis {axis} out of range for {:?}", first.shape));
                }
                let mut out = first.shape.to_vec();
                for x in &inputs[1..] {
                    let same_rest = x.shape.len() == out.len()
                        && x.shape
                            .iter()
                            .zip(&out)
                            .enumerate()
                            .all(|(i, (a, b))| i == *axis || a == b);
                    if !same_rest {
                        return Err(format!(
                            "shapes {:?} and {:?} do not concatenate",
                            first.shape, x.shape
                        ));
                    }
                    if x.scale != first.scale {
                        return Err(format!(
                            "input scales differ: {} and {}",
                            first.scale, x.scale
                        ));
                    }
                    out[*axis] += x.shape[*axis];
                }
                Ok((out, first.scale))
            }
        }
    }
}

fn check_bias(bias: &Operand<'_>, out: &[usize], scale: u8) -> Result<(), String> {
    if broadcast(bias.shape, out).as_deref() != Some(out) {
        return Err(format!("bias shape {:?} does not broadcast to {out:?}", bias.shape));
    }
    if bias.scale != scale {
        return Err(format!("bias scale {} is not {scale}", bias.scale));
    }
    Ok(())
}

/// Output shape of numpy `matmul` for the given operand shapes.
///
/// # Errors
/// A reason when the inner dimensions differ, batch dimensions do not broadcast or an operand
/// is a scalar.
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    if a.is_empty() || b.is_empty() {
        return Err("matmul operands must have rank >= 1".into());
    }
    let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
    let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != k2 {
        return Err(format!("inner dimensions differ: {a:?} x {b:?}"));
    }
    let batch = broadcast(&a2[..a2.len() - 2], &b2[..b2.len() - 2])
        .ok_or_else(|| format!("batch dimensions of {a:?} and {b:?} do not broadcast"))?;
    let mut out = batch;
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    check_shape(&out)?;
    Ok(out)
}

fn check_shape(s: &[usize]) -> Result<(), String> {
    if s.len() > MAX_RANK || numel(s).is_none() {
        return Err(format!("shape {s:?} is too large"));
    }
    Ok(())
}

fn check_window(n: usize, what: &str, v: &[usize], len: usize, min: usize) -> Result<(), String> {
    if v.len() != len || v.iter().any(|&x| x < min || x > 1 << 16) {
        return Err(format!("{what} {v:?} invalid for {n} spatial axes"));
    }
    Ok(())
}

/// Output shape of a convolution.
///
/// # Errors
/// A reason when the ranks, channel counts, groups or window parameters do not fit.
pub fn conv_shape(p: &ConvParams, x: &[usize], w: &[usize]) -> Result<Vec<usize>, String> {
    if x.len() < 3 || w.len() != x.len() {
        return Err(format!("conv needs x [N,C,D..] and w of the same rank, got {x:?} and {w:?}"));
    }
    let n = x.len() - 2;
    check_window(n, "strides", &p.strides, n, 1)?;
    check_window(n, "dilations", &p.dilations, n, 1)?;
    check_window(n, "pads", &p.pads, 2 * n, 0)?;
    if w[2..].contains(&0) {
        return Err(format!("kernel {:?} has an empty axis", &w[2..]));
    }
    let (c, m) = (x[1], w[0]);
    if p.group == 0 || c % p.group != 0 || m % p.group != 0 || w[1] * p.group != c {
        return Err(format!(
            "group {} does not fit {c} input / {m} output channels (w {w:?})",
            p.group
        ));
    }
    let mut out = vec![x[0], m];
    for i in 0..n {
        out.push(window_out(
            x[i + 2],
            w[i + 2],
            p.strides[i],
            p.pads[i],
            p.pads[i + n],
            p.dilations[i],
            false,
        )?);
    }
    check_shape(&out)?;
    Ok(out)
}

/// Output shape of a pooling op.
///
/// # Errors
/// A reason when the rank or window parameters do not fit.
pub fn pool_shape(p: &PoolParams, x: &[usize]) -> Result<Vec<usize>, String> {
    if x.len() < 3 {
        return Err(format!("pooling needs [N,C,D..], got {x:?}"));
    }
    let n = x.len() - 2;
    check_window(n, "kernel", &p.kernel, n, 1)?;
    check_window(n, "strides", &p.strides, n, 1)?;
    check_window(n, "dilations", &p.dilations, n, 1)?;
    check_window(n, "pads", &p.pads, 2 * n, 0)?;
    let mut out = vec![x[0], x[1]];
    for i in 0..n {
        if p.pads[i] >= p.kernel[i] || p.pads[i + n] >= p.kernel[i] {
            return Err(format!(
                "pads {:?} must be smaller than the kernel {:?}",
                p.pads, p.kernel
            ));
        }
        out.push(window_out(
            x[i + 2],
            p.kernel[i],
            p.strides[i],
            p.pads[i],
            p.pads[i + n],
            p.dilations[i],
            p.ceil_mode,
        )?);
    }
    check_shape(&out)?;
    Ok(out)
}

/// Number of window positions along one axis.
fn window_out(
    len: usize,
    k: usize,
    stride: usize,
    pad_begin: usize,
    pad_end: usize,
    dilation: usize,
    ceil: bool,
) -> Result<usize, String> {
    if k == 0 || stride == 0 {
        return Err("empty kernel or zero stride".into());
    }
    let span = (k - 1) * dilation + 1;
    let total = len + pad_begin + pad_end;
    if total < span {
        return Err(format!("window of span {span} does not fit padded length {total}"));
    }
    let rest = total - span;
    let mut out = if ceil { rest.div_ceil(stride) + 1 } else { rest / stride + 1 };
    if ceil && (out - 1) * stride >= len + pad_begin {
        out -= 1;
    }
    Ok(out)
}
