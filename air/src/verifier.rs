//! Verification: rebuild the schedule from the verifier's own program, check the public data
//! and the proof's shape and options, then run the STARK verifier.

use std::sync::Arc;

use runtime::{Program, TensorKind};
use winterfell::crypto::{DefaultRandomCoin, ElementHasher, MerkleTree};
use winterfell::AcceptableOptions;

use crate::air::{ModelAir, PublicInputs, VerifyingKey};
use crate::error::VerifyError;
use crate::field::Felt;
use crate::hash::Blake2s256Hasher;
use crate::layout::{aux, main};
use crate::options::HashKind;
use crate::proof_file::RunProof;
use crate::schedule::Schedule;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Conjectured security in bits.
    pub conjectured_bits: u32,
    /// Proven security in bits (list-decoding regime).
    pub proven_bits: u32,
    /// Trace length of the proof.
    pub trace_len: usize,
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies `proof` against `program`.
///
/// # Errors
/// The [`VerifyError`] naming the failed check: program digest, public data (counts,
/// lengths, input ranges), trace shape, options, or the STARK itself.
pub fn verify(program: &Program, proof: &RunProof) -> Result<VerifyReport, VerifyError> {
    let key = prepare(program)?;
    verify_with_key(program, &key, proof)
}

/// Derives the verifying key of `program` (schedule and periodic polynomials).
///
/// # Errors
/// [`VerifyError::Schedule`] when the program has no AIR schedule.
pub fn prepare(program: &Program) -> Result<VerifyingKey, VerifyError> {
    let schedule =
        Arc::new(Schedule::new(program).map_err(|e| VerifyError::Schedule(e.to_string()))?);
    Ok(VerifyingKey::from_schedule(schedule))
}

/// Verifies `proof` with a key prepared by [`prepare`] for the same `program`.
///
/// # Errors
/// As [`verify`].
pub fn verify_with_key(
    program: &Program,
    key: &VerifyingKey,
    proof: &RunProof,
) -> Result<VerifyReport, VerifyError> {
    let digest = key.schedule.digest;
    if digest.0 != proof.digest {
        return Err(VerifyError::WrongProgram {
            proof: hex(&proof.digest),
            program: digest.to_string(),
        });
    }
    let schedule = key.schedule.clone();
    check_public(program, &schedule, proof)?;
    let info = proof.proof.trace_info();
    let shape =
        |len: usize, m: usize, a: usize| format!("{len} rows x ({m} main + {a} aux) columns");
    let expected = shape(schedule.len, main::WIDTH, aux::WIDTH);
    let got = shape(info.length(), info.main_trace_width(), info.aux_segment_width());
    if expected != got || info.meta() != digest.0 {
        return Err(VerifyError::TraceShape { expected, got });
    }
    let options = proof.preset.options();
    if *proof.proof.options() != options {
        return Err(VerifyError::Options(format!(
            "the file claims preset '{}' but the proof's options differ",
            proof.preset.name()
        )));
    }
    let public = PublicInputs::with_key(key, proof.inputs.clone(), proof.outputs.clone());
    let acceptable = AcceptableOptions::OptionSet(vec![options]);
    let (conjectured_bits, proven_bits) = match proof.hash {
        HashKind::Blake3 => {
            stark::<winterfell::crypto::hashers::Blake3_256<Felt>>(proof, public, &acceptable)?
        }
        HashKind::Blake2s => stark::<Blake2s256Hasher<Felt>>(proof, public, &acceptable)?,
    };
    Ok(VerifyReport { conjectured_bits, proven_bits, trace_len: schedule.len })
}

fn stark<H: ElementHasher<BaseField = Felt> + Sync>(
    proof: &RunProof,
    public: PublicInputs,
    acceptable: &AcceptableOptions,
) -> Result<(u32, u32), VerifyError> {
    let conjectured = proof.proof.conjectured_security::<H>().bits();
    let proven = proof.proof.proven_security::<H>().ldr_bits();
    winterfell::verify::<ModelAir, H, DefaultRandomCoin<H>, MerkleTree<H>>(
        proof.proof.clone(),
        public,
        acceptable,
    )
    .map_err(|e| VerifyError::Stark(e.to_string()))?;
    Ok((conjectured, proven))
}

fn check_public(
    program: &Program,
    schedule: &Schedule,
    proof: &RunProof,
) -> Result<(), VerifyError> {
    let bad = |what: &'static str, reason: String| VerifyError::PublicData { what, reason };
    if proof.inputs.len() != program.inputs.len() {
        return Err(bad(
            "inputs",
            format!("{} tensors, the program takes {}", proof.inputs.len(), program.inputs.len()),
        ));
    }
    for (k, (vals, id)) in proof.inputs.iter().zip(&program.inputs).enumerate() {
        let t = &program.tensors[id.0 as usize];
        if vals.len() != schedule.inputs[k].len() {
            return Err(bad(
                "inputs",
                format!(
                    "input '{}' has {} values, shape {:?} needs {}",
                    t.name,
                    vals.len(),
                    t.shape,
                    schedule.inputs[k].len()
                ),
            ));
        }
        if let Some((i, v)) = vals.iter().enumerate().find(|(_, v)| v.unsigned_abs() > t.bound) {
            return Err(bad(
                "inputs",
                format!(
                    "input '{}' value #{i} = {v} is beyond its declared range (|x| <= {})",
                    t.name, t.bound
                ),
            ));
        }
        debug_assert!(matches!(t.kind, TensorKind::Input { .. }));
    }
    if proof.outputs.len() != program.outputs.len() {
        return Err(bad(
            "outputs",
            format!("{} tensors, the program has {}", proof.outputs.len(), program.outputs.len()),
        ));
    }
    for (k, vals) in proof.outputs.iter().enumerate() {
        if vals.len() != schedule.outputs[k].len() {
            return Err(bad(
                "outputs",
                format!(
                    "output #{k} has {} values, expected {}",
                    vals.len(),
                    schedule.outputs[k].len()
                ),
            ));
        }
    }
    Ok(())
}
