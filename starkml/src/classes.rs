//! The predicted class of each sample: the one rule `run`, `verify`, Python and the Starknet
//! contracts' `predict` follow.

use runtime::shape::argmax;
use runtime::{Program, Tensor};

/// The predicted class of each sample, from the first output: its values when it holds one
/// integer per sample (class labels, as ArgMax or a classifier's label output produce),
/// otherwise the index of the largest value of each sample's row (the whole output for a
/// program of one sample). Returns one class per sample (`[0]` for a program without outputs).
pub fn predicted_classes(program: &Program, outputs: &[Tensor]) -> Vec<i64> {
    let batch = program
        .inputs
        .first()
        .and_then(|i| program.tensor(*i))
        .and_then(|t| t.shape.first().copied())
        .unwrap_or(1);
    let index = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    match outputs.first() {
        Some(t) if t.data.len() == 1 || t.data.len() == batch => {
            let vals = t.to_f64();
            if vals.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15) {
                vals.iter().map(|&v| v as i64).collect()
            } else {
                vec![index(argmax(&vals))]
            }
        }
        Some(t) if batch > 1 && t.shape.first() == Some(&batch) => {
            let row = t.data.len() / batch;
            t.to_f64().chunks(row.max(1)).map(|r| index(argmax(r))).collect()
        }
        Some(t) => vec![index(argmax(&t.to_f64()))],
        None => vec![0],
    }
}
