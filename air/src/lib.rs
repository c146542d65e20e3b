#![doc = include_str!("../README.md")]

mod air;
mod bus;
pub mod cols;
pub mod constraints;
pub mod conv;
pub mod debug;
pub mod dense;
pub mod error;
pub mod field;
mod hash;
pub mod layout;
pub mod linear;
pub mod memory;
pub mod options;
pub mod proof_file;
mod proof_shape;
pub mod prover;
mod quiet;
mod reader;
pub mod schedule;
pub mod trace;
pub mod verifier;
mod vkey;

pub use air::{ModelAir, PublicInputs, VerifyingKey};
pub use error::{ProveError, UnsupportedOp, VerifyError};
pub use hash::{Blake2s256Hasher, Blake2sFn, Blake3Fn, Blake3Hasher, ByteHasher, HashFn};
pub use options::{HashKind, Preset};
pub use proof_file::RunProof;
pub use prover::{prove, prove_observed, prove_rows, Stage};
pub use schedule::{check_field_budget, Schedule};
pub use verifier::{
    prepare, verify, verify_encoded, verify_min_bits, verify_with_key, verify_with_key_min_bits,
    VerifyReport,
};

/// Winterfell's hash functions, for callers that report security per hash.
pub mod winterfell_hashers {
    pub use winterfell::crypto::hashers::Blake3_256;
}

/// Conjectured and proven (list-decoding) security bits of a proof.
pub fn security(proof: &RunProof) -> (u32, u32) {
    use field::Felt;
    match proof.hash {
        HashKind::Blake3 => (
            proof.proof.conjectured_security::<winterfell_hashers::Blake3_256<Felt>>().bits(),
            proof.proof.proven_security::<winterfell_hashers::Blake3_256<Felt>>().ldr_bits(),
        ),
        HashKind::Blake2s => (
            proof.proof.conjectured_security::<Blake2s256Hasher<Felt>>().bits(),
            proof.proof.proven_security::<Blake2s256Hasher<Felt>>().ldr_bits(),
        ),
    }
}
