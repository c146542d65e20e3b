//! Proof bytes from strangers: every crafted proof of the outside review
//! (`air-review.md`, findings 1-4) and every single-byte mutation of a valid proof gets an
//! `Err`, never a panic, an abort or a printed panic message.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use air::{verify, HashKind, Preset, RunProof, VerifyError};
use starkml_tests::ModelCase;
use winter_air::proof::{Context, OodFrame, Queries};
use winter_utils::{Deserializable, Serializable};

fn logreg_proof() -> (ModelCase, RunProof) {
    let case = ModelCase::new("logreg_iris");
    let (proof, _) = case.prove(Preset::Bits96, HashKind::Blake3);
    verify(&case.program, &proof).unwrap_or_else(|e| panic!("the valid proof: {e}"));
    (case, proof)
}

fn assert_shape_error(case: &ModelCase, proof: &RunProof, needle: &str) {
    // Both through the structure and through the bytes a stranger would send.
    for verdict in [
        verify(&case.program, proof),
        RunProof::from_bytes(&proof.to_bytes()).and_then(|p| verify(&case.program, &p)),
    ] {
        match verdict {
            Err(VerifyError::ProofShape(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("expected a proof-shape error naming '{needle}', got {other:?}"),
        }
    }
}

/// A Merkle batch opening that announces `count` node vectors and holds none: depth 10, then
/// Winterfell's variable-length integer in its 9-byte form (a 0 marker, 8 little-endian bytes).
fn huge_opening(count: u64) -> Vec<u8> {
    let mut v = vec![10u8, 0];
    v.extend_from_slice(&count.to_le_bytes());
    v
}

#[test]
fn a_merkle_node_count_beyond_the_bytes_is_refused_not_allocated() {
    let (case, proof) = logreg_proof();
    for count in [1u64 << 40, 1 << 60, u64::MAX] {
        let mut p = proof.clone();
        // `Queries` serialises as values then opening proof, each a length-prefixed vector.
        let q = p.proof.trace_queries[0].to_bytes();
        let mut r = winter_utils::SliceReader::new(&q);
        let values = Vec::<u8>::read_from(&mut r).unwrap();
        let mut forged = Vec::new();
        values.write_into(&mut forged);
        huge_opening(count).write_into(&mut forged);
        p.proof.trace_queries[0] = Queries::read_from_bytes(&forged).unwrap();
        assert_shape_error(&case, &p, "trace segment 0 queries");
    }
}

#[test]
fn one_aux_random_element_is_refused() {
    let (case, proof) = logreg_proof();
    let mut p = proof.clone();
    let info = proof.proof.trace_info();
    let one_rand = winterfell::TraceInfo::new_multi_segment(
        info.main_trace_width(),
        info.aux_segment_width(),
        1,
        info.length(),
        info.meta().to_vec(),
    );
    p.proof.context = Context::new::<air::field::Felt>(
        one_rand,
        proof.proof.options().clone(),
        proof.proof.context.num_constraints(),
    );
    assert_shape_error(&case, &p, "auxiliary random elements");
}

#[test]
fn zero_or_too_many_unique_queries_are_refused() {
    let (case, proof) = logreg_proof();
    for n in [0u8, 28, 255] {
        let mut p = proof.clone();
        p.proof.num_unique_queries = n;
        assert_shape_error(&case, &p, "unique queries");
    }
}

#[test]
fn an_ood_frame_size_other_than_two_is_refused() {
    let (case, proof) = logreg_proof();
    for (part, offset) in [("trace states", 2usize), ("quotient states", 0)] {
        let mut b = proof.proof.ood_frame.to_bytes();
        let at = if part == "trace states" {
            offset
        } else {
            let n = usize::from(u16::from_le_bytes([b[0], b[1]]));
            2 + n + 2
        };
        b[at] = 3;
        let mut p = proof.clone();
        p.proof.ood_frame = OodFrame::read_from_bytes(&b).unwrap();
        assert_shape_error(&case, &p, part);
    }
}

#[test]
fn a_key_for_another_program_is_refused() {
    let (case, proof) = logreg_proof();
    let other = ModelCase::new("mlp_small");
    let key = air::prepare(&other.program).unwrap();
    assert!(matches!(air::verify_with_key(&key, &proof), Err(VerifyError::WrongProgram { .. })));
    let own = air::prepare(&case.program).unwrap();
    assert!(air::verify_with_key(&own, &proof).is_ok());
}

#[test]
fn an_input_outside_the_declared_real_range_is_refused() {
    let (case, proof) = logreg_proof();
    let id = case.program.inputs[0];
    let t = case.program.tensor(id).unwrap();
    let runtime::TensorKind::Input { lo, .. } = t.kind else { panic!("not an input") };
    let below = runtime::fixed_point::quantize(lo, t.scale).unwrap() - 1;
    assert!(below.unsigned_abs() <= t.bound, "the old |x| <= bound check would let it through");
    let mut p = proof.clone();
    p.inputs[0][0] = below;
    match verify(&case.program, &p) {
        Err(VerifyError::PublicData { what: "inputs", reason }) => {
            assert!(reason.contains("outside its declared range"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_minimum_security_is_enforced_before_the_stark() {
    let (case, proof) = logreg_proof();
    let report = air::verify_min_bits(&case.program, &proof, 96).unwrap();
    assert_eq!(report.conjectured_bits, 96);
    assert_eq!(
        air::verify_min_bits(&case.program, &proof, 100),
        Err(VerifyError::Security { bits: 96, min: 100 })
    );
}

/// Every byte of a valid proof file set to 0x00, to 0xff and with one bit flipped: each is
/// refused with an error, and none reaches a caught panic (`VerifierBug`).
#[test]
fn every_single_byte_mutation_of_a_proof_is_refused_without_panic() {
    let (case, proof) = logreg_proof();
    let key = air::prepare(&case.program).unwrap();
    let bytes = proof.to_bytes();
    let mut refused = 0usize;
    for i in 0..bytes.len() {
        let bit = 1u8 << (i % 8);
        for m in [0x00u8, 0xff, bytes[i] ^ bit] {
            if m == bytes[i] {
                continue;
            }
            let mut b = bytes.clone();
            b[i] = m;
            let verdict = RunProof::from_bytes(&b).and_then(|p| air::verify_with_key(&key, &p));
            match verdict {
                Ok(_) => panic!("byte {i} set to {m:#04x} verified"),
                Err(VerifyError::VerifierBug(e)) => panic!("byte {i} set to {m:#04x}: {e}"),
                Err(_) => refused += 1,
            }
        }
    }
    assert!(refused >= 2 * bytes.len(), "{refused} mutations of {} bytes", bytes.len());
}
