//! The starkml test harness: model cases with accuracy checks, an ONNX model builder for
//! malformed-input tests, small exporter-style models with float references, and the ONNX
//! conformance runner.

pub mod classical;
pub mod conformance;
pub mod onnx_build;
pub mod sklearn;
pub mod small_models;

use std::sync::Arc;

use runtime::Program;
use transpiler::{transpile, Calibration, TranspileOptions};

/// A run of `program` laid out as the AIR's integer rows, with everything a tamper test
/// needs; [`Traced::new`] checks that the untampered rows satisfy every constraint.
pub struct Traced {
    /// The program's schedule.
    pub schedule: Arc<air::Schedule>,
    /// Its periodic columns.
    pub periodic: Vec<Vec<air::field::Felt>>,
    /// The integer rows of the run.
    pub rows: Vec<[i128; air::layout::main::WIDTH]>,
    /// Quantised inputs.
    pub inputs: Vec<Vec<i64>>,
    /// The runtime's outputs.
    pub outputs: Vec<Vec<i64>>,
}

impl Traced {
    /// Runs `program` on the real `input` and builds its rows.
    ///
    /// # Panics
    /// When the program does not schedule or run, or the rows differ from the runtime, break
    /// a constraint or leave the bus unbalanced.
    #[allow(clippy::expect_used)]
    pub fn new(program: &Program, input: Vec<f64>) -> Traced {
        use air::debug::{check_constraints, relation_summary};
        let schedule = Arc::new(air::Schedule::new(program).expect("schedules"));
        let (outs, witness) = runtime::run_traced(program, &[input]).expect("runs");
        let inputs: Vec<Vec<i64>> =
            program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
        let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
        let (rows, air_outputs) = air::trace::build_rows(&schedule, &inputs).expect("rows");
        assert_eq!(air_outputs, outputs, "the rows compute the runtime's outputs");
        let periodic = schedule.periodic_columns();
        assert!(check_constraints(&schedule, &periodic, &rows, &inputs).is_empty());
        assert!(relation_summary(&schedule, &periodic, &rows, &inputs, &outputs).balanced());
        Traced { schedule, periodic, rows, inputs, outputs }
    }
}

/// Adds `d` to the limb in `lane` of row `row` and moves its range-table multiplicity along
/// (so that the range checks still balance and only the tampered relation fails).
///
/// # Panics
/// When the limb would leave `0..256`.
pub fn shift_limb(rows: &mut [[i128; air::layout::main::WIDTH]], row: usize, lane: usize, d: i128) {
    use air::layout::main::MULT;
    let limb = rows[row][lane];
    assert!((0..256).contains(&(limb + d)), "limb {limb} + {d} leaves the range table");
    rows[row][lane] += d;
    rows[limb as usize][MULT] -= 1;
    rows[(limb + d) as usize][MULT] += 1;
}

