//! `Program` and `compile`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::errors::{to_py, InputError, ProgramError};

/// A compiled fixed-point program (the Rust core of `starkml.Program`).
#[pyclass(frozen, module = "starkml._starkml", name = "Program")]
pub struct Program {
    pub(crate) inner: Arc<runtime::Program>,
    /// The canonical encoding (what `save` writes and the verifier hashes).
    pub(crate) bytes: Vec<u8>,
}

impl Program {
    fn new(inner: runtime::Program) -> Program {
        let bytes = inner.to_bytes();
        Program { inner: Arc::new(inner), bytes }
    }
}

type Given = (Option<String>, Option<Vec<usize>>, Vec<f64>);
type Output = (String, Vec<usize>, Vec<f64>);
/// (name, shape, scale bits, declared real range).
type InputInfo = (String, Vec<usize>, u8, Option<(f64, f64)>);

#[pymethods]
impl Program {
    /// Decodes and validates a program file's bytes. Raises ProgramError.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Program> {
        let inner = py
            .detach(|| runtime::Program::from_bytes(data))
            .map_err(|e| ProgramError::new_err(format!("invalid program: {e}")))?;
        Ok(Program { inner: Arc::new(inner), bytes: data.to_vec() })
    }

    /// The program file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// BLAKE3 digest of the program (hex): what a proof commits to.
    #[getter]
    fn digest(&self) -> String {
        self.inner.digest().to_string()
    }

    /// The program's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The text form (as `starkml inspect` prints it).
    fn text(&self) -> String {
        self.inner.to_string()
    }

    /// Inputs: (name, shape, scale bits, (lo, hi) declared real range or None).
    #[getter]
    fn inputs(&self) -> Vec<InputInfo> {
        let p = &self.inner;
        p.inputs
            .iter()
            .filter_map(|id| p.tensor(*id))
            .map(|t| {
                let range = match t.kind {
                    runtime::TensorKind::Input { lo, hi } => Some((lo, hi)),
                    _ => None,
                };
                (t.name.clone(), t.shape.clone(), t.scale, range)
            })
            .collect()
    }

    /// Outputs: (name, shape, scale bits).
    #[getter]
    fn outputs(&self) -> Vec<(String, Vec<usize>, u8)> {
        let p = &self.inner;
        p.outputs
            .iter()
            .filter_map(|id| p.tensor(*id))
            .map(|t| (t.name.clone(), t.shape.clone(), t.scale))
            .collect()
    }

    /// Summary figures as a dict.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.inner;
        let s = p.stats();
        let d = PyDict::new(py);
        d.set_item("digest", p.digest().to_string())?;
        d.set_item("ops", p.ops.len())?;
        d.set_item("op_counts", s.op_counts.into_iter().collect::<Vec<_>>())?;
        d.set_item("parameters", s.params)?;
        d.set_item("macs", s.macs)?;
        d.set_item("scales", s.scales.iter().map(|&b| u32::from(b)).collect::<Vec<_>>())?;
        d.set_item("activation_scale", p.activation_scale())?;
        d.set_item("max_bound_bits", s.max_bound_bits)?;
        let declared = runtime::bounds::declared_bounds(p).map(|b| b.len()).unwrap_or(0);
        d.set_item("declared_bounds", declared)?;
        d.set_item("unprovable_ops", starkml::unprovable_ops(p))?;
        d.set_item("bytes", self.bytes.len())?;
        Ok(d)
    }

    /// Parses an input JSON text (starkml's or EZKL's format) into one flat list per input.
    /// Raises InputError.
    fn parse_inputs(&self, text: &str) -> PyResult<Vec<Vec<f64>>> {
        starkml::input::parse_inputs(text, &self.inner).map_err(|e| to_py(starkml::Error::Input(e)))
    }

    /// Matches given (name, shape, flat values) inputs to the program's. Raises InputError.
    fn match_inputs(&self, given: Vec<Given>) -> PyResult<Vec<Vec<f64>>> {
        let given = given
            .into_iter()
            .map(|(name, shape, data)| starkml::input::GivenInput { name, shape, data })
            .collect();
        starkml::input::match_inputs(given, &self.inner)
            .map_err(|e| to_py(starkml::Error::Input(e)))
    }

    /// The program inputs of one run of this evaluation program on a test set (JSON text
    /// `{"inputs": ..., "labels": ...}`). Raises InputError.
    fn test_set_inputs(&self, text: &str) -> PyResult<Vec<Vec<f64>>> {
        transpiler::TestSet::from_json(text)
            .and_then(|t| t.program_inputs(&self.inner))
            .map_err(|e| InputError::new_err(e.to_string()))
    }

    /// Runs the program on flat real inputs (program order). Returns the outputs as
    /// (name, shape, real values) and the predicted class of each sample. Raises InputError,
    /// RunError.
    fn run(&self, py: Python<'_>, inputs: Vec<Vec<f64>>) -> PyResult<(Vec<Output>, Vec<i64>)> {
        let p = &self.inner;
        let outputs = py
            .detach(|| runtime::run(p, &inputs))
            .map_err(|e| to_py(starkml::Error::from_run(e)))?;
        let q: Vec<Vec<i64>> = outputs.iter().map(|t| t.data.clone()).collect();
        let named = starkml::named_outputs(p, &q)
            .into_iter()
            .map(|o| (o.name, o.shape, o.values))
            .collect();
        let classes = starkml::predicted_classes(p, &outputs);
        Ok((named, classes))
    }

    fn __repr__(&self) -> String {
        format!("<starkml.Program '{}' digest {}>", self.inner.name, self.inner.digest())
    }
}

