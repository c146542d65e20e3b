//! Evaluation programs: one run scores a whole test set.
//!
//! The transpiler builds them (`TranspileOptions::eval`): the model runs on a batch of `N`
//! samples, the true labels are one more program input ([`LABELS_INPUT`]), and one more output
//! holds the score: the number of correct labels ([`CORRECT_OUTPUT`]) for a classifier, the sum
//! of absolute errors ([`ABS_ERROR_OUTPUT`]) for a regressor. A proof of a run of such a
//! program proves every prediction and the score, on the test set the proof carries as its
//! inputs; [`test_set_digest`] names that test set.

use crate::fixed_point::dequantize;
use crate::program::Program;
use crate::ProgramDigest;

/// Name of the program input holding the true labels (`[N]` class indices for a classifier,
/// `[N, T]` targets for a regressor), quantised like any input.
pub const LABELS_INPUT: &str = "dataset.labels";
/// Name of the output holding the number of correct predictions (a real at the activation
/// scale, exactly an integer).
pub const CORRECT_OUTPUT: &str = "dataset.correct";
/// Name of the output holding the sum over samples and targets of `|prediction - target|`
/// (real, at the activation scale).
pub const ABS_ERROR_OUTPUT: &str = "dataset.abs_error_sum";

/// The score a proof of an evaluation program carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Score {
    /// `correct` of `samples` labels predicted right.
    Accuracy {
        /// Correct predictions.
        correct: u64,
        /// Test-set size.
        samples: usize,
    },
    /// Mean absolute error over `values` predicted values (`samples` times the targets).
    MeanAbsError {
        /// Sum of absolute errors (real units).
        sum: f64,
        /// Predicted values scored.
        values: usize,
        /// Test-set size.
        samples: usize,
    },
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Score::Accuracy { correct, samples } => {
                let acc = if samples == 0 { 0.0 } else { correct as f64 / samples as f64 };
                write!(f, "accuracy {correct}/{samples} = {acc:.4}")
            }
            Score::MeanAbsError { sum, values, samples } => {
                let mae = if values == 0 { 0.0 } else { sum / values as f64 };
                write!(f, "mean absolute error {mae:.6} over {samples} samples ({values} values)")
            }
        }
    }
}

/// The score of an evaluation program's run, from its outputs (`outputs[k]` the integers of
/// `program.outputs[k]`); `None` for a program that is not an evaluation program, or outputs
/// of the wrong count or size.
pub fn score(program: &Program, outputs: &[Vec<i64>]) -> Option<Score> {
    let labels = program
        .inputs
        .iter()
        .filter_map(|id| program.tensor(*id))
        .find(|t| t.name == LABELS_INPUT)?;
    let samples = *labels.shape.first()?;
    let values: usize = labels.shape.iter().product();
    if outputs.len() != program.outputs.len() {
        return None;
    }
    for (id, vals) in program.outputs.iter().zip(outputs) {
        let t = program.tensor(*id)?;
        let [v] = vals.as_slice() else { continue };
        let real = dequantize(*v, t.scale);
        if t.name == CORRECT_OUTPUT {
            // An exact integer in [0, samples] for every valid run.
            let correct = real.round();
            if !(0.0..=samples as f64).contains(&correct) {
                return None;
            }
            return Some(Score::Accuracy { correct: correct as u64, samples });
        }
        if t.name == ABS_ERROR_OUTPUT {
            return Some(Score::MeanAbsError { sum: real, values, samples });
        }
    }
    None
}

/// Digest of a test set as a program quantises it: BLAKE3 over a domain tag, then for each
/// program input its name, shape and integers (little-endian, lengths as `u64`). Two files
/// give the same digest exactly when they quantise to the same integers for this program's
/// input scales, so a verifier holding the published test set can check a proof was made on
/// it (`starkml verify --dataset`).
pub fn test_set_digest(program: &Program, q_inputs: &[Vec<i64>]) -> ProgramDigest {
    let mut h = blake3::Hasher::new();
    h.update(b"starkml test set v1");
    for (id, vals) in program.inputs.iter().zip(q_inputs) {
        let (name, shape) = program
            .tensor(*id)
            .map_or((String::new(), Vec::new()), |t| (t.name.clone(), t.shape.clone()));
        h.update(&(name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(&(shape.len() as u64).to_le_bytes());
        for d in shape {
            h.update(&(d as u64).to_le_bytes());
        }
        h.update(&(vals.len() as u64).to_le_bytes());
        for v in vals {
            h.update(&v.to_le_bytes());
        }
    }
    ProgramDigest(*h.finalize().as_bytes())
}
