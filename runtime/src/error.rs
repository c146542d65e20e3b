//! Errors of the runtime crate: program validation and decoding, and execution.

use crate::op::{OpId, TensorId};

/// Everything that can go wrong when loading, validating or running a program.
///
/// Program bytes and inputs are untrusted, so each variant names the tensor, op, field or
/// check that failed.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The file does not start with the program magic bytes `STKM`.
    #[error("not a starkml program: bad magic bytes (expected \"STKM\")")]
    BadMagic,
    /// The file's format version is not one this build reads.
    #[error(
        "program format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u16,
        /// Version this build reads.
        supported: u16,
    },
    /// The file is shorter than its header.
    #[error("program file truncated: {len} bytes, the header alone is 6")]
    Truncated {
        /// Length of the file.
        len: usize,
    },
    /// The protobuf payload does not decode.
    #[error("program payload does not decode: {reason}")]
    Decode {
        /// Decoder message.
        reason: String,
    },
    /// A field of the program holds a value outside its domain.
    #[error("invalid program field {field}: {reason}")]
    InvalidField {
        /// Path of the field, for example `tensors[3].shape`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An op reads a tensor that does not exist or is not yet computed at that point.
    #[error("op {op:?} ({origin}) reads tensor {tensor} before it is defined")]
    NotTopological {
        /// The op.
        op: OpId,
        /// ONNX node it came from.
        origin: String,
        /// The tensor read.
        tensor: TensorId,
    },
    /// An op's inputs do not fit its parameters (shapes, scales, arity, window geometry).
    #[error("op {op:?} {name} ({origin}) is invalid: {reason}")]
    InvalidOp {
        /// The op.
        op: OpId,
        /// Its short name.
        name: &'static str,
        /// ONNX node it came from.
        origin: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The recorded shape or scale of a tensor differs from the one its op produces.
    #[error("tensor {tensor} ({name}): recorded {recorded}, the op produces {inferred}")]
    ShapeMismatch {
        /// The tensor.
        tensor: TensorId,
        /// Its name.
        name: String,
        /// Recorded shape and scale.
        recorded: String,
        /// Inferred shape and scale.
        inferred: String,
    },
    /// The recorded static bound of a tensor differs from the one recomputed from the program.
    #[error("tensor {tensor} ({name}): recorded bound {recorded}, recomputed {computed}")]
    BoundMismatch {
        /// The tensor.
        tensor: TensorId,
        /// Its name.
        name: String,
        /// Recorded bound.
        recorded: u64,
        /// Recomputed bound.
        computed: u64,
    },
    /// A tensor (or an op's intermediate product) may grow beyond the bound budget.
    #[error("tensor {tensor} ({name}) may reach |x| ~ 2^{bits}, beyond the 2^{limit} budget; use a smaller scale or a tighter input range")]
    BoundTooLarge {
        /// The tensor.
        tensor: TensorId,
        /// Its name.
        name: String,
        /// Bits of the bound (ceil(log2)).
        bits: u32,
        /// Bits of the budget.
        limit: u32,
    },
    /// The number of inputs given differs from the program's.
    #[error("the program takes {expected} input(s), {got} given")]
    InputCount {
        /// Program inputs.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// An input has the wrong number of elements or the wrong shape.
    #[error("input '{input}' must have shape {expected:?} ({numel} values), got {got}")]
    InputShape {
        /// Input name.
        input: String,
        /// Program shape.
        expected: Vec<usize>,
        /// Its element count.
        numel: usize,
        /// What was given.
        got: String,
    },
    /// An input value is NaN or infinite.
    #[error("input '{input}' value #{index} is not finite")]
    InputNotFinite {
        /// Input name.
        input: String,
        /// Flat index.
        index: usize,
    },
    /// An input value is outside the range declared at compile time.
    #[error("input '{input}' value #{index} = {value} is outside the declared range [{lo}, {hi}] (recompile with a wider --input-range or calibration set)")]
    InputOutOfRange {
        /// Input name.
        input: String,
        /// Flat index.
        index: usize,
        /// The value.
        value: f64,
        /// Declared minimum.
        lo: f64,
        /// Declared maximum.
        hi: f64,
    },
    /// Integer overflow during execution (cannot happen for validated programs on in-range
    /// inputs; reported rather than wrapped).
    #[error("op {op:?} {name} ({origin}) overflowed i64")]
    Overflow {
        /// The op.
        op: OpId,
        /// Its short name.
        name: &'static str,
        /// ONNX node it came from.
        origin: String,
    },
    /// A divisor of an [`crate::Op::Div`] is below 1 (the op divides by positive values
    /// only, such as a softmax's sum of exponentials).
    #[error("op {op:?} ({origin}) divides by {value}: divisors must be at least 1")]
    NonPositiveDivisor {
        /// The op.
        op: OpId,
        /// ONNX node it came from.
        origin: String,
        /// The divisor.
        value: i64,
    },
    /// An input of an [`crate::Op::Sqrt`] is negative.
    #[error("op {op:?} ({origin}) takes the square root of {value}")]
    NegativeRoot {
        /// The op.
        op: OpId,
        /// ONNX node it came from.
        origin: String,
        /// The input.
        value: i64,
    },
    /// A value exceeds its tensor's bound: a bound declared from calibration samples (an
    /// input unlike them), or else a bug in the bound analysis.
    #[error(
        "op {op:?} ({origin}) produced {value}, beyond the bound {bound} of tensor {tensor} \
         ({name}); bounds below the worst case are declared from calibration samples: \
         recompile with samples that cover this input"
    )]
    BoundViolated {
        /// The op.
        op: OpId,
        /// ONNX node it came from.
        origin: String,
        /// The tensor.
        tensor: TensorId,
        /// Its name.
        name: String,
        /// The value.
        value: i64,
        /// The bound.
        bound: u64,
    },
}
