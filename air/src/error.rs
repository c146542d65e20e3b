//! Errors of proving and verifying.

use std::fmt;

use runtime::{OpId, RuntimeError};

/// An op the AIR has no row type for (or cannot prove in this configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOp {
    /// The op.
    pub op: OpId,
    /// Its short name.
    pub name: &'static str,
    /// The ONNX node it came from.
    pub origin: String,
    /// Why it cannot be proven.
    pub reason: String,
    /// The refusal is the field budget (an accumulator too large for the AIR's no-wrap
    /// margin): the same model at a smaller scale may prove.
    pub field_budget: bool,
}

impl fmt::Display for UnsupportedOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name, self.origin, self.reason)
    }
}

fn list(ops: &[UnsupportedOp]) -> String {
    ops.iter().map(|o| format!("\n  - {o}")).collect()
}

/// Why a proof could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The program does not validate.
    #[error("invalid program: {0}")]
    InvalidProgram(#[source] RuntimeError),
    /// Ops the AIR cannot prove yet; all of them are listed.
    #[error("the AIR cannot prove {} op(s) of this program yet:{}", ops.len(), list(ops))]
    Unsupported {
        /// Every unsupported op.
        ops: Vec<UnsupportedOp>,
    },
    /// The schedule needs more rows than the prover accepts.
    #[error("the program needs {rows} rows, more than the {max} the prover accepts")]
    TooLarge {
        /// Rows needed.
        rows: usize,
        /// Limit.
        max: usize,
    },
    /// The machine does not have the memory the proof needs (see [`crate::memory`]).
    #[error(
        "proving {rows} rows needs about {needed_mb} MB, more than the {available_mb} MB \
         available{hint}"
    )]
    OutOfMemory {
        /// Trace rows.
        rows: usize,
        /// Estimated peak, in MB.
        needed_mb: u64,
        /// Available memory, in MB.
        available_mb: u64,
        /// A cheaper preset that would fit, or empty.
        hint: &'static str,
    },
    /// Running the program failed (bad inputs).
    #[error("run failed: {0}")]
    Run(#[source] RuntimeError),
    /// The witness does not satisfy the AIR (a bug, or a tampered witness).
    #[error("the witness violates {count} constraint(s); first: {first}")]
    Unsatisfied {
        /// Number of violations.
        count: usize,
        /// The first one, with row and label.
        first: String,
    },
    /// The STARK prover failed.
    #[error("prover failed: {0}")]
    Prover(String),
}

/// Why a proof was rejected. Each variant names the check that failed.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The proof file is malformed.
    #[error("malformed proof file: {0}")]
    Malformed(String),
    /// The program file given to [`crate::verify_encoded`] is not a valid program.
    #[error("invalid program: {0}")]
    Program(String),
    /// The proof is for another program.
    #[error("the proof is for program {proof}, not {program}")]
    WrongProgram {
        /// Digest in the proof.
        proof: String,
        /// Digest of the program given.
        program: String,
    },
    /// The program cannot be proven (so no proof of it can be valid).
    #[error("the program has no AIR schedule: {0}")]
    Schedule(String),
    /// The public inputs or outputs do not fit the program.
    #[error("public {what} do not fit the program: {reason}")]
    PublicData {
        /// `inputs` or `outputs`.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The proof's trace shape differs from the program's schedule.
    #[error("trace shape {got} differs from the program's {expected}")]
    TraceShape {
        /// Expected shape.
        expected: String,
        /// Shape in the proof.
        got: String,
    },
    /// The proof's options are not the preset it claims.
    #[error("proof options are not an accepted preset: {0}")]
    Options(String),
    /// A count or shape field inside the Winterfell proof (queries, Merkle openings, FRI
    /// layers, out-of-domain frame, random elements) is not one this AIR's proofs have.
    #[error("malformed proof: {0}")]
    ProofShape(String),
    /// The proof's conjectured security is below what the verifier demands.
    #[error("the proof has {bits} bits of conjectured security, below the {min} required")]
    Security {
        /// Conjectured bits of the proof.
        bits: u32,
        /// Minimum demanded.
        min: u32,
    },
    /// The STARK verifier rejected the proof.
    #[error("STARK verification failed: {0}")]
    Stark(String),
    /// Winterfell panicked on the proof and the panic was caught: the proof is refused, but
    /// a shape check that should have refused it first is missing (a starkml bug; please
    /// report it with the proof file).
    #[error("the proof was refused by an internal check (a starkml bug, please report): {0}")]
    VerifierBug(String),
}
