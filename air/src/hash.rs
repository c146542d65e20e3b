//! The Winterfell hashers of the commitments: BLAKE3-256 and BLAKE2s-256 (Winterfell ships
//! BLAKE3 and SHA3). Both hash a row of field elements as one message of their canonical
//! little-endian bytes; [`Blake3Hasher`] gives exactly the digests of Winterfell's
//! `Blake3_256`, which feeds a Goldilocks row to BLAKE3 eight bytes per call (a fifth of the
//! time of a large proof went into that), so proofs are the same bytes either way.

use std::marker::PhantomData;

use blake2::{Blake2s256, Digest as _};
use winter_utils::{ByteReader, ByteWriter, Deserializable, DeserializationError, Serializable};
use winterfell::crypto::{Digest, ElementHasher, Hasher};
use winterfell::math::{FieldElement, StarkField};

/// A 32-byte digest (Winterfell keeps its own byte digest type private).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ByteDigest([u8; 32]);

impl ByteDigest {
    fn new(b: [u8; 32]) -> Self {
        ByteDigest(b)
    }

    fn concat(values: &[ByteDigest]) -> Vec<u8> {
        values.iter().flat_map(|d| d.0).collect()
    }
}

impl Digest for ByteDigest {
    fn as_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl Serializable for ByteDigest {
    fn write_into<W: ByteWriter>(&self, target: &mut W) {
        target.write_bytes(&self.0);
    }
}

impl Deserializable for ByteDigest {
    fn read_from<R: ByteReader>(source: &mut R) -> Result<Self, DeserializationError> {
        Ok(ByteDigest(source.read_array()?))
    }
}

/// BLAKE2s with 256-bit output over field `B`.
#[derive(Debug)]
pub struct Blake2s256Hasher<B: StarkField>(PhantomData<B>);

fn digest(bytes: &[u8]) -> ByteDigest {
    ByteDigest::new(Blake2s256::digest(bytes).into())
}

impl<B: StarkField> Hasher for Blake2s256Hasher<B> {
    type Digest = ByteDigest;
    const COLLISION_RESISTANCE: u32 = 128;

    fn hash(bytes: &[u8]) -> Self::Digest {
        digest(bytes)
    }

    fn merge(values: &[Self::Digest; 2]) -> Self::Digest {
        digest(&ByteDigest::concat(values))
    }

    fn merge_many(values: &[Self::Digest]) -> Self::Digest {
        digest(&ByteDigest::concat(values))
    }

    fn merge_with_int(seed: Self::Digest, value: u64) -> Self::Digest {
        let mut data = [0u8; 40];
        data[..32].copy_from_slice(&seed.0);
        data[32..].copy_from_slice(&value.to_le_bytes());
        digest(&data)
    }
}

/// `f` of the canonical bytes of `elements` (each base element's integer, little-endian, in
/// order: what Winterfell's serialisation writes), serialised into one buffer first.
fn with_canonical_bytes<B: StarkField, E: FieldElement<BaseField = B>>(
    elements: &[E],
    f: impl FnOnce(&[u8]) -> ByteDigest,
) -> ByteDigest {
    if B::IS_CANONICAL {
        return f(E::elements_as_bytes(elements));
    }
    let mut buf: Vec<u8> = Vec::with_capacity(std::mem::size_of_val(elements));
    buf.write_many(elements);
    f(&buf)
}

impl<B: StarkField> ElementHasher for Blake2s256Hasher<B> {
    type BaseField = B;

    fn hash_elements<E: FieldElement<BaseField = B>>(elements: &[E]) -> Self::Digest {
        with_canonical_bytes(elements, digest)
    }
}

/// BLAKE3 with 256-bit output over field `B`: the digests of Winterfell's `Blake3_256`.
#[derive(Debug)]
pub struct Blake3Hasher<B: StarkField>(PhantomData<B>);

fn blake3_digest(bytes: &[u8]) -> ByteDigest {
    ByteDigest::new(*blake3::hash(bytes).as_bytes())
}

impl<B: StarkField> Hasher for Blake3Hasher<B> {
    type Digest = ByteDigest;
    const COLLISION_RESISTANCE: u32 = 128;

    fn hash(bytes: &[u8]) -> Self::Digest {
        blake3_digest(bytes)
    }

    fn merge(values: &[Self::Digest; 2]) -> Self::Digest {
        let mut data = [0u8; 64];
        data[..32].copy_from_slice(&values[0].0);
        data[32..].copy_from_slice(&values[1].0);
        blake3_digest(&data)
    }

    fn merge_many(values: &[Self::Digest]) -> Self::Digest {
        blake3_digest(&ByteDigest::concat(values))
    }

    fn merge_with_int(seed: Self::Digest, value: u64) -> Self::Digest {
        let mut data = [0u8; 40];
        data[..32].copy_from_slice(&seed.0);
        data[32..].copy_from_slice(&value.to_le_bytes());
        blake3_digest(&data)
    }
}

impl<B: StarkField> ElementHasher for Blake3Hasher<B> {
    type BaseField = B;

    fn hash_elements<E: FieldElement<BaseField = B>>(elements: &[E]) -> Self::Digest {
        with_canonical_bytes(elements, blake3_digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Felt;
    use winterfell::crypto::hashers::Blake3_256;
    use winterfell::math::fields::QuadExtension;

    type E2 = QuadExtension<Felt>;

    #[test]
    fn blake3_digests_equal_winterfells() {
        let base: Vec<Felt> =
            (0..37u64).map(|i| Felt::new(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))).collect();
        let ext: Vec<E2> =
            base.chunks(2).map(|c| E2::new(c[0], c.get(1).copied().unwrap_or(Felt::ONE))).collect();
        let ours = |d: ByteDigest| d.as_bytes();
        assert_eq!(
            ours(Blake3Hasher::hash_elements(&base)),
            Blake3_256::hash_elements(&base).as_bytes()
        );
        assert_eq!(
            ours(Blake3Hasher::hash_elements(&ext)),
            Blake3_256::hash_elements(&ext).as_bytes()
        );
        assert_eq!(
            ours(Blake3Hasher::<Felt>::hash(b"abc")),
            Blake3_256::<Felt>::hash(b"abc").as_bytes()
        );
        let (a, b) = (Blake3_256::<Felt>::hash(b"a"), Blake3_256::<Felt>::hash(b"b"));
        let (x, y) = (Blake3Hasher::<Felt>::hash(b"a"), Blake3Hasher::<Felt>::hash(b"b"));
        assert_eq!(
            ours(Blake3Hasher::<Felt>::merge(&[x, y])),
            Blake3_256::<Felt>::merge(&[a, b]).as_bytes()
        );
        assert_eq!(
            ours(Blake3Hasher::<Felt>::merge_many(&[x, y, x])),
            Blake3_256::<Felt>::merge_many(&[a, b, a]).as_bytes()
        );
        assert_eq!(
            ours(Blake3Hasher::<Felt>::merge_with_int(x, 77)),
            Blake3_256::<Felt>::merge_with_int(a, 77).as_bytes()
        );
    }
}
