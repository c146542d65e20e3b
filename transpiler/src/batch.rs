//! Batches of a model exported with a fixed batch of one.
//!
//! `torch.onnx.export` without `dynamic_axes` fixes every input's first axis at 1. Most such
//! graphs compute each sample on its own, and then a batch of `N` is the same graph with that
//! axis at `N`; but a graph may also fold the axis into a constant shape (`Reshape` to
//! `[1, -1]`) or mix samples. So a batch of such a model is built, then checked: every sample
//! of a batch must give, row for row and bit for bit, what the one-sample program gives it
//! (both at the batch program's scale), on the calibration samples (or, without any, on
//! pseudo-random inputs in the declared ranges). A model that fails is refused with the hint to
//! export a dynamic batch axis.

use onnx_protobuf::tensor_shape_proto::dimension::Value as Dim;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::ModelProto;
use runtime::{Program, TensorKind};

use crate::error::TranspileError;
use crate::quantize::TranspileOptions;

fn refuse(reason: String) -> TranspileError {
    TranspileError::Batch { reason }
}

/// Names of the graph inputs whose first axis is fixed at 1 (not initializers, not bound).
pub(crate) fn fixed_at_one(model: &ModelProto, opts: &TranspileOptions) -> Vec<String> {
    let Some(g) = model.graph.as_ref() else { return Vec::new() };
    g.input
        .iter()
        .filter(|v| !g.initializer.iter().any(|t| t.name == v.name))
        .filter(|v| !opts.bind_inputs.iter().any(|(b, _)| *b == v.name))
        .filter(|v| {
            let Some(TypeValue::TensorType(tt)) = v.type_.as_ref().and_then(|t| t.value.as_ref())
            else {
                return false;
            };
            tt.shape
                .as_ref()
                .and_then(|s| s.dim.first())
                .is_some_and(|d| matches!(d.value, Some(Dim::DimValue(1))))
        })
        .map(|v| v.name.clone())
        .collect()
}

/// One-sample inputs for the check: the calibration samples (rows), else values spread over
/// half of each input's declared range by a fixed pseudo-random sequence.
fn samples(one: &Program, opts: &TranspileOptions, n: usize) -> Vec<Vec<Vec<f64>>> {
    let inputs: Vec<(&str, usize, f64, f64)> = one
        .inputs
        .iter()
        .filter_map(|id| one.tensor(*id))
        .map(|t| {
            let (lo, hi) = match t.kind {
                TensorKind::Input { lo, hi } => (lo, hi),
                _ => (-1.0, 1.0),
            };
            (t.name.as_str(), t.shape.iter().product(), lo, hi)
        })
        .collect();
    let from_calibration = |k: usize| -> Option<Vec<Vec<f64>>> {
        let c = opts.calibration.as_ref()?;
        inputs
            .iter()
            .map(|(name, size, _, _)| {
                let list = match &c.names {
                    None if inputs.len() == 1 => c.samples.first()?,
                    None => return None,
                    Some(names) => c.samples.get(names.iter().position(|x| x == name)?)?,
                };
                let s = list.get(k % list.len().max(1))?;
                (s.len() == *size).then(|| s.clone())
            })
            .collect()
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|k| {
            from_calibration(k).unwrap_or_else(|| {
                inputs
                    .iter()
                    .map(|&(_, size, lo, hi)| {
                        let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 4.0);
                        (0..size).map(|_| mid + half * (2.0 * next() - 1.0)).collect()
                    })
                    .collect()
            })
        })
        .collect()
}

/// Checks that `batched` (the model at a batch of `n` over inputs fixed at 1) computes each
/// sample as the one-sample program does; `compile` transpiles the model with given options.
pub(crate) fn check_rows(
    opts: &TranspileOptions,
    n: usize,
    fixed: &[String],
    compile: impl Fn(&TranspileOptions) -> Result<Program, TranspileError>,
) -> Result<(), TranspileError> {
    let hint = format!(
        "input {} has a first axis fixed at 1 in the export; re-export the model with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={{'{}': {{0: 'batch'}}}}))",
        fixed.join(", "),
        fixed.first().map_or("input", String::as_str)
    );
    let base = TranspileOptions { eval: None, batch: n, ..opts.clone() };
    let batched = compile(&base)
        .map_err(|e| refuse(format!("a batch of {n} does not compile ({e}); {hint}")))?;
    let s = batched.activation_scale();
    let one_opts = TranspileOptions { batch: 1, scale: Some(s), eval: None, ..opts.clone() };
    let one = compile(&one_opts)?;
    let rows = samples(&one, opts, n);
    let per_input: Vec<Vec<f64>> = (0..one.inputs.len())
        .map(|i| rows.iter().flat_map(|r| r[i].iter().copied()).collect())
        .collect();
    let out = runtime::run(&batched, &per_input)
        .map_err(|e| refuse(format!("a batch of {n} does not run ({e}); {hint}")))?;
    for (k, row) in rows.iter().enumerate() {
        let want = runtime::run(&one, row)
            .map_err(|e| refuse(format!("sample {k} does not run ({e}); {hint}")))?;
        for (b, w) in out.iter().zip(&want) {
            let size = w.data.len();
            let same = b.data.len() == size * n && b.data[k * size..(k + 1) * size] == w.data[..];
            if !same {
                return Err(refuse(format!(
                    "the model does not compute the samples of a batch independently (an output's row {k} differs from a one-sample run); {hint}"
                )));
            }
        }
    }
    Ok(())
}
