//! Verifying proofs.

use air::{RunProof, VerifyReport};
use runtime::dataset::{score, test_set_digest, Score};
use runtime::{Program, ProgramDigest};

use crate::outputs::{named_outputs, tensors, NamedOutput};
use crate::{predicted_classes, Error};

/// What a verifier requires beyond a valid proof.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Refuse proofs with fewer bits of conjectured security (0: any preset; the presets
    /// give 95 for `fast`, 96 for `96`, 128 for `128`).
    pub min_bits: u32,
    /// For an evaluation program: the published test set's program inputs (as
    /// `transpiler::TestSet::program_inputs` gives them); the proof must carry exactly
    /// this test set, as the program quantises it.
    pub test_set: Option<Vec<Vec<f64>>>,
}

/// A verified proof and what it proves.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The program, decoded from the verifier's bytes.
    pub program: Program,
    /// The proof.
    pub proof: RunProof,
    /// Security and trace length.
    pub report: VerifyReport,
    /// The proven outputs, named and dequantised.
    pub outputs: Vec<NamedOutput>,
    /// The predicted class of each sample (see [`predicted_classes`]).
    pub classes: Vec<i64>,
    /// For an evaluation program, the proven score.
    pub score: Option<Score>,
    /// Digest of the proof's quantised inputs with names and shapes (the test set of an
    /// evaluation program).
    pub test_set: ProgramDigest,
}

/// Verifies proof bytes against program bytes (the verifier's own copy of the model).
///
/// # Errors
/// [`Error::Program`] when the program bytes are not a valid program (reported before any
/// proof error), [`Error::Verify`] naming the failed check when the proof is invalid or
/// below `min_bits`, [`Error::OtherTestSet`] when a test set is given and the proof carries
/// another, [`Error::Input`] when that test set does not fit the program.
pub fn verify(
    program_bytes: &[u8],
    proof_bytes: &[u8],
    opts: &VerifyOptions,
) -> Result<Verified, Error> {
    let verdict = RunProof::from_bytes(proof_bytes).and_then(|proof| {
        air::verify_encoded(program_bytes, &proof, opts.min_bits)
            .map(|(program, report)| (program, proof, report))
    });
    let (program, proof, report) = match verdict {
        Ok(v) => v,
        Err(e) => {
            Program::from_bytes(program_bytes).map_err(Error::Program)?;
            return Err(Error::Verify(e));
        }
    };
    let test_set = test_set_digest(&program, &proof.inputs);
    if let Some(given) = &opts.test_set {
        let q = runtime::quantize_inputs(&program, given).map_err(Error::from_run)?;
        let given = test_set_digest(&program, &q);
        if given != test_set {
            return Err(Error::OtherTestSet { proven: test_set, given });
        }
    }
    let outputs = named_outputs(&program, &proof.outputs);
    let classes = predicted_classes(&program, &tensors(&program, &proof.outputs));
    let score = score(&program, &proof.outputs);
    Ok(Verified { program, proof, report, outputs, classes, score, test_set })
}