/// Compiles ONNX bytes (see `starkml.compile`). Raises CompileError, InputError.
#[pyfunction]
#[pyo3(signature = (onnx, *, calibration=None, calibration_names=None, scale=None,
    max_scale=None, output_names=None, input_range=None, batch=1, name=None, test_set=None,
    metric=None, score_output=None, external_data=None))]
#[allow(clippy::too_many_arguments)]
pub fn compile(
    py: Python<'_>,
    onnx: &[u8],
    calibration: Option<Vec<Vec<Vec<f64>>>>,
    calibration_names: Option<Vec<String>>,
    scale: Option<u8>,
    max_scale: Option<u8>,
    output_names: Option<Vec<String>>,
    input_range: Option<(f64, f64)>,
    batch: usize,
    name: Option<String>,
    test_set: Option<String>,
    metric: Option<String>,
    score_output: Option<String>,
    external_data: Option<std::path::PathBuf>,
) -> PyResult<Program> {
    let eval = match test_set {
        None => None,
        Some(text) => Some(transpiler::Eval {
            test_set: transpiler::TestSet::from_json(&text)
                .map_err(|e| InputError::new_err(e.to_string()))?,
            metric: match metric.as_deref() {
                None => None,
                Some("accuracy") => Some(transpiler::Metric::Accuracy),
                Some("mae") => Some(transpiler::Metric::MeanAbsError),
                Some(m) => {
                    return Err(pyo3::exceptions::PyValueError::new_err(format!(
                        "unknown metric '{m}' (accuracy or mae)"
                    )))
                }
            },
            output: score_output,
        }),
    };
    let defaults = starkml::compile_options();
    let opts = starkml::TranspileOptions {
        scale,
        max_scale: max_scale.unwrap_or(defaults.max_scale),
        input_range,
        calibration: calibration
            .map(|samples| starkml::Calibration { samples, names: calibration_names }),
        name,
        outputs: output_names,
        batch: batch.max(1),
        eval,
        external_data,
        ..defaults
    };
    let program = py.detach(|| starkml::compile(onnx, &opts)).map_err(to_py)?;
    Ok(Program::new(program))
}
