//! `Proof`, `prove` and `verify`.

use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{to_py, VerifyError};
use crate::program::Program;

/// A proof of a run (the Rust core of `starkml.Proof`).
#[pyclass(frozen, module = "starkml._starkml", name = "Proof")]
pub struct Proof {
    inner: air::RunProof,
    bytes: Vec<u8>,
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[pymethods]
impl Proof {
    /// Decodes a proof file's bytes (its structure only: `verify` checks it). Raises
    /// VerifyError when the bytes are not a proof.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Proof> {
        let inner = air::RunProof::from_bytes(data)
            .map_err(|e| VerifyError::new_err(format!("invalid proof: {e}")))?;
        Ok(Proof { inner, bytes: data.to_vec() })
    }

    /// The proof file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// Security preset name: "96", "fast" or "128".
    #[getter]
    fn security(&self) -> &'static str {
        self.inner.preset.name()
    }

    /// Commitment hash: "blake3" or "blake2s".
    #[getter]
    fn hash(&self) -> &'static str {
        self.inner.hash.name()
    }

    /// (conjectured, proven) security bits.
    #[getter]
    fn bits(&self) -> (u32, u32) {
        air::security(&self.inner)
    }

    /// Trace rows.
    #[getter]
    fn trace_rows(&self) -> usize {
        self.inner.proof.trace_info().length()
    }

    /// Digest (hex) of the program the proof claims to be about.
    #[getter]
    fn program_digest(&self) -> String {
        hex(&self.inner.digest)
    }

    /// The claimed outputs (unverified until `verify`) as `program` names and dequantises
    /// them: (name, shape, real values).
    fn outputs(&self, program: &Program) -> Vec<(String, Vec<usize>, Vec<f64>)> {
        starkml::named_outputs(&program.inner, &self.inner.outputs)
            .into_iter()
            .map(|o| (o.name, o.shape, o.values))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<starkml.Proof {} rows, {} preset, {}, {} bytes>",
            self.trace_rows(),
            self.security(),
            self.hash(),
            self.bytes.len()
        )
    }
}

/// Proves a run of `program` on flat real inputs (program order), without holding the GIL.
/// `progress(stage, rows, elapsed_s)` is called as each stage starts ("run", "schedule",
/// "trace", "stark"). Raises InputError, RunError, ProveError, ValueError (unknown preset or
/// hash).
#[pyfunction]
#[pyo3(signature = (program, inputs, *, security="96", hash="blake3", progress=None))]
pub fn prove(
    py: Python<'_>,
    program: &Program,
    inputs: Vec<Vec<f64>>,
    security: &str,
    hash: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Proof> {
    let opts = starkml::ProveOptions::parse(security, hash).map_err(to_py)?;
    let p = &program.inner;
    let mut callback_error: Option<PyErr> = None;
    let result = py.detach(|| {
        let start = Instant::now();
        starkml::prove(p, &inputs, &opts, &mut |stage| {
            let Some(cb) = &progress else { return };
            let elapsed = start.elapsed().as_secs_f64();
            Python::attach(|py| {
                if let Err(e) = cb.call1(py, (stage.name(), stage.rows(), elapsed)) {
                    callback_error.get_or_insert(e);
                }
            });
        })
    });
    if let Some(e) = callback_error {
        return Err(e);
    }
    let proved = result.map_err(to_py)?;
    let bytes = proved.proof.to_bytes();
    Ok(Proof { inner: proved.proof, bytes })
}

/// Verifies `proof_bytes` against `program` (see `starkml.verify`); returns a dict of what
/// the proof proves. Raises VerifyError (invalid proof, below `min_bits`, another test set),
/// InputError (a test set that does not fit the program).
#[pyfunction]
#[pyo3(signature = (program, proof_bytes, *, min_bits=0, test_set=None))]
pub fn verify<'py>(
    py: Python<'py>,
    program: &Program,
    proof_bytes: &[u8],
    min_bits: u32,
    test_set: Option<Vec<Vec<f64>>>,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = starkml::VerifyOptions { min_bits, test_set };
    let v = py.detach(|| starkml::verify(&program.bytes, proof_bytes, &opts)).map_err(to_py)?;
    let d = PyDict::new(py);
    let outputs: Vec<(String, Vec<usize>, Vec<f64>)> =
        v.outputs.into_iter().map(|o| (o.name, o.shape, o.values)).collect();
    d.set_item("outputs", outputs)?;
    d.set_item("classes", v.classes)?;
    d.set_item("security", v.proof.preset.name())?;
    d.set_item("hash", v.proof.hash.name())?;
    d.set_item("conjectured_bits", v.report.conjectured_bits)?;
    d.set_item("proven_bits", v.report.proven_bits)?;
    d.set_item("trace_rows", v.report.trace_len)?;
    d.set_item("score", v.score.map(|s| s.to_string()))?;
    d.set_item("test_set", v.test_set.to_string())?;
    d.set_item("program_digest", hex(&v.proof.digest))?;
    Ok(d)
}
