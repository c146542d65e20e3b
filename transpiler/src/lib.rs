#![doc = include_str!("../README.md")]

mod batch;
mod builder;
mod consts;
pub mod error;
pub mod eval;
mod graph;
mod lower;
pub mod onnx;
mod ops;
pub mod quantize;
mod registry;
pub mod tables;

pub use error::{TranspileError, UnsupportedNode};
pub use eval::{Eval, Metric, TestSet};
pub use quantize::{
    AcceptFn, Calibration, TranspileOptions, DECLARED_BOUND_FACTOR, DEFAULT_INPUT_BOUND,
    DEFAULT_MAX_SCALE,
};
pub use registry::{ml_ops, partial_ops, supported_ops};

/// Transpiles ONNX model bytes into a validated fixed-point [`runtime::Program`].
///
/// # Errors
/// [`TranspileError::Parse`] for bytes that are not ONNX, [`TranspileError::UnsupportedOps`]
/// listing every unsupported node, attribute, shape and tensor errors naming the node, and
/// [`TranspileError::Quantize`] when no scale keeps every static bound within budget.
pub fn transpile(
    onnx_bytes: &[u8],
    opts: &TranspileOptions,
) -> Result<runtime::Program, TranspileError> {
    let mut model = onnx::parse_model(onnx_bytes)?;
    if let Some(dir) = &opts.external_data {
        onnx::external::inline_external_data(&mut model, dir)?;
    }
    let n = opts.eval.as_ref().map_or(opts.batch, |e| e.test_set.len());
    let fixed = batch::fixed_at_one(&model, opts);
    if n > 1 && !fixed.is_empty() {
        // The check's samples: the calibration, else an evaluation's own test set.
        let mut check = opts.clone();
        if check.calibration.is_none() {
            check.calibration = opts.eval.as_ref().map(|e| e.test_set.features.clone());
        }
        batch::check_rows(&check, n, &fixed, |o| transpile_model(model.clone(), o))?;
    }
    transpile_model(model, opts)
}

fn transpile_model(
    mut model: onnx_protobuf::ModelProto,
    opts: &TranspileOptions,
) -> Result<runtime::Program, TranspileError> {
    let evaluating;
    let opts = match &opts.eval {
        Some(e) => {
            evaluating = eval::prepare(&mut model, opts, e)?;
            &evaluating
        }
        None => opts,
    };
    let graph =
        builder::build_graph(&model, &opts.bind_inputs, opts.outputs.as_deref(), opts.batch)?;
    quantize::quantize_graph(&graph, opts)
}
