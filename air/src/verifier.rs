//! Verification: rebuild the schedule from the verifier's own program, check the public data
//! and the proof's shape and options, then run the STARK verifier.

use std::sync::Arc;

use runtime::fixed_point::quantize;
use runtime::Program;
use winterfell::crypto::{DefaultRandomCoin, ElementHasher, MerkleTree};
use winterfell::AcceptableOptions;

use crate::air::{ModelAir, PublicInputs, VerifyingKey};
use crate::error::VerifyError;
use crate::field::Felt;
use crate::hash::{Blake2s256Hasher, Blake3Hasher};
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

/// Verifies `proof` against `program`, accepting any preset's security.
///
/// # Errors
/// The [`VerifyError`] naming the failed check: program digest, public data (counts,
/// lengths, input ranges), trace shape, proof shape, options, or the STARK itself.
pub fn verify(program: &Program, proof: &RunProof) -> Result<VerifyReport, VerifyError> {
    verify_min_bits(program, proof, 0)
}

/// Verifies `proof` against `program` and requires at least `min_bits` of conjectured
/// security (the figure Winterfell computes from the proof's options and trace length; the
/// presets give 95 to 128).
///
/// # Errors
/// As [`verify`], and [`VerifyError::Security`] below `min_bits` (checked before the STARK).
pub fn verify_min_bits(
    program: &Program,
    proof: &RunProof,
    min_bits: u32,
) -> Result<VerifyReport, VerifyError> {
    // The digest (an encoding of every weight) and the schedule on two threads; the digest
    // comparison is reported first, so a proof for another program fails as such.
    let (digest, schedule) = rayon::join(
        || program.digest(),
        || Schedule::with_digest(program, runtime::ProgramDigest([0; 32])),
    );
    check_digest(&digest.0, proof)?;
    let mut schedule = schedule.map_err(|e| VerifyError::Schedule(e.to_string()))?;
    schedule.digest = digest;
    let key = VerifyingKey::from_schedule(Arc::new(schedule));
    verify_keyed(&key, proof, min_bits)
}

/// Verifies `proof` against the program encoded in `program_bytes` (a program file), with at
/// least `min_bits` of conjectured security; returns the decoded program with the report.
///
/// Cheaper than decoding the file and calling [`verify_min_bits`]: the program's digest is
/// Blake3 over its canonical encoding, and every file starkml writes is that encoding, so the
/// digest is the hash of the bytes (no re-encoding of the weights), and the program is
/// validated once (by decoding). Sound for any bytes: if the hash of the bytes equals the
/// proof's digest, the bytes are (Blake3 being collision resistant) the canonical encoding of
/// the proof's program, and decoding them gives that program. A file that decodes but is not
/// canonical falls back to re-encoding.
///
/// # Errors
/// [`VerifyError::Program`] when the bytes are not a valid program; otherwise as
/// [`verify_min_bits`].
pub fn verify_encoded(
    program_bytes: &[u8],
    proof: &RunProof,
    min_bits: u32,
) -> Result<(Program, VerifyReport), VerifyError> {
    // Decoding is sequential; hash the bytes on another thread meanwhile.
    let (program, hashed) = rayon::join(
        || Program::from_bytes(program_bytes),
        || *blake3::hash(program_bytes).as_bytes(),
    );
    let program = program.map_err(|e| VerifyError::Program(e.to_string()))?;
    let digest =
        if hashed == proof.digest { runtime::ProgramDigest(hashed) } else { program.digest() };
    check_digest(&digest.0, proof)?;
    // `from_bytes` validated the program.
    let schedule =
        Schedule::of_valid(&program, digest).map_err(|e| VerifyError::Schedule(e.to_string()))?;
    let key = VerifyingKey::from_schedule(Arc::new(schedule));
    let report = verify_keyed(&key, proof, min_bits)?;
    Ok((program, report))
}

fn check_digest(digest: &[u8; 32], proof: &RunProof) -> Result<(), VerifyError> {
    if *digest != proof.digest {
        return Err(VerifyError::WrongProgram { proof: hex(&proof.digest), program: hex(digest) });
    }
    Ok(())
}

/// Derives the verifying key of `program` (schedule and periodic polynomials).
///
/// # Errors
/// [`VerifyError::Schedule`] when the program has no AIR schedule.
pub fn prepare(program: &Program) -> Result<VerifyingKey, VerifyError> {
    prepare_with_digest(program, program.digest())
}

fn prepare_with_digest(
    program: &Program,
    digest: runtime::ProgramDigest,
) -> Result<VerifyingKey, VerifyError> {
    let schedule =
        Schedule::with_digest(program, digest).map_err(|e| VerifyError::Schedule(e.to_string()))?;
    Ok(VerifyingKey::from_schedule(Arc::new(schedule)))
}

/// Verifies `proof` with a key prepared by [`prepare`]: the key holds everything the
/// verifier needs of the program (digest, schedule, input ranges), so the program itself is
/// neither needed nor hashed again. A proof for another program is refused by digest.
///
/// # Errors
/// As [`verify`].
pub fn verify_with_key(key: &VerifyingKey, proof: &RunProof) -> Result<VerifyReport, VerifyError> {
    verify_with_key_min_bits(key, proof, 0)
}

