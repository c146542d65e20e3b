//! Proving runs.

use air::{HashKind, Preset, RunProof, Stage};
use runtime::{Program, Tensor};

use crate::Error;

/// How to prove: the security preset and the commitment hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProveOptions {
    /// Security preset (default `96`: quadratic extension, blowup 8, 27 queries, 16 grinding
    /// bits; see [`Preset`]).
    pub preset: Preset,
    /// Commitment hash (default Blake3; Blake2s is cheaper to verify in Cairo).
    pub hash: HashKind,
}

impl Default for ProveOptions {
    fn default() -> Self {
        ProveOptions { preset: Preset::Bits96, hash: HashKind::Blake3 }
    }
}

impl ProveOptions {
    /// Options from their names: security `96`, `fast` or `128`; hash `blake3` or `blake2s`.
    ///
    /// # Errors
    /// [`Error::Option`] naming the unknown value.
    pub fn parse(security: &str, hash: &str) -> Result<ProveOptions, Error> {
        let preset = Preset::parse(security).ok_or_else(|| Error::Option {
            option: "security preset",
            value: security.to_string(),
            accepted: "96, fast, 128",
        })?;
        let hash = HashKind::parse(hash).ok_or_else(|| Error::Option {
            option: "hash",
            value: hash.to_string(),
            accepted: "blake3, blake2s",
        })?;
        Ok(ProveOptions { preset, hash })
    }
}

/// A proof and what the run computed.
#[derive(Debug, Clone)]
pub struct Proved {
    /// The proof (write it with [`RunProof::to_bytes`]).
    pub proof: RunProof,
    /// The run's outputs (fixed point), equal to those the proof carries.
    pub outputs: Vec<Tensor>,
    /// Conjectured security of the proof, in bits.
    pub conjectured_bits: u32,
    /// Proven (list-decoding) security of the proof, in bits.
    pub proven_bits: u32,
}

/// Runs `program` on `inputs` (real values, one flat row-major list per program input) and
/// proves the run, calling `on_stage` as each stage starts.
///
/// # Errors
/// [`Error::Input`] when the inputs do not fit (count, shape, declared range),
/// [`Error::Run`] when the run fails, [`Error::Prove`] when the AIR cannot prove the program
/// (listing its unsupported ops) or the machine lacks the memory.
pub fn prove(
    program: &Program,
    inputs: &[Vec<f64>],
    opts: &ProveOptions,
    on_stage: &mut dyn FnMut(Stage),
) -> Result<Proved, Error> {
    let (proof, outputs) = air::prove_observed(program, inputs, opts.preset, opts.hash, on_stage)?;
    let (conjectured_bits, proven_bits) = air::security(&proof);
    Ok(Proved { proof, outputs, conjectured_bits, proven_bits })
}
