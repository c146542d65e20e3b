//! The one error type of the library workflows.

use std::path::{Path, PathBuf};

use runtime::RuntimeError;

use crate::input::InputError;

/// Why a workflow failed. Each variant says which stage refused, and carries the lower
/// crate's error naming the node, field or check. The message includes the lower error, so
/// it is not also reported as the `source` (an error chain printed in full would repeat it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The inputs do not fit the program (format, count, shape, declared range).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The ONNX model (or its calibration or test set) could not be compiled.
    #[error("cannot compile: {0}")]
    Compile(transpiler::TranspileError),
    /// The program file is not a valid program.
    #[error("invalid program: {0}")]
    Program(RuntimeError),
    /// The program failed on valid inputs (an overflow or a declared bound exceeded).
    #[error("run failed: {0}")]
    Run(RuntimeError),
    /// The run could not be proven.
    #[error("cannot prove: {0}")]
    Prove(air::ProveError),
    /// The proof is not valid for the program (or below the security floor).
    #[error("invalid proof: {0}")]
    Verify(air::VerifyError),
    /// The proof is valid but proves a run on another test set than the one given.
    #[error(
        "the proof is valid but was made on another test set: it proves test set {proven}, the given one is {given}"
    )]
    OtherTestSet {
        /// Digest of the test set the proof carries.
        proven: runtime::ProgramDigest,
        /// Digest of the given test set.
        given: runtime::ProgramDigest,
    },
    /// An option value is not one of the accepted ones.
    #[error("unknown {option} '{value}' (one of: {accepted})")]
    Option {
        /// The option.
        option: &'static str,
        /// The value given.
        value: String,
        /// The accepted values.
        accepted: &'static str,
    },
}

impl Error {
    /// [`Error::Read`] of `path`.
    pub fn read(path: impl AsRef<Path>, error: std::io::Error) -> Error {
        Error::Read { path: path.as_ref().to_path_buf(), error }
    }

    /// [`Error::Write`] of `path`.
    pub fn write(path: impl AsRef<Path>, error: std::io::Error) -> Error {
        Error::Write { path: path.as_ref().to_path_buf(), error }
    }

    /// A runtime error of a run: refusals of the inputs become [`Error::Input`], the rest
    /// [`Error::Run`].
    pub fn from_run(e: RuntimeError) -> Error {
        match e {
            RuntimeError::InputCount { .. }
            | RuntimeError::InputShape { .. }
            | RuntimeError::InputNotFinite { .. }
            | RuntimeError::InputOutOfRange { .. } => Error::Input(InputError::Rejected(e)),
            e => Error::Run(e),
        }
    }
}

impl From<air::ProveError> for Error {
    fn from(e: air::ProveError) -> Error {
        match e {
            air::ProveError::Run(r) => Error::from_run(r),
            e => Error::Prove(e),
        }
    }
}

impl From<transpiler::TranspileError> for Error {
    fn from(e: transpiler::TranspileError) -> Error {
        Error::Compile(e)
    }
}

impl From<air::VerifyError> for Error {
    fn from(e: air::VerifyError) -> Error {
        Error::Verify(e)
    }
}
