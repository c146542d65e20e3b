#![doc = include_str!("../README.md")]

mod air;
pub mod debug;
pub mod error;
pub mod field;
mod hash;
pub mod layout;
pub mod options;
pub mod proof_file;
pub mod prover;
pub mod schedule;
pub mod trace;
pub mod verifier;
mod vkey;

pub use air::{ModelAir, PublicInputs};
pub use error::{ProveError, UnsupportedOp, VerifyError};
pub use hash::Blake2s256Hasher;
pub use options::{HashKind, Preset};
pub use proof_file::RunProof;
pub use prover::{prove, prove_rows};
pub use schedule::Schedule;
pub use verifier::{verify, VerifyReport};
