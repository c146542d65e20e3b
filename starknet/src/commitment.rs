//! Poseidon commitments shared by the Rust side and generated contracts.
//!
//! Every hash here is `poseidon_hash_many` over felts, which is what Cairo's
//! `core::poseidon::poseidon_hash_span` computes, so a contract and this module agree on the
//! same felts.

use runtime::{Program, TensorKind};
use starknet_rust::core::types::Felt;
use starknet_rust_crypto::poseidon_hash_many;

use crate::felt::encode_i64;

/// The felts the weights commitment hashes: the number of constant tensors, then for each
/// constant tensor in program order its element count followed by its quantised values
/// (signed integers at the tensor's scale, encoded as in [`crate::felt`]).
pub fn weights_preimage(program: &Program) -> Vec<Felt> {
    let consts: Vec<&Vec<i64>> = program
        .tensors
        .iter()
        .filter_map(|t| if let TensorKind::Const(d) = &t.kind { Some(d.as_ref()) } else { None })
        .collect();
    let mut out = Vec::with_capacity(1 + consts.iter().map(|d| d.len() + 1).sum::<usize>());
    out.push(Felt::from(consts.len() as u64));
    for d in consts {
        out.push(Felt::from(d.len() as u64));
        out.extend(d.iter().map(|&x| encode_i64(x)));
    }
    out
}

/// Poseidon commitment to a program's quantised parameters (see [`weights_preimage`]); the
/// generated contract's `weights_commitment()` returns the same felt.
pub fn weights_commitment(program: &Program) -> Felt {
    poseidon_hash_many(&weights_preimage(program))
}

/// Poseidon hash of a model input as sent in calldata (all program inputs concatenated, each
/// value a signed integer at its input's scale).
pub fn input_hash(quantised: &[Felt]) -> Felt {
    poseidon_hash_many(quantised)
}

/// Blake3 hash of a proof file's bytes, the `proof_hash` recorded by the registry (a `u256`
/// on chain: see [`crate::felt::digest_to_u256`]).
pub fn proof_hash(proof_bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(proof_bytes).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preimage_is_length_prefixed() {
        let program = starkml_tests::ModelCase::new("logreg_iris").program;
        let pre = weights_preimage(&program);
        let n_consts =
            program.tensors.iter().filter(|t| matches!(t.kind, TensorKind::Const(_))).count();
        assert_eq!(pre[0], Felt::from(n_consts as u64));
        let params = program.stats().params;
        assert_eq!(pre.len(), 1 + n_consts + params);
        // A single changed weight changes the commitment.
        let mut other = program.clone();
        if let Some(TensorKind::Const(d)) = other
            .tensors
            .iter_mut()
            .map(|t| &mut t.kind)
            .find(|k| matches!(k, TensorKind::Const(_)))
        {
            std::sync::Arc::make_mut(d)[0] += 1;
        }
        assert_ne!(weights_commitment(&program), weights_commitment(&other));
    }
}
