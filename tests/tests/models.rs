//! Accuracy of every benchmark model against onnxruntime's float outputs.
//!
//! Each model is compiled with its calibration file; the automatic scale is 16 fractional
//! bits for all five. Tolerance: argmax agrees on 20/20 test samples and every output value is
//! within 0.01 of the float reference.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::ModelCase;

const TOLERANCE: f64 = 0.01;
const SCALE: u8 = 16;

fn check(name: &str) {
    let case = ModelCase::new(name);
    assert_eq!(case.scale(), SCALE, "{name}: automatic scale");
    let acc = case.accuracy();
    assert_eq!(acc.samples, 20, "{name}: samples");
    assert_eq!(acc.argmax_agree, 20, "{name}: argmax agreement {acc:?}");
    assert!(
        acc.max_abs_err <= TOLERANCE,
        "{name}: max abs error {} > {TOLERANCE}",
        acc.max_abs_err
    );
}

#[test]
fn logreg_iris_matches_float() {
    check("logreg_iris");
}

#[test]
fn mlp_small_matches_float() {
    check("mlp_small");
}

#[test]
fn cnn_small_matches_float() {
    check("cnn_small");
}

#[test]
fn mlp_medium_matches_float() {
    check("mlp_medium");
}

#[test]
fn mlp_large_matches_float() {
    check("mlp_large");
}

/// Negative twin: the same check fails at a coarse scale, so the tolerance means something.
#[test]
fn coarse_scale_exceeds_tolerance() {
    let case = ModelCase::with_scale("mlp_small", 3);
    let acc = case.accuracy();
    assert!(acc.max_abs_err > TOLERANCE, "scale 3 should be visibly inaccurate: {acc:?}");
}

/// The canonical input gives the expected argmax and logits for every model.
#[test]
fn canonical_inputs_match_expected() {
    for name in models::ALL_MODELS {
        let case = ModelCase::new(name);
        let out = runtime::run(&case.program, std::slice::from_ref(&case.fixture.input.data))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = out[0].to_f64();
        assert_eq!(starkml_tests::argmax(&got), case.fixture.expected.argmax, "{name}");
        for (g, w) in got.iter().zip(&case.fixture.expected.data) {
            assert!((g - w).abs() <= TOLERANCE, "{name}: {g} vs {w}");
        }
    }
}
