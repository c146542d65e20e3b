//! BLAKE2s-256 as a Winterfell hasher (Winterfell ships BLAKE3 and SHA3 only).

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

struct Writer(Blake2s256);

impl ByteWriter for Writer {
    fn write_u8(&mut self, value: u8) {
        self.0.update([value]);
    }

    fn write_bytes(&mut self, values: &[u8]) {
        self.0.update(values);
    }
}

impl<B: StarkField> ElementHasher for Blake2s256Hasher<B> {
    type BaseField = B;

    fn hash_elements<E: FieldElement<BaseField = B>>(elements: &[E]) -> Self::Digest {
        if B::IS_CANONICAL {
            digest(E::elements_as_bytes(elements))
        } else {
            let mut w = Writer(Blake2s256::new());
            w.write_many(elements);
            ByteDigest::new(w.0.finalize().into())
        }
    }
}
