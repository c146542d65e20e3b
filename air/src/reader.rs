//! A byte reader for untrusted proofs: Winterfell's own readers pre-allocate whatever element
//! count the bytes announce, so a corrupted count can ask for terabytes. This one refuses
//! counts larger than the bytes left.

use winter_utils::{ByteReader, Deserializable, DeserializationError};
use winterfell::{Proof, ProofOptions};

use crate::error::VerifyError;

/// A [`ByteReader`] over untrusted bytes that never reads past the end and refuses element
/// counts larger than the bytes left.
pub(crate) struct CappedReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> CappedReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        CappedReader { bytes, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The next `len` bytes, borrowed for the reader's whole lifetime.
    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], DeserializationError> {
        if len > self.remaining() {
            return Err(DeserializationError::UnexpectedEOF);
        }
        let s = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(s)
    }
}

impl ByteReader for CappedReader<'_> {
    fn read_u8(&mut self) -> Result<u8, DeserializationError> {
        let b = *self.bytes.get(self.pos).ok_or(DeserializationError::UnexpectedEOF)?;
        self.pos += 1;
        Ok(b)
    }

    fn peek_u8(&self) -> Result<u8, DeserializationError> {
        self.bytes.get(self.pos).copied().ok_or(DeserializationError::UnexpectedEOF)
    }

    fn read_slice(&mut self, len: usize) -> Result<&[u8], DeserializationError> {
        self.take(len)
    }

    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DeserializationError> {
        let s = self.read_slice(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn check_eor(&self, num_bytes: usize) -> Result<(), DeserializationError> {
        if num_bytes > self.remaining() {
            return Err(DeserializationError::UnexpectedEOF);
        }
        Ok(())
    }

    fn has_more_bytes(&self) -> bool {
        self.pos < self.bytes.len()
    }

    fn read_many<D>(&mut self, num_elements: usize) -> Result<Vec<D>, DeserializationError>
    where
        Self: Sized,
        D: Deserializable,
    {
        // Every element of a proof takes at least one byte.
        if num_elements > self.remaining() {
            return Err(DeserializationError::InvalidValue(format!(
                "{num_elements} elements announced, {} bytes left",
                self.remaining()
            )));
        }
        let mut out = Vec::with_capacity(num_elements);
        for _ in 0..num_elements {
            out.push(D::read_from(self)?);
        }
        Ok(out)
    }
}

/// Deserialises a Winterfell proof of this AIR made with `options` from untrusted bytes.
///
/// # Errors
/// [`VerifyError::ProofShape`] when its context is not this AIR's with `options`;
/// [`VerifyError::Malformed`] when the bytes are not a proof; [`VerifyError::VerifierBug`]
/// when the deserializer panicked (caught, printed nowhere).
pub fn read_proof(bytes: &[u8], options: &ProofOptions) -> Result<Proof, VerifyError> {
    crate::proof_shape::check_header(bytes, options).map_err(VerifyError::ProofShape)?;
    let parsed = crate::quiet::catch_quietly(|| {
        let mut r = CappedReader::new(bytes);
        let proof = Proof::read_from(&mut r)?;
        if r.has_more_bytes() {
            return Err(DeserializationError::UnconsumedBytes);
        }
        Ok(proof)
    });
    match parsed {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(VerifyError::Malformed(format!("the STARK proof: {e}"))),
        Err(panic) => Err(VerifyError::VerifierBug(format!("deserializing the proof: {panic}"))),
    }
}