/// Asserts that no verifying proof can be made of (tampered) integer `rows` of `schedule`
/// claiming `outputs`: the rows go to the STARK prover unchecked, which either refuses them
/// or yields a proof that `verify` rejects as a STARK failure.
///
/// # Panics
/// When a proof of the rows verifies, or proving fails for another reason.
#[allow(clippy::panic)]
pub fn assert_unprovable(
    program: &Program,
    schedule: &Arc<air::Schedule>,
    rows: &[[i128; air::layout::main::WIDTH]],
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
) {
    match air::prove_rows(
        schedule.clone(),
        rows,
        inputs.to_vec(),
        outputs.to_vec(),
        air::Preset::Fast,
        air::HashKind::Blake3,
        false,
    ) {
        Err(air::ProveError::Prover(_)) => {}
        Ok(proof) => {
            let verdict = air::verify(program, &proof);
            assert!(matches!(verdict, Err(air::VerifyError::Stark(_))), "{verdict:?}");
        }
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Proves `program` on `inputs` (preset `fast`, Blake3), checks that the proof carries the
/// runtime's outputs and verifies, then applies `tamper` to a copy of the proof's outputs and
/// checks that the STARK refuses it. Returns the proven outputs.
///
/// # Panics
/// When running, proving or verifying fails, when `tamper` changes nothing, or when the
/// tampered proof is not refused by the STARK check.
#[allow(clippy::panic)]
pub fn prove_and_refuse_tampered(
    program: &Program,
    inputs: &[Vec<f64>],
    tamper: impl FnOnce(&mut [Vec<i64>]),
) -> Vec<runtime::Tensor> {
    let want = runtime::run(program, inputs).unwrap_or_else(|e| panic!("run: {e}"));
    let (proof, proven) = air::prove(program, inputs, air::Preset::Fast, air::HashKind::Blake3)
        .unwrap_or_else(|e| panic!("prove: {e}"));
    assert_eq!(proven, want, "the proof's run differs from the runtime's");
    let data: Vec<Vec<i64>> = want.iter().map(|t| t.data.clone()).collect();
    assert_eq!(proof.outputs, data, "the proof does not carry the runtime's outputs");
    air::verify(program, &proof).unwrap_or_else(|e| panic!("verify: {e}"));
    let mut bad = proof.clone();
    tamper(&mut bad.outputs);
    assert_ne!(bad.outputs, proof.outputs, "the tamper changed nothing");
    let verdict = air::verify(program, &bad);
    assert!(matches!(verdict, Err(air::VerifyError::Stark(_))), "{verdict:?}");
    proven
}

/// Accuracy of a program on a model's 20 test samples against onnxruntime's float outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Accuracy {
    /// Samples whose argmax equals the float argmax.
    pub argmax_agree: usize,
    /// Samples evaluated.
    pub samples: usize,
    /// Largest absolute difference of any output value.
    pub max_abs_err: f64,
}

/// One benchmark model, compiled for a test.
pub struct ModelCase {
    /// The model's data files.
    pub fixture: models::Fixture,
    /// The compiled program.
    pub program: Program,
}

pub use runtime::shape::argmax;

/// Deterministic pseudo-random bytes (xorshift64) for malformed-input tests.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

impl ModelCase {
    /// Compiles model `name` with its calibration file (automatic scale).
    ///
    /// # Panics
    /// When the model does not load or compile: this is a test harness.
    #[allow(clippy::expect_used)]
    pub fn new(name: &str) -> ModelCase {
        Self::with_options(name, None)
    }

    /// Compiles model `name` with its calibration file and the given scale.
    ///
    /// # Panics
    /// When the model does not load or compile.
    #[allow(clippy::expect_used)]
    pub fn with_scale(name: &str, scale: u8) -> ModelCase {
        Self::with_options(name, Some(scale))
    }

    #[allow(clippy::expect_used)]
    fn with_options(name: &str, scale: Option<u8>) -> ModelCase {
        let fixture = models::Fixture::load(name).expect("fixture loads");
        let calib = std::fs::read_to_string(&fixture.calib).expect("calibration file");
        let opts = TranspileOptions {
            scale,
            calibration: Some(Calibration::from_json(&calib).expect("calibration parses")),
            name: Some(name.to_string()),
            ..TranspileOptions::default()
        };
        let program =
            transpile(&fixture.onnx_bytes().expect("onnx"), &opts).expect("model compiles");
        ModelCase { fixture, program }
    }

    /// Activation scale of the program (scale of its first input).
    pub fn scale(&self) -> u8 {
        self.program.inputs.first().and_then(|i| self.program.tensor(*i)).map_or(0, |t| t.scale)
    }

    /// Proves the canonical input with `preset` and `hash`; returns the proof and the
    /// runtime's outputs.
    ///
    /// # Panics
    /// When proving fails.
    #[allow(clippy::expect_used)]
    pub fn prove(
        &self,
        preset: air::Preset,
        hash: air::HashKind,
    ) -> (air::RunProof, Vec<runtime::Tensor>) {
        air::prove(&self.program, std::slice::from_ref(&self.fixture.input.data), preset, hash)
            .expect("proves")
    }

    /// The canonical input run by the runtime: the quantised inputs and outputs a proof of
    /// it carries (integers at their tensors' scales).
    ///
    /// # Panics
    /// When the run fails.
    #[allow(clippy::expect_used)]
    pub fn quantised_run(&self) -> (Vec<Vec<i64>>, Vec<Vec<i64>>) {
        let (outs, witness) =
            runtime::run_traced(&self.program, std::slice::from_ref(&self.fixture.input.data))
                .expect("the canonical input runs");
        let inputs =
            self.program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
        (inputs, outs.into_iter().map(|t| t.data).collect())
    }

    /// Runs the 20 test samples and compares with the float reference.
    ///
    /// # Panics
    /// When a sample fails to run.
    #[allow(clippy::expect_used)]
    pub fn accuracy(&self) -> Accuracy {
        let ts = &self.fixture.testset;
        let mut acc = Accuracy { argmax_agree: 0, samples: 0, max_abs_err: 0.0 };
        for (x, want) in ts.inputs.iter().zip(&ts.expected) {
            let out = runtime::run(&self.program, std::slice::from_ref(x)).expect("sample runs");
            let got = out[0].to_f64();
            assert_eq!(got.len(), want.len(), "output length");
            for (g, w) in got.iter().zip(want) {
                acc.max_abs_err = acc.max_abs_err.max((g - w).abs());
            }
            acc.argmax_agree += usize::from(argmax(&got) == argmax(want));
            acc.samples += 1;
        }
        acc
    }
}
