//! Constant tensors read from ONNX `TensorProto`s, as `f64` with shape and element type.

use onnx_protobuf::TensorProto;

use crate::error::TranspileError;
use runtime::shape::{numel, MAX_RANK};

/// Element types the transpiler understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// Any floating-point type (float16/32/64, bfloat16).
    Float,
    /// Any integer type.
    Int,
    /// Boolean.
    Bool,
}

impl DType {
    /// The element type of an ONNX `TensorProto.DataType` code, if supported.
    pub fn from_onnx(code: i32) -> Option<DType> {
        match code {
            1 | 10 | 11 | 16 => Some(DType::Float),
            2..=7 | 12 | 13 => Some(DType::Int),
            9 => Some(DType::Bool),
            _ => None,
        }
    }
}

/// A constant tensor: row-major values as `f64` (integers up to 2^53 are exact).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstTensor {
    /// Shape.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f64>,
    /// Element type.
    pub dtype: DType,
    /// Initializer name, when the tensor came straight from one (kept through transposes and
    /// scaling, for readable program listings).
    pub name: Option<String>,
}

impl ConstTensor {
    /// A scalar.
    pub fn scalar(v: f64, dtype: DType) -> Self {
        ConstTensor { shape: vec![], data: vec![v], dtype, name: None }
    }

    /// Values as integers (for shapes, axes and indices).
    ///
    /// # Errors
    /// A reason when a value is not an integer.
    pub fn as_ints(&self) -> Result<Vec<i64>, String> {
        self.data
            .iter()
            .map(|&v| {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(v as i64)
                } else {
                    Err(format!("{v} is not an integer"))
                }
            })
            .collect()
    }
}

fn le_chunks<const N: usize>(raw: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    raw.chunks_exact(N).map(|c| {
        let mut a = [0u8; N];
        a.copy_from_slice(c);
        a
    })
}

fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 => {
            if frac == 0.0 {
                sign * f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Reads a `TensorProto` (initializer, Constant value or test data).
///
/// # Errors
/// [`TranspileError::BadTensor`] for external data, unsupported element types, bad shapes or
/// a value count that does not match the shape.
pub fn read_tensor(t: &TensorProto, name: &str) -> Result<ConstTensor, TranspileError> {
    let bad = |reason: String| TranspileError::BadTensor { name: name.to_string(), reason };
    if super::external::is_external(t) {
        let file = t.external_data.iter().find(|e| e.key == "location").map(|e| e.value.as_str());
        return Err(bad(format!(
            "its data is in an external file ('{}'): compile the .onnx file by its path, with that file beside it (TranspileOptions::external_data), or save the model with the data embedded",
            file.unwrap_or("no location")
        )));
    }
    if t.dims.len() > MAX_RANK {
        return Err(bad(format!("rank {} exceeds {MAX_RANK}", t.dims.len())));
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| bad(format!("negative dimension {d}")))?;
        shape.push(d);
    }
    let n = numel(&shape).ok_or_else(|| bad(format!("shape {shape:?} is too large")))?;
    let dtype = DType::from_onnx(t.data_type)
        .ok_or_else(|| bad(format!("element type {} is not supported", t.data_type)))?;
    let raw = &t.raw_data;
    let data: Vec<f64> = if !raw.is_empty() {
        let width = super::external::raw_width(t.data_type).ok_or_else(|| {
            bad(format!("raw data of element type {} is not supported", t.data_type))
        })?;
        if raw.len() != n * width {
            return Err(bad(format!(
                "raw data has {} bytes, shape {shape:?} needs {}",
                raw.len(),
                n * width
            )));
        }
        match t.data_type {
            1 => le_chunks::<4>(raw).map(|b| f64::from(f32::from_le_bytes(b))).collect(),
            11 => le_chunks::<8>(raw).map(f64::from_le_bytes).collect(),
            10 => le_chunks::<2>(raw).map(|b| f16_to_f64(u16::from_le_bytes(b))).collect(),
            16 => le_chunks::<2>(raw)
                .map(|b| f64::from(f32::from_bits(u32::from(u16::from_le_bytes(b)) << 16)))
                .collect(),
            6 => le_chunks::<4>(raw).map(|b| f64::from(i32::from_le_bytes(b))).collect(),
            12 => le_chunks::<4>(raw).map(|b| f64::from(u32::from_le_bytes(b))).collect(),
            7 => le_chunks::<8>(raw).map(|b| i64::from_le_bytes(b) as f64).collect(),
            13 => le_chunks::<8>(raw).map(|b| u64::from_le_bytes(b) as f64).collect(),
            5 => le_chunks::<2>(raw).map(|b| f64::from(i16::from_le_bytes(b))).collect(),
            4 => le_chunks::<2>(raw).map(|b| f64::from(u16::from_le_bytes(b))).collect(),
            3 => raw.iter().map(|&b| f64::from(b as i8)).collect(),
            _ => raw.iter().map(|&b| f64::from(b)).collect(),
        }
    } else {
        match t.data_type {
            1 => t.float_data.iter().map(|&v| f64::from(v)).collect(),
            11 => t.double_data.clone(),
            7 => t.int64_data.iter().map(|&v| v as f64).collect(),
            13 | 12 => t.uint64_data.iter().map(|&v| v as f64).collect(),
            // int32_data carries int32, int16, int8, uint16, uint8, bool and float16 bits.
            10 => t.int32_data.iter().map(|&v| f16_to_f64(v as u16)).collect(),
            16 => {
                t.int32_data.iter().map(|&v| f64::from(f32::from_bits((v as u32) << 16))).collect()
            }
            _ => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        }
    };
    if data.len() != n {
        return Err(bad(format!("{} values for shape {shape:?} ({n} expected)", data.len())));
    }
    Ok(ConstTensor { shape, data, dtype, name: Some(name.to_string()) })
}
