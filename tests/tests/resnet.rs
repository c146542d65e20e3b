//! The ResNet-style CNN of `tests/data/resnet` (68 M MACs: strided residual blocks with
//! BatchNormalization, a 1x1 downsampling shortcut, global average pooling; written by
//! `models/scripts/gen_resnet.py` in `torch.onnx.export`'s node pattern).
//!
//! Worst-case bounds compound with depth: without calibration the deepest accumulators need
//! 2^66 at scale 8 and the network only fits at scale 3. With its calibration samples,
//! `compile` declares bounds on the activations (see `transpiler::Calibration`) and takes
//! scale 16; the logits then match onnxruntime's within `TOLERANCE` (measured: 2.1e-4) on
//! held-out inputs, the program proves and verifies, and the runtime refuses an input whose
//! activations leave the declared bounds.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use runtime::RuntimeError;
use transpiler::{transpile, Calibration, TranspileOptions};

/// Absolute tolerance on every logit (the target is 0.05).
const TOLERANCE: f64 = 0.01;

fn data(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/resnet")).join(file)
}

fn read(file: &str) -> String {
    std::fs::read_to_string(data(file)).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The program as `starkml compile --calibrate` makes it (automatic scale, the prover's
/// field budget as the acceptance check), and the held-out inputs with their logits;
/// compiled once for all tests of this file.
struct Compiled {
    program: runtime::Program,
    inputs: Vec<Vec<f64>>,
    expected: Vec<Vec<f64>>,
}

fn compiled() -> &'static Compiled {
    static ONCE: OnceLock<Compiled> = OnceLock::new();
    ONCE.get_or_init(|| {
        let bytes = std::fs::read(data("resnet_cifar.onnx")).unwrap();
        let calib = Calibration::from_json(&read("resnet_cifar.calib.json")).unwrap();
        let opts = TranspileOptions {
            calibration: Some(calib),
            accept: Some(air::check_field_budget),
            ..Default::default()
        };
        let program = transpile(&bytes, &opts).unwrap();
        let ts: serde_json::Value =
            serde_json::from_str(&read("resnet_cifar.testset.json")).unwrap();
        let inputs = ts["inputs"].as_array().unwrap().iter().map(floats).collect();
        let expected = ts["expected"].as_array().unwrap().iter().map(floats).collect();
        Compiled { program, inputs, expected }
    })
}

#[test]
fn compiles_at_scale_16_with_declared_bounds_and_matches_onnxruntime() {
    let Compiled { program, inputs, expected } = compiled();
    assert_eq!(program.stats().macs, 67_994_880);
    assert_eq!(program.tensor(program.outputs[0]).unwrap().scale, 16);
    assert!(program.stats().max_bound_bits <= 48, "{}", program.stats().max_bound_bits);
    // Without calibration (worst-case bounds from the default input range) the same model
    // only fits a much coarser scale.
    let bytes = std::fs::read(data("resnet_cifar.onnx")).unwrap();
    let worst = transpile(&bytes, &TranspileOptions::default()).unwrap();
    assert!(worst.tensor(worst.outputs[0]).unwrap().scale <= 4);
    for (x, want) in inputs.iter().zip(expected) {
        let got = runtime::run(program, std::slice::from_ref(x)).unwrap()[0].to_f64();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= TOLERANCE, "{g} vs {w}");
        }
        assert_eq!(starkml_tests::argmax(&got), starkml_tests::argmax(want));
    }
}

#[test]
fn an_input_beyond_the_calibrated_activations_is_refused_by_name() {
    let Compiled { program, inputs, .. } = compiled();
    // Inside the declared input range, but far from the calibration distribution: every
    // pixel at 12 (the samples are N(0, 1)).
    let loud = vec![vec![12.0; inputs[0].len()]];
    match runtime::run(program, &loud) {
        Err(e @ RuntimeError::BoundViolated { .. }) => {
            assert!(e.to_string().contains("calibration"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn proves_and_verifies_and_a_changed_logit_is_rejected() {
    let Compiled { program, inputs, .. } = compiled();
    let (proof, outs) =
        air::prove(program, &inputs[..1], air::Preset::Fast, air::HashKind::Blake3).unwrap();
    assert_eq!(proof.outputs[0], outs[0].data);
    air::verify(program, &proof).unwrap();
    let mut forged = proof.clone();
    forged.outputs[0][3] += 1;
    assert!(matches!(air::verify(program, &forged), Err(air::VerifyError::Stark(_))));
}
