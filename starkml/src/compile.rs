//! Compiling ONNX models into programs the prover accepts.

use runtime::Program;
use transpiler::TranspileOptions;

use crate::Error;

/// The default options of `starkml compile`: the transpiler's defaults (automatic scale up
/// to [`transpiler::DEFAULT_MAX_SCALE`] fractional bits, inputs in `[-16, 16]` without
/// calibration, batch 1), with the prover's field-budget check, so that the scale picked
/// automatically is one the prover accepts.
pub fn compile_options() -> TranspileOptions {
    TranspileOptions { accept: Some(air::check_field_budget), ..TranspileOptions::default() }
}

/// Compiles ONNX protobuf bytes into a validated program.
///
/// # Errors
/// [`Error::Compile`] with the transpiler's error (naming the node, input or calibration
/// field that failed).
pub fn compile(onnx: &[u8], opts: &TranspileOptions) -> Result<Program, Error> {
    Ok(transpiler::transpile(onnx, opts)?)
}

/// The ops of `program` the prover cannot prove yet, one line each (`name (origin): reason`);
/// empty when the whole program proves.
pub fn unprovable_ops(program: &Program) -> Vec<String> {
    match air::Schedule::new(program) {
        Err(air::ProveError::Unsupported { ops }) => ops.iter().map(|o| o.to_string()).collect(),
        _ => Vec::new(),
    }
}