/// [`verify_with_key`] that requires at least `min_bits` of conjectured security.
///
/// # Errors
/// As [`verify_with_key`], and [`VerifyError::Security`] below `min_bits`.
pub fn verify_with_key_min_bits(
    key: &VerifyingKey,
    proof: &RunProof,
    min_bits: u32,
) -> Result<VerifyReport, VerifyError> {
    verify_keyed(key, proof, min_bits)
}

/// The checks after the key.
fn verify_keyed(
    key: &VerifyingKey,
    proof: &RunProof,
    min_bits: u32,
) -> Result<VerifyReport, VerifyError> {
    let digest = key.schedule.digest;
    check_digest(&digest.0, proof)?;
    let schedule = key.schedule.clone();
    check_public(&schedule, proof)?;
    let info = proof.proof.trace_info();
    let shape =
        |len: usize, m: usize, a: usize| format!("{len} rows x ({m} main + {a} aux) columns");
    let expected = shape(schedule.len, main::WIDTH, aux::WIDTH);
    let got = shape(info.length(), info.main_trace_width(), info.aux_segment_width());
    if expected != got || info.meta() != digest.0 {
        // Same shape: the trace was committed for another program (its digest is the trace
        // metadata, bound into the Fiat-Shamir transcript).
        let got = if expected == got { format!("{got} of another program") } else { got };
        return Err(VerifyError::TraceShape { expected, got });
    }
    let options = proof.preset.options();
    if *proof.proof.options() != options {
        return Err(VerifyError::Options(format!(
            "the file claims preset '{}' but the proof's options differ",
            proof.preset.name()
        )));
    }
    crate::proof_shape::check(&proof.proof, &options).map_err(VerifyError::ProofShape)?;
    let (conjectured_bits, proven_bits) = crate::security(proof);
    if conjectured_bits < min_bits {
        return Err(VerifyError::Security { bits: conjectured_bits, min: min_bits });
    }
    let public = PublicInputs::with_key(key, proof.inputs.clone(), proof.outputs.clone());
    let acceptable = AcceptableOptions::OptionSet(vec![options]);
    match proof.hash {
        HashKind::Blake3 => stark::<Blake3Hasher<Felt>>(proof, public, &acceptable)?,
        HashKind::Blake2s => stark::<Blake2s256Hasher<Felt>>(proof, public, &acceptable)?,
    }
    Ok(VerifyReport { conjectured_bits, proven_bits, trace_len: schedule.len })
}

fn stark<H: ElementHasher<BaseField = Felt> + Sync>(
    proof: &RunProof,
    public: PublicInputs,
    acceptable: &AcceptableOptions,
) -> Result<(), VerifyError> {
    crate::quiet::catch_quietly(|| {
        winterfell::verify::<ModelAir, H, DefaultRandomCoin<H>, MerkleTree<H>>(
            proof.proof.clone(),
            public,
            acceptable,
        )
    })
    .map_err(VerifyError::VerifierBug)?
    .map_err(|e| VerifyError::Stark(e.to_string()))
}

fn check_public(schedule: &Schedule, proof: &RunProof) -> Result<(), VerifyError> {
    let bad = |what: &'static str, reason: String| VerifyError::PublicData { what, reason };
    if proof.inputs.len() != schedule.input_meta.len() {
        return Err(bad(
            "inputs",
            format!(
                "{} tensors, the program takes {}",
                proof.inputs.len(),
                schedule.input_meta.len()
            ),
        ));
    }
    for (k, (vals, t)) in proof.inputs.iter().zip(&schedule.input_meta).enumerate() {
        let want = schedule.inputs.get(k).map_or(0, Vec::len);
        if vals.len() != want {
            return Err(bad(
                "inputs",
                format!(
                    "input '{}' has {} values, shape {:?} needs {want}",
                    t.name,
                    vals.len(),
                    t.shape
                ),
            ));
        }
        // The declared real range [lo, hi], quantised as the runtime quantises real inputs:
        // `quantize` is monotonic, so a real input in range lands in [q(lo), q(hi)].
        let Some((lo, hi)) = t.range else {
            return Err(bad("inputs", format!("tensor '{}' is not an input", t.name)));
        };
        let (Some(qlo), Some(qhi)) = (quantize(lo, t.scale), quantize(hi, t.scale)) else {
            return Err(bad("inputs", format!("input '{}' has no quantised range", t.name)));
        };
        // The static bound is max(|q(lo)|, |q(hi)|), so this also keeps |x| within it.
        if let Some((i, v)) = vals.iter().enumerate().find(|(_, v)| !(qlo..=qhi).contains(*v)) {
            return Err(bad(
                "inputs",
                format!(
                    "input '{}' value #{i} = {v} is outside its declared range [{lo}, {hi}] \
                     (quantised [{qlo}, {qhi}] at scale {})",
                    t.name, t.scale
                ),
            ));
        }
    }
    if proof.outputs.len() != schedule.outputs.len() {
        return Err(bad(
            "outputs",
            format!("{} tensors, the program has {}", proof.outputs.len(), schedule.outputs.len()),
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
