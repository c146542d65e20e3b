//! The fixed-point rules shared by the runtime, the AIR and generated Cairo.
//!
//! A tensor with scale `s` stores the real number `v` as the integer `round(v * 2^s)`.
//! There is exactly one rounding rule for integer division, *round half up*:
//!
//! ```text
//! round_div(x, d) = floor((x + floor(d / 2)) / d)      (d >= 1)
//! ```
//!
//! with the remainder `r = x + floor(d / 2) - d * q`, always in `[0, d)`. A rescale by `s`
//! bits is `round_div(x, 2^s)`. Every consumer of programs (the interpreter, the AIR and the
//! Cairo code generator) must use these functions or reproduce them bit for bit.

/// Largest scale (fractional bits) a tensor may carry.
pub const MAX_SCALE: u8 = 40;

/// Quotient and remainder of the round-half-up division of `x` by `d`.
///
/// Returns `None` when `d < 1` or when `x + floor(d/2)` overflows `i64`.
/// The remainder is always in `[0, d)`.
///
/// ```
/// use starkml_runtime::fixed_point::round_div;
/// assert_eq!(round_div(5, 2), Some((3, 0)));   // 2.5 rounds up
/// assert_eq!(round_div(-5, 2), Some((-2, 0))); // -2.5 rounds up, to -2
/// assert_eq!(round_div(7, 4), Some((2, 1)));   // 1.75 -> 2
/// ```
pub fn round_div(x: i64, d: i64) -> Option<(i64, i64)> {
    if d < 1 {
        return None;
    }
    let shifted = x.checked_add(d / 2)?;
    let q = shifted.div_euclid(d);
    let r = shifted.rem_euclid(d);
    Some((q, r))
}

/// Round-half-up division by `2^shift` (a rescale by `shift` bits), with its remainder.
///
/// Returns `None` when `shift > 62` or the rounding offset overflows.
pub fn rescale(x: i64, shift: u8) -> Option<(i64, i64)> {
    if shift > 62 {
        return None;
    }
    round_div(x, 1i64 << shift)
}

/// Quantises a real number at `scale` fractional bits: `round(v * 2^scale)`, rounding half
/// away from zero as `f64::round` does.
///
/// Returns `None` for non-finite values or values whose integer form does not fit in `i64`.
pub fn quantize(v: f64, scale: u8) -> Option<i64> {
    if !v.is_finite() || scale > 62 {
        return None;
    }
    let q = (v * (1u64 << scale) as f64).round();
    // 2^63 is exactly representable as f64; anything at or beyond it does not fit.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&q) {
        return None;
    }
    Some(q as i64)
}

/// The real number an integer at `scale` fractional bits stands for: `x / 2^scale`.
pub fn dequantize(x: i64, scale: u8) -> f64 {
    x as f64 / (2f64).powi(i32::from(scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_div_matches_float_rounding_half_up() {
        for x in -50i64..=50 {
            for d in 1i64..=9 {
                let (q, r) = round_div(x, d).unwrap_or((i64::MIN, 0));
                let want = (x as f64 / d as f64 + 0.5).floor() as i64;
                assert_eq!(q, want, "x={x} d={d}");
                assert!((0..d).contains(&r));
                assert_eq!(x + d / 2, q * d + r);
            }
        }
    }

    #[test]
    fn rescale_is_round_div_by_power_of_two() {
        for x in [-1000i64, -129, -128, -1, 0, 1, 127, 128, 999] {
            assert_eq!(rescale(x, 8), round_div(x, 256));
        }
        assert_eq!(rescale(17, 0), Some((17, 0)));
        assert_eq!(rescale(1, 63), None);
        assert_eq!(rescale(i64::MAX, 4), None);
    }

    #[test]
    fn quantize_rejects_non_finite_and_huge() {
        assert_eq!(quantize(0.5, 4), Some(8));
        assert_eq!(quantize(-0.03125, 4), Some(-1));
        assert_eq!(quantize(f64::NAN, 4), None);
        assert_eq!(quantize(1e30, 4), None);
        assert!((dequantize(-24, 4) + 1.5).abs() < 1e-12);
    }
}
