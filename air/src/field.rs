//! The base field (Goldilocks, `2^64 - 2^32 + 1`) and conversions from signed integers.

pub use winterfell::math::fields::f64::BaseElement as Felt;
use winterfell::math::FieldElement;

/// The field element of a signed integer (`|v| < p`).
pub fn felt(v: i64) -> Felt {
    if v >= 0 {
        Felt::new(v as u64)
    } else {
        Felt::ZERO - Felt::new(v.unsigned_abs())
    }
}

/// The field element of a signed 128-bit integer (`|v| < p`).
pub fn felt128(v: i128) -> Felt {
    let m = v.unsigned_abs() as u64;
    if v >= 0 {
        Felt::new(m)
    } else {
        Felt::ZERO - Felt::new(m)
    }
}

/// `2^k` as a field element (`k < 128`).
pub fn pow2(k: u32) -> Felt {
    Felt::new(2).exp(u64::from(k))
}
