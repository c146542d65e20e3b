//! The binary program form: round trips, digest stability, and untrusted bytes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use runtime::{Program, RuntimeError, TensorId};
use starkml_tests::ModelCase;

#[test]
fn binary_round_trip_is_exact_for_every_model() {
    for name in models::ALL_MODELS {
        let p = ModelCase::new(name).program;
        let bytes = p.to_bytes();
        let back = Program::from_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, p, "{name}");
        assert_eq!(back.to_bytes(), bytes, "{name}: canonical bytes");
        assert_eq!(back.digest(), p.digest(), "{name}");
    }
}

#[test]
fn digest_is_stable_across_compilations_and_names_the_program() {
    let a = ModelCase::new("mlp_small").program;
    let b = ModelCase::new("mlp_small").program;
    assert_eq!(a.digest(), b.digest());
    let c = ModelCase::with_scale("mlp_small", 12).program;
    assert_ne!(a.digest(), c.digest(), "another scale is another program");
    let d = ModelCase::new("mlp_medium").program;
    assert_ne!(a.digest(), d.digest());
}

#[test]
fn header_errors_are_specific() {
    let bytes = ModelCase::new("logreg_iris").program.to_bytes();
    assert_eq!(Program::from_bytes(&bytes[..3]), Err(RuntimeError::Truncated { len: 3 }));
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert_eq!(Program::from_bytes(&bad), Err(RuntimeError::BadMagic));
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(
        Program::from_bytes(&v2),
        Err(RuntimeError::UnsupportedVersion { found: 2, supported: 1 })
    );
    let mut junk = bytes[..6].to_vec();
    junk.extend_from_slice(&[0xff; 16]);
    assert!(matches!(Program::from_bytes(&junk), Err(RuntimeError::Decode { .. })));
}

#[test]
fn tampered_programs_are_rejected_with_the_failed_check() {
    let p = ModelCase::new("mlp_small").program;
    let reload = |q: &Program| Program::from_bytes(&q.to_bytes());

    let mut bound = p.clone();
    let last = bound.tensors.len() - 1;
    bound.tensors[last].bound += 1;
    assert!(matches!(reload(&bound), Err(RuntimeError::BoundMismatch { .. })));

    let mut order = p.clone();
    let later = order.ops[1].output;
    order.ops[0].inputs[0] = later;
    assert!(matches!(reload(&order), Err(RuntimeError::NotTopological { .. })));

    let mut shape = p.clone();
    let out = shape.ops[0].output.0 as usize;
    shape.tensors[out].shape = vec![1, 33];
    assert!(matches!(
        reload(&shape),
        Err(RuntimeError::ShapeMismatch { .. }) | Err(RuntimeError::InvalidOp { .. })
    ));

    let mut weights = p.clone();
    if let Some(t) =
        weights.tensors.iter_mut().find(|t| matches!(t.kind, runtime::TensorKind::Const(_)))
    {
        if let runtime::TensorKind::Const(d) = &mut t.kind {
            std::sync::Arc::make_mut(d).pop();
        }
    }
    assert!(matches!(reload(&weights), Err(RuntimeError::InvalidField { .. })));

    let mut outputs = p.clone();
    outputs.outputs = vec![TensorId(10_000)];
    assert!(matches!(reload(&outputs), Err(RuntimeError::InvalidField { .. })));
}

#[test]
fn every_truncation_and_byte_flip_is_an_error_or_another_valid_program() {
    let p = ModelCase::new("cnn_small").program;
    let bytes = p.to_bytes();
    for len in 0..bytes.len() {
        assert!(Program::from_bytes(&bytes[..len]).is_err(), "truncated to {len} bytes decoded");
    }
    let digest = p.digest();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            if let Ok(q) = Program::from_bytes(&b) {
                assert_ne!(q.digest(), digest, "flip at {i} decoded to the same program");
            }
        }
    }
}
