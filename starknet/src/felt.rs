//! Signed fixed-point integers as Starknet field elements.
//!
//! A tensor value `x` (an `i64` at the tensor's scale, i.e. the real number `x / 2^scale`)
//! travels in calldata and return data as the felt `x mod p`: non-negative values are
//! themselves, negative values are `p - |x|`. This is the encoding Cairo's
//! `TryInto<felt252, i64>` and `Into<i64, felt252>` use, so generated contracts and this
//! module agree by construction.

use starknet_rust::core::types::Felt;

use crate::error::StarknetError;

/// Encodes a signed integer as a felt (`x mod p`).
pub fn encode_i64(x: i64) -> Felt {
    Felt::from(x)
}

/// Encodes a list of signed integers.
pub fn encode_all(xs: &[i64]) -> Vec<Felt> {
    xs.iter().map(|&x| encode_i64(x)).collect()
}

/// Decodes a felt that must stand for an `i64`: either below `2^63` (non-negative values) or
/// at least `p - 2^63` (negative values).
///
/// # Errors
/// [`StarknetError::FeltOutOfRange`] naming `what` for any other felt.
pub fn decode_i64(f: Felt, what: &str) -> Result<i64, StarknetError> {
    if let Ok(v) = u64::try_from(f) {
        if let Ok(v) = i64::try_from(v) {
            return Ok(v);
        }
    }
    let neg = -f;
    if let Ok(m) = u64::try_from(neg) {
        if m <= 1u64 << 63 {
            return Ok((m as i128).wrapping_neg() as i64);
        }
    }
    Err(StarknetError::FeltOutOfRange { what: what.to_string(), felt: format!("{f:#x}") })
}

/// Decodes a list of felts as `i64`s; `what` names the list in errors (with the index).
///
/// # Errors
/// [`StarknetError::FeltOutOfRange`] for the first felt outside the `i64` range.
pub fn decode_all(fs: &[Felt], what: &str) -> Result<Vec<i64>, StarknetError> {
    fs.iter().enumerate().map(|(i, &f)| decode_i64(f, &format!("{what}[{i}]"))).collect()
}

/// Serializes a felt as `0x`-prefixed hex (for `#[serde(serialize_with = ...)]`).
pub(crate) fn serialize_hex<S: serde::Serializer>(f: &Felt, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{f:#x}"))
}

/// A 32-byte digest as the two felts of a Cairo `u256` (`low`, `high`), reading the bytes as
/// one big-endian number.
pub fn digest_to_u256(d: &[u8; 32]) -> [Felt; 2] {
    let mut hi = [0u8; 32];
    let mut lo = [0u8; 32];
    hi[16..].copy_from_slice(&d[..16]);
    lo[16..].copy_from_slice(&d[16..]);
    [Felt::from_bytes_be(&lo), Felt::from_bytes_be(&hi)]
}

/// The inverse of [`digest_to_u256`].
///
/// # Errors
/// [`StarknetError::FeltOutOfRange`] when a half does not fit in 128 bits.
pub fn u256_to_digest(low: Felt, high: Felt, what: &str) -> Result<[u8; 32], StarknetError> {
    let half = |f: Felt, part: &str| {
        u128::try_from(f).map_err(|_| StarknetError::FeltOutOfRange {
            what: format!("{what}.{part}"),
            felt: format!("{f:#x}"),
        })
    };
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(&half(high, "high")?.to_be_bytes());
    out[16..].copy_from_slice(&half(low, "low")?.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_round_trip() {
        for x in [0i64, 1, -1, 255, -256, 1 << 40, -(1 << 60), i64::MAX, i64::MIN] {
            let f = encode_i64(x);
            assert_eq!(decode_i64(f, "x").ok(), Some(x), "{x}");
        }
        // Negative values are p - |x|.
        assert_eq!(encode_i64(-1), Felt::ZERO - Felt::ONE);
    }

    #[test]
    fn felts_outside_i64_are_rejected_by_name() {
        let big = Felt::from(1u128 << 63);
        let err = decode_i64(big, "output[3]").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("output[3]"), "{err}");
        let below_min = Felt::ZERO - Felt::from((1u128 << 63) + 1);
        assert!(decode_i64(below_min, "y").is_err());
        assert!(decode_all(&[Felt::ONE, big], "out").is_err());
    }

    #[test]
    fn digests_round_trip_through_u256() {
        let mut d = [0u8; 32];
        for (i, b) in d.iter_mut().enumerate() {
            *b = (i * 37 + 11) as u8;
        }
        let [lo, hi] = digest_to_u256(&d);
        assert_eq!(u256_to_digest(lo, hi, "digest").ok(), Some(d));
        assert!(
            u256_to_digest(Felt::from(1u128 << 100) * Felt::from(1u128 << 100), hi, "d").is_err()
        );
    }
}
