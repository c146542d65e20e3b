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

/// A 256-bit hash function of bytes: what distinguishes the [`ByteHasher`]s.
pub trait HashFn {
    /// The digest of `bytes`.
    fn digest(bytes: &[u8]) -> ByteDigest;
}

/// BLAKE2s-256.
#[derive(Debug)]
pub struct Blake2sFn;

impl HashFn for Blake2sFn {
    fn digest(bytes: &[u8]) -> ByteDigest {
        ByteDigest::new(Blake2s256::digest(bytes).into())
    }
}

/// BLAKE3-256.
#[derive(Debug)]
pub struct Blake3Fn;

impl HashFn for Blake3Fn {
    fn digest(bytes: &[u8]) -> ByteDigest {
        ByteDigest::new(*blake3::hash(bytes).as_bytes())
    }
}

/// A Winterfell hasher over field `B` from a byte hash `H`: merges hash the concatenated
/// digests (and a seed with a little-endian `u64`), rows hash their canonical bytes.
#[derive(Debug)]
pub struct ByteHasher<H, B>(PhantomData<(H, B)>);

/// BLAKE2s with 256-bit output over field `B`.
pub type Blake2s256Hasher<B> = ByteHasher<Blake2sFn, B>;

/// BLAKE3 with 256-bit output over field `B`: the digests of Winterfell's `Blake3_256`.
pub type Blake3Hasher<B> = ByteHasher<Blake3Fn, B>;

impl<H: HashFn + Send + Sync, B: StarkField> Hasher for ByteHasher<H, B> {
    type Digest = ByteDigest;
    const COLLISION_RESISTANCE: u32 = 128;

    fn hash(bytes: &[u8]) -> Self::Digest {
        H::digest(bytes)
    }

    fn merge(values: &[Self::Digest; 2]) -> Self::Digest {
        let mut data = [0u8; 64];
        data[..32].copy_from_slice(&values[0].0);
        data[32..].copy_from_slice(&values[1].0);
        H::digest(&data)
    }

    fn merge_many(values: &[Self::Digest]) -> Self::Digest {
        H::digest(&ByteDigest::concat(values))
    }

    fn merge_with_int(seed: Self::Digest, value: u64) -> Self::Digest {
        let mut data = [0u8; 40];
        data[..32].copy_from_slice(&seed.0);
        data[32..].copy_from_slice(&value.to_le_bytes());
        H::digest(&data)
    }
}

impl<H: HashFn + Send + Sync, B: StarkField> ElementHasher for ByteHasher<H, B> {
    type BaseField = B;

    /// The digest of the canonical bytes of `elements` (each base element's integer,
    /// little-endian, in order: what Winterfell's serialisation writes), serialised into one
    /// buffer first.
    fn hash_elements<E: FieldElement<BaseField = B>>(elements: &[E]) -> Self::Digest {
        if B::IS_CANONICAL {
            return H::digest(E::elements_as_bytes(elements));
        }
        let mut buf: Vec<u8> = Vec::with_capacity(std::mem::size_of_val(elements));
        buf.write_many(elements);
        H::digest(&buf)
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
