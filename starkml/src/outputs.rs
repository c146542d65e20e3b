//! Program outputs with their names and real values.

use runtime::fixed_point::dequantize;
use runtime::{Program, Tensor};

/// One program output: name, shape, scale and its values dequantised.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedOutput {
    /// The ONNX output name.
    pub name: String,
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Fractional bits of the fixed-point values.
    pub scale: u8,
    /// Real values: each fixed-point value divided by `2^scale`.
    pub values: Vec<f64>,
}

/// The outputs of `program` from their fixed-point values (`quantised[k]` is output `k`, as
/// a run computes or a proof carries them). Extra or missing entries are ignored.
pub fn named_outputs(program: &Program, quantised: &[Vec<i64>]) -> Vec<NamedOutput> {
    program
        .outputs
        .iter()
        .zip(quantised)
        .map(|(id, vals)| {
            let t = program.tensor(*id);
            let scale = t.map_or(0, |t| t.scale);
            NamedOutput {
                name: t.map(|t| t.name.clone()).unwrap_or_default(),
                shape: t.map(|t| t.shape.clone()).unwrap_or_default(),
                scale,
                values: vals.iter().map(|&v| dequantize(v, scale)).collect(),
            }
        })
        .collect()
}

/// The outputs as runtime tensors (for [`crate::predicted_classes`]).
pub fn tensors(program: &Program, quantised: &[Vec<i64>]) -> Vec<Tensor> {
    program
        .outputs
        .iter()
        .zip(quantised)
        .map(|(id, vals)| Tensor {
            shape: program.tensor(*id).map(|t| t.shape.clone()).unwrap_or_default(),
            scale: program.tensor(*id).map_or(0, |t| t.scale),
            data: vals.clone(),
        })
        .collect()
}
