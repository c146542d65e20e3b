//! `starkml._starkml`: the Rust core of the Python package. The Python layer
//! (`starkml/__init__.py`) turns numpy arrays, paths and `onnx.ModelProto`s into the plain
//! values these functions take; every workflow is the `starkml` crate's, as the CLI runs it.

mod errors;
mod program;
mod proof;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _starkml(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<program::Program>()?;
    m.add_class::<proof::Proof>()?;
    m.add_function(wrap_pyfunction!(program::compile, m)?)?;
    m.add_function(wrap_pyfunction!(proof::prove, m)?)?;
    m.add_function(wrap_pyfunction!(proof::verify, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
