//! starkml as a library: the workflows behind `starkml compile / run / prove / verify`.
//!
//! The command line, the Python package (`python/`) and services all call these functions,
//! so none of them re-implements another: the input file formats ([`input`]), the
//! predicted-class rule ([`classes`]), compiling with the prover's field budget
//! ([`compile()`]), proving with options and progress ([`prove()`]) and verifying with a
//! security floor and an optional published test set ([`verify()`]). Every function takes
//! untrusted bytes and returns a typed [`Error`]; none panics on input.
//!
//! ```no_run
//! # fn main() -> Result<(), starkml::Error> {
//! let onnx = std::fs::read("model.onnx").map_err(|e| starkml::Error::read("model.onnx", e))?;
//! let program = starkml::compile(&onnx, &starkml::compile_options())?;
//! let inputs = starkml::input::parse_inputs(r#"{"data": [0.1, 0.2, 0.3, 0.4]}"#, &program)?;
//! let proved = starkml::prove(&program, &inputs, &starkml::ProveOptions::default(), &mut |_| {})?;
//! let verified = starkml::verify(
//!     &program.to_bytes(),
//!     &proved.proof.to_bytes(),
//!     &starkml::VerifyOptions::default(),
//! )?;
//! println!("class {:?}", verified.classes);
//! # Ok(()) }
//! ```

pub mod classes;
pub mod compile;
pub mod error;
pub mod input;
pub mod outputs;
pub mod prove;
pub mod verify;

pub use air::{HashKind, Preset, Stage};
pub use classes::predicted_classes;
pub use compile::{compile, compile_options, unprovable_ops};
pub use error::Error;
pub use input::InputError;
pub use outputs::{named_outputs, NamedOutput};
pub use prove::{prove, ProveOptions, Proved};
pub use runtime::Program;
pub use transpiler::{Calibration, TranspileOptions};
pub use verify::{verify, Verified, VerifyOptions};
