//! Proofs of every benchmark model, and the negative twins: tampered proofs, public data,
//! programs and options are rejected with the specific error.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use air::{verify, HashKind, Preset, RunProof, VerifyError};
use starkml_tests::ModelCase;

#[test]
fn every_model_proves_and_the_proof_carries_the_runtime_outputs() {
    for name in models::ALL_MODELS {
        let case = ModelCase::new(name);
        let (proof, outputs) = case.prove(Preset::Bits96, HashKind::Blake3);
        let report = verify(&case.program, &proof).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.conjectured_bits >= 95, "{name}: {report:?}");
        let run: Vec<Vec<i64>> = outputs.iter().map(|t| t.data.clone()).collect();
        assert_eq!(proof.outputs, run, "{name}: proof outputs differ from the runtime's");
        let again =
            runtime::run(&case.program, std::slice::from_ref(&case.fixture.input.data)).unwrap();
        assert_eq!(proof.outputs[0], again[0].data, "{name}");
        let size = proof.to_bytes().len();
        assert!(size <= 128 * 1024, "{name}: proof of {size} bytes exceeds 128 KiB");
        let back = RunProof::from_bytes(&proof.to_bytes()).unwrap();
        assert!(verify(&case.program, &back).is_ok(), "{name}: round trip");
    }
}

#[test]
fn other_presets_and_blake2s_verify() {
    let case = ModelCase::new("cnn_small");
    for (preset, hash, bits) in [
        (Preset::Fast, HashKind::Blake2s, 95),
        (Preset::Bits128, HashKind::Blake3, 127),
        (Preset::Bits96, HashKind::Blake2s, 96),
    ] {
        let (proof, _) = case.prove(preset, hash);
        let report =
            verify(&case.program, &proof).unwrap_or_else(|e| panic!("{preset:?} {hash:?}: {e}"));
        assert!(report.conjectured_bits >= bits, "{preset:?}: {report:?}");
    }
}

fn mlp_small_proof() -> (ModelCase, RunProof) {
    let case = ModelCase::new("mlp_small");
    let (proof, _) = case.prove(Preset::Bits96, HashKind::Blake3);
    (case, proof)
}

#[test]
fn flipped_and_truncated_proof_bytes_are_rejected() {
    let (case, proof) = mlp_small_proof();
    let bytes = proof.to_bytes();
    let mut checked = 0;
    for i in (0..bytes.len()).step_by(89) {
        for mask in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            let verdict = RunProof::from_bytes(&b).and_then(|p| verify(&case.program, &p));
            assert!(verdict.is_err(), "flip of bit {mask:#x} at byte {i} verified");
            checked += 1;
        }
    }
    assert!(checked > 500);
    for len in (0..bytes.len()).step_by(233) {
        assert!(
            matches!(RunProof::from_bytes(&bytes[..len]), Err(VerifyError::Malformed(_))),
            "truncated to {len}"
        );
    }
}

#[test]
fn wrong_input_is_rejected_by_the_stark() {
    let (case, mut proof) = mlp_small_proof();
    let i = proof.inputs[0].iter().position(|&v| v != 0).unwrap();
    proof.inputs[0][i] -= 1;
    assert!(matches!(verify(&case.program, &proof), Err(VerifyError::Stark(_))));
}

#[test]
fn input_beyond_the_declared_range_is_rejected() {
    let (case, mut proof) = mlp_small_proof();
    proof.inputs[0][0] = i64::MAX / 2;
    assert!(matches!(
        verify(&case.program, &proof),
        Err(VerifyError::PublicData { what: "inputs", .. })
    ));
}

#[test]
fn wrong_output_is_rejected_by_the_stark() {
    let (case, mut proof) = mlp_small_proof();
    proof.outputs[0][2] += 1;
    assert!(matches!(verify(&case.program, &proof), Err(VerifyError::Stark(_))));
    let (case, mut proof) = mlp_small_proof();
    proof.outputs[0].swap(0, 1);
    assert!(matches!(verify(&case.program, &proof), Err(VerifyError::Stark(_))));
    let (case, mut proof) = mlp_small_proof();
    proof.outputs[0].pop();
    assert!(matches!(
        verify(&case.program, &proof),
        Err(VerifyError::PublicData { what: "outputs", .. })
    ));
}

