//! Python exceptions for the `starkml` crate's errors: each carries the Rust error's message.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;

create_exception!(starkml, StarkmlError, PyException, "Base class of starkml's errors.");
create_exception!(
    starkml,
    CompileError,
    StarkmlError,
    "The ONNX model, its calibration samples or its test set could not be compiled."
);
create_exception!(
    starkml,
    InputError,
    StarkmlError,
    "Inputs do not fit the program: count, names, shape, values outside the declared range."
);
create_exception!(starkml, ProgramError, StarkmlError, "The bytes are not a valid program.");
create_exception!(
    starkml,
    RunError,
    StarkmlError,
    "The program failed on valid inputs (an overflow, or a declared bound exceeded)."
);
create_exception!(
    starkml,
    ProveError,
    StarkmlError,
    "The run could not be proven (ops the AIR cannot prove yet, not enough memory)."
);
create_exception!(
    starkml,
    VerifyError,
    StarkmlError,
    "The proof is invalid for the program, below the security floor, or made on another test set."
);

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("StarkmlError", py.get_type::<StarkmlError>())?;
    m.add("CompileError", py.get_type::<CompileError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ProgramError", py.get_type::<ProgramError>())?;
    m.add("RunError", py.get_type::<RunError>())?;
    m.add("ProveError", py.get_type::<ProveError>())?;
    m.add("VerifyError", py.get_type::<VerifyError>())?;
    Ok(())
}

/// The Python exception of a `starkml` error.
pub fn to_py(e: starkml::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        starkml::Error::Read { .. } | starkml::Error::Write { .. } => PyOSError::new_err(msg),
        starkml::Error::Input(_) => InputError::new_err(msg),
        starkml::Error::Compile(_) => CompileError::new_err(msg),
        starkml::Error::Program(_) => ProgramError::new_err(msg),
        starkml::Error::Run(_) => RunError::new_err(msg),
        starkml::Error::Prove(_) => ProveError::new_err(msg),
        starkml::Error::Verify(_) | starkml::Error::OtherTestSet { .. } => {
            VerifyError::new_err(msg)
        }
        starkml::Error::Option { .. } => PyValueError::new_err(msg),
        _ => StarkmlError::new_err(msg),
    }
}
