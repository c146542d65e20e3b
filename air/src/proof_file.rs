//! The proof file: a versioned envelope around a Winterfell proof with its public data.
//!
//! Layout (little-endian): `b"STKP"`, `u16` version, `u8` hash id, `u8` preset id, 32-byte
//! program digest, inputs and outputs (each: `u32` tensor count, then per tensor `u32` length
//! and that many `i64`), `u32` proof length and the Winterfell proof bytes.

use winterfell::Proof;

use crate::error::VerifyError;
use crate::options::{HashKind, Preset};

/// Magic bytes of proof files.
pub const PROOF_MAGIC: &[u8; 4] = b"STKP";
/// Format version written and read by this build.
pub const PROOF_VERSION: u16 = 1;
/// Largest number of values in the public tensors of a proof file.
const MAX_PUBLIC_VALUES: usize = 1 << 24;

/// A proof of one program run, with its public data.
#[derive(Debug, Clone)]
pub struct RunProof {
    /// Hash used by the proof.
    pub hash: HashKind,
    /// Option preset of the proof.
    pub preset: Preset,
    /// Digest of the proven program.
    pub digest: [u8; 32],
    /// Quantised inputs (integers at the input scales), per program input.
    pub inputs: Vec<Vec<i64>>,
    /// Outputs (integers at the output scales), per program output.
    pub outputs: Vec<Vec<i64>>,
    /// The STARK proof.
    pub proof: Proof,
}

fn put_tensors(out: &mut Vec<u8>, ts: &[Vec<i64>]) {
    out.extend_from_slice(&(ts.len() as u32).to_le_bytes());
    for t in ts {
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        for v in t {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], VerifyError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| {
            VerifyError::Malformed(format!("truncated in {what} at byte {}", self.pos))
        })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32, VerifyError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn tensors(&mut self, what: &str) -> Result<Vec<Vec<i64>>, VerifyError> {
        let count = self.u32(what)? as usize;
        let mut total = 0usize;
        let mut out = Vec::new();
        for _ in 0..count.min(1 << 16) {
            let len = self.u32(what)? as usize;
            total += len;
            if total > MAX_PUBLIC_VALUES {
                return Err(VerifyError::Malformed(format!("{what}: too many values")));
            }
            let bytes = self.take(len * 8, what)?;
            out.push(
                bytes
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            );
        }
        if out.len() != count {
            return Err(VerifyError::Malformed(format!("{what}: {count} tensors")));
        }
        Ok(out)
    }
}

impl RunProof {
    /// Serialises the proof file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(PROOF_MAGIC);
        out.extend_from_slice(&PROOF_VERSION.to_le_bytes());
        out.push(self.hash.id());
        out.push(self.preset.id());
        out.extend_from_slice(&self.digest);
        put_tensors(&mut out, &self.inputs);
        put_tensors(&mut out, &self.outputs);
        let proof = self.proof.to_bytes();
        out.extend_from_slice(&(proof.len() as u32).to_le_bytes());
        out.extend_from_slice(&proof);
        out
    }

    /// Parses a proof file. Counts are checked against the bytes left before anything is
    /// allocated.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] naming the field that does not parse;
    /// [`VerifyError::ProofShape`] when the proof's context (trace widths, random elements,
    /// length, options) is not one of this AIR's under the file's preset;
    /// [`VerifyError::VerifierBug`] if Winterfell's deserializer panicked (caught silently).
    pub fn from_bytes(bytes: &[u8]) -> Result<RunProof, VerifyError> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.take(4, "magic")? != PROOF_MAGIC {
            return Err(VerifyError::Malformed("bad magic bytes (expected \"STKP\")".into()));
        }
        let v = r.take(2, "version")?;
        let version = u16::from_le_bytes([v[0], v[1]]);
        if version != PROOF_VERSION {
            return Err(VerifyError::Malformed(format!(
                "version {version} is not supported (this build reads {PROOF_VERSION})"
            )));
        }
        let hash = HashKind::from_id(r.take(1, "hash")?[0])
            .ok_or_else(|| VerifyError::Malformed("unknown hash id".into()))?;
        let preset = Preset::from_id(r.take(1, "preset")?[0])
            .ok_or_else(|| VerifyError::Malformed("unknown preset id".into()))?;
        let mut digest = [0u8; 32];
        digest.copy_from_slice(r.take(32, "digest")?);
        let inputs = r.tensors("inputs")?;
        let outputs = r.tensors("outputs")?;
        let len = r.u32("proof length")? as usize;
        let proof_bytes = r.take(len, "proof")?;
        if r.pos != bytes.len() {
            return Err(VerifyError::Malformed(format!("{} trailing bytes", bytes.len() - r.pos)));
        }
        let proof = crate::reader::read_proof(proof_bytes, &preset.options())?;
        Ok(RunProof { hash, preset, digest, inputs, outputs, proof })
    }
}