#[test]
fn another_models_program_is_rejected() {
    let (_, proof) = mlp_small_proof();
    let other = ModelCase::new("mlp_medium").program;
    assert!(matches!(verify(&other, &proof), Err(VerifyError::WrongProgram { .. })));
    // Same architecture and weights, another scale: another digest, another program.
    let rescaled = ModelCase::with_scale("mlp_small", 12).program;
    assert!(matches!(verify(&rescaled, &proof), Err(VerifyError::WrongProgram { .. })));
    // A proof relabelled with the other program's digest fails on its trace or transcript.
    let mut relabelled = proof.clone();
    relabelled.digest = other.digest().0;
    assert!(matches!(
        verify(&other, &relabelled),
        Err(VerifyError::TraceShape { .. }) | Err(VerifyError::PublicData { .. })
    ));
}

#[test]
fn options_and_hash_must_match_the_proof() {
    let (case, proof) = mlp_small_proof();
    let mut preset = proof.clone();
    preset.preset = Preset::Fast;
    assert!(matches!(verify(&case.program, &preset), Err(VerifyError::Options(_))));
    let mut hash = proof.clone();
    hash.hash = HashKind::Blake2s;
    assert!(matches!(verify(&case.program, &hash), Err(VerifyError::Stark(_))));
}

#[test]
fn malformed_proof_files_are_errors() {
    for len in [0usize, 3, 4, 8, 100, 5000] {
        let bytes = starkml_tests::noise(0x9e37_79b9_7f4a_7c15 ^ len as u64, len);
        assert!(matches!(RunProof::from_bytes(&bytes), Err(VerifyError::Malformed(_))), "{len}");
        let mut with_magic = b"STKP\x01\x00\x00\x00".to_vec();
        with_magic.extend_from_slice(&bytes);
        assert!(
            matches!(RunProof::from_bytes(&with_magic), Err(VerifyError::Malformed(_))),
            "{len}"
        );
    }
}

#[test]
fn ops_without_a_row_type_are_listed_by_prove() {
    use starkml_tests::onnx_build::{self as ob, node};
    let mut m = ob::linear_relu();
    if let Some(g) = m.graph.as_mut() {
        g.node.push(node("Mul", "square", &["y", "y"], &["sq"], vec![]));
        g.output[0].name = "sq".into();
    }
    let program = transpiler::transpile(&ob::bytes(&m), &Default::default()).unwrap();
    match air::prove(&program, &[vec![0.5, -0.5, 1.0, 2.0]], Preset::Bits96, HashKind::Blake3) {
        Err(air::ProveError::Unsupported { ops }) => {
            assert_eq!(ops.len(), 1, "{ops:?}");
            assert_eq!(ops[0].name, "mul");
            assert_eq!(ops[0].origin, "square");
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn verify_encoded_hashes_the_file_and_refuses_other_programs() {
    let (case, proof) = mlp_small_proof();
    let bytes = case.program.to_bytes();
    let (program, report) = air::verify_encoded(&bytes, &proof, 0).unwrap();
    assert_eq!(program.digest(), case.program.digest());
    assert_eq!(report.trace_len, proof.proof.trace_info().length());
    // Bytes that decode to the same program but are not its canonical encoding (an unknown
    // field 15 appended): the hash differs, the verifier re-encodes, the proof verifies.
    let mut other = bytes.clone();
    other.extend_from_slice(&[0x78, 0x00]);
    assert_ne!(other, bytes);
    assert!(air::verify_encoded(&other, &proof, 0).is_ok());
    // Not a program; another program; a security demand above the proof's.
    assert!(matches!(
        air::verify_encoded(b"not a program", &proof, 0),
        Err(VerifyError::Program(_))
    ));
    let cnn = ModelCase::new("cnn_small").program.to_bytes();
    assert!(matches!(air::verify_encoded(&cnn, &proof, 0), Err(VerifyError::WrongProgram { .. })));
    assert!(matches!(air::verify_encoded(&bytes, &proof, 200), Err(VerifyError::Security { .. })));
}
