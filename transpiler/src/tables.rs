//! Smooth functions as lookup tables.
//!
//! A function `f` is split as `f(x) = c * relu(x) + r(x)` with `c` a constant (0 for bounded
//! functions such as the logistic) and a *residual* `r` that is constant, within `2^-17`,
//! outside a fixed domain `[a, b]`. `r` is tabulated on the grid `i * 2^-g` of that domain
//! (input clamped to it, as [`runtime::Op::Table`] does); `c * relu(x)` is computed exactly.
//! The grid `g` is the activation scale, or as fine as [`MAX_ENTRIES`] entries allow
//! (the input is first rounded to it), so the worst error of a table op is
//! `max |r'| * 2^-(g+1) + 2^-(s+1) + 2^-17` (grid rounding, output rounding, saturation);
//! [`Func::max_error`] computes it for a given scale.

use std::f64::consts::PI;

/// Most entries of one table (the trace of a program with tables has at least this many
/// rows plus the range table's 256).
pub const MAX_ENTRIES: usize = 1 << 14;

/// A real function computed through a table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Func {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// The error function.
    Erf,
    /// `e^x` on `[-12, 0]` (the input clamped to it): the exponentials of a softmax, whose
    /// inputs are at most 0.
    ExpNonPositive,
    /// `ln(x)` on `[1, hi]` (the input clamped to it): the log of a softmax's sum.
    Ln(f64),
    /// `e^x`, clamped to the domain `[-12, ln(2^23 / 2^s) - 0.05]` (values past the top of
    /// the domain saturate; at scale 16 that is `e^4.80`).
    Exp,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x` for `x > 0`, else `alpha (e^x - 1)`.
    Elu(f64),
    /// `gamma * x` for `x > 0`, else `gamma * alpha (e^x - 1)`: `(alpha, gamma)`.
    Selu(f64, f64),
    /// `max(0, x) + min(0, alpha (e^(x / alpha) - 1))`.
    Celu(f64),
    /// `x tanh(ln(1 + e^x))`.
    Mish,
    /// `x Phi(x)` (exact), or its tanh approximation.
    Gelu {
        /// `approximate = "tanh"`.
        tanh: bool,
    },
    /// `x relu6(x + 3) / 6`.
    HardSwish,
    /// `x` for `x > alpha`, else 0.
    ThresholdedRelu(f64),
    /// `x - bias` for `x > lambd`, `x + bias` for `x < -lambd`, else 0: `(lambd, bias)`.
    Shrink(f64, f64),
    /// `asin(x)`, the input clamped to `[-1, 1]`.
    Asin,
    /// `acos(x)`, the input clamped to `[-1, 1]`.
    Acos,
}

impl Func {
    /// `f(x)`.
    pub fn eval(&self, x: f64) -> f64 {
        match *self {
            Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Func::Tanh => x.tanh(),
            Func::Erf => libm::erf(x),
            Func::Exp => x.exp(),
            Func::ExpNonPositive => x.min(0.0).exp(),
            Func::Ln(hi) => x.clamp(1.0, hi.max(1.0)).ln(),
            Func::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            Func::Elu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Func::Selu(alpha, gamma) => {
                if x > 0.0 {
                    gamma * x
                } else {
                    gamma * alpha * x.exp_m1()
                }
            }
            Func::Celu(alpha) => x.max(0.0) + (alpha * (x / alpha).exp_m1()).min(0.0),
            Func::Mish => x * Func::Softplus.eval(x).tanh(),
            Func::Gelu { tanh: false } => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            Func::Gelu { tanh: true } => {
                let k = (2.0 / PI).sqrt();
                0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
            }
            Func::HardSwish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Func::ThresholdedRelu(alpha) => {
                if x > alpha {
                    x
                } else {
                    0.0
                }
            }
            Func::Shrink(lambd, bias) => {
                if x > lambd {
                    x - bias
                } else if x < -lambd {
                    x + bias
                } else {
                    0.0
                }
            }
            Func::Asin => x.clamp(-1.0, 1.0).asin(),
            Func::Acos => x.clamp(-1.0, 1.0).acos(),
        }
    }

    /// Whether `f(x) = x + r(x)` (the identity is added exactly, the residual tabulated)
    /// rather than `c * relu(x) + r(x)`.
    pub fn plus_identity(&self) -> bool {
        matches!(self, Func::Shrink(..))
    }

    /// `c` in `f(x) = c * relu(x) + r(x)`.
    pub fn relu_coefficient(&self) -> f64 {
        match *self {
            Func::Sigmoid | Func::Tanh | Func::Erf | Func::Exp => 0.0,
            Func::ExpNonPositive | Func::Ln(_) => 0.0,
            Func::Shrink(..) | Func::Asin | Func::Acos => 0.0,
            Func::Selu(_, gamma) => gamma,
            _ => 1.0,
        }
    }

    /// The residual `r(x) = f(x) - c * relu(x)`.
    pub fn residual(&self, x: f64) -> f64 {
        let linear = if self.plus_identity() { x } else { self.relu_coefficient() * x.max(0.0) };
        self.eval(x) - linear
    }

    /// The domain `[a, b]` outside which the residual is constant within `2^-17` (for `Exp`,
    /// the top also keeps values within a lookup's 24 bits at scale `s`).
    pub fn domain(&self, s: u8) -> (f64, f64) {
        match *self {
            Func::Sigmoid | Func::Softplus => (-12.0, 12.0),
            Func::Tanh => (-6.5, 6.5),
            Func::Erf => (-4.0, 4.0),
            Func::Exp => (-12.0, (23.0 - f64::from(s)) * std::f64::consts::LN_2 - 0.05),
            Func::ExpNonPositive => (-12.0, 0.0),
            Func::Ln(hi) => (1.0, hi.max(1.0)),
            Func::Elu(_) | Func::Selu(..) => (-13.0, 0.0),
            Func::Celu(alpha) => (-13.0 * alpha.abs(), 0.0),
            Func::Mish => (-16.0, 8.0),
            Func::Gelu { .. } => (-6.0, 6.0),
            Func::HardSwish => (-3.0, 3.0),
            // One unit past the step at alpha, so the last entry is the flat residual.
            Func::ThresholdedRelu(alpha) => (alpha.min(0.0) - 1.0, alpha.max(0.0) + 1.0),
            Func::Shrink(lambd, _) => (-lambd.abs() - 1.0, lambd.abs() + 1.0),
            Func::Asin | Func::Acos => (-1.0, 1.0),
        }
    }

    /// Whether the parameters admit a table (finite, and a domain of at most 2^16 wide).
    pub fn check(&self) -> Result<(), String> {
        let ok = |v: f64| v.is_finite() && v.abs() <= 65536.0;
        let good = match *self {
            Func::Elu(a) | Func::ThresholdedRelu(a) => ok(a),
            Func::Shrink(l, b) => ok(l) && ok(b) && l >= 0.0,
            Func::Ln(hi) => ok(hi) && hi >= 1.0,
            Func::Selu(a, g) => ok(a) && ok(g),
            Func::Celu(a) => ok(a) && a != 0.0 && a.abs() <= 1024.0,
            _ => true,
        };
        if good {
            Ok(())
        } else {
            Err(format!("parameters of {self:?} out of range (finite, |alpha| <= 1024)"))
        }
    }

    /// The input grid (fractional bits) of the table at activation scale `s`: `s`, or less so
    /// that the domain fits [`MAX_ENTRIES`].
    pub fn grid(&self, s: u8) -> u8 {
        let (a, b) = self.domain(s);
        let width = (b - a).max(1.0 / 65536.0);
        let fit = ((MAX_ENTRIES - 1) as f64 / width).log2().floor().max(0.0);
        (fit as u8).min(s)
    }

    /// The table at activation scale `s`: `(lo, values)` over grid `g` (see [`Func::grid`]),
    /// values of the residual at scale `s`.
    pub fn table(&self, s: u8) -> Option<(i64, Vec<i64>)> {
        let g = self.grid(s);
        let (a, b) = self.domain(s);
        let unit = (2f64).powi(i32::from(g));
        let (lo, hi) = ((a * unit).ceil() as i64, (b * unit).floor() as i64);
        if hi < lo {
            return Some((0, vec![runtime::fixed_point::quantize(self.residual(0.0), s)?]));
        }
        let values = (lo..=hi)
            .map(|i| runtime::fixed_point::quantize(self.residual(i as f64 / unit), s))
            .collect::<Option<Vec<i64>>>()?;
        Some((lo, values))
    }

    /// The worst error of the table op at activation scale `s` against `f`, over inputs at
    /// scale `s` (the integers the op reads) across the table's domain widened by one unit on
    /// each side (beyond it the residual is flat within `2^-17`; `Exp` only below: above its
    /// domain it saturates by definition). Inputs are sampled at most 2^18 times; a sampled
    /// error is within half an output unit of the true worst for these smooth functions.
    pub fn max_error(&self, s: u8) -> f64 {
        let Some((lo, values)) = self.table(s) else { return f64::INFINITY };
        let g = self.grid(s);
        let shift = i32::from(s - g);
        let unit_out = (2f64).powi(-i32::from(s));
        // The linear part multiplies by the slope quantised at scale `s`, then rounds.
        let c = (self.relu_coefficient() / unit_out).round() * unit_out;
        let hi = lo + values.len() as i64 - 1;
        let one = 1i64 << g;
        let above = if *self == Func::Exp { 0 } else { one };
        // Input integers at scale `s` from the grid points `lo - one` to `hi + above`.
        let (first, last) = ((lo - one) << shift, (hi + above) << shift);
        let step = (((last - first) >> 18) + 1).max(1);
        let half = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
        let mut worst: f64 = 0.0;
        let mut xq = first;
        while xq <= last {
            // The rescale to the grid rounds half up; the table index is clamped.
            let xi = (xq + half) >> shift;
            let r = values[(xi.clamp(lo, hi) - lo) as usize] as f64 * unit_out;
            let x = xq as f64 * unit_out;
            let linear = if self.plus_identity() { x } else { c * x.max(0.0) };
            let got = r + (linear / unit_out).round() * unit_out;
            worst = worst.max((got - self.eval(x)).abs());
            xq += step;
        }
        worst + if step > 1 { unit_out / 2.0 } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Func; 16] = [
        Func::Sigmoid,
        Func::Tanh,
        Func::Erf,
        Func::Exp,
        Func::Softplus,
        Func::Elu(1.0),
        Func::Selu(1.673_263_2, 1.050_701),
        Func::Celu(1.0),
        Func::Mish,
        Func::Gelu { tanh: false },
        Func::Gelu { tanh: true },
        Func::HardSwish,
        Func::ThresholdedRelu(1.0),
        Func::Shrink(0.5, 0.2),
        Func::Asin,
        Func::Acos,
    ];

    #[test]
    fn residuals_are_flat_outside_the_domains() {
        for f in ALL {
            let (a, b) = f.domain(12);
            for k in 1..200 {
                let d = f64::from(k) * 0.25;
                assert!((f.residual(a - d) - f.residual(a)).abs() < 1.0 / 131072.0, "{f:?} below");
                if f != Func::Exp {
                    let flat = (f.residual(b + d) - f.residual(b)).abs();
                    assert!(flat < 1.0 / 131072.0, "{f:?} above: {flat}");
                }
            }
        }
    }

    #[test]
    fn worst_errors_stay_within_a_few_units() {
        // At scale 12 the grid is the activation scale or two bits coarser: the stated worst
        // error is at most 8 output units (2^-9) for these functions (slopes up to ~1.13).
        for f in ALL {
            let table = f.table(12).expect("quantises");
            assert!(table.1.len() <= MAX_ENTRIES, "{f:?}");
            let e = f.max_error(12);
            let bound = match f {
                // Relative: half a grid step times the largest slope, e^top.
                Func::Exp => {
                    let (_, top) = f.domain(12);
                    top.exp() * (2f64).powi(-i32::from(f.grid(12))) + 8.0 / 4096.0
                }
                // Infinite slope at +-1: about sqrt(2^-g); the automatic scale picks 10 bits,
                // where the error is within 40 units.
                Func::Asin | Func::Acos => {
                    assert!(f.max_error(10) <= 40.0 / 1024.0, "{f:?} at 10");
                    (2f64).powf(-5.9)
                }
                _ => 8.0 / 4096.0,
            };
            assert!(e <= bound, "{f:?}: {e} > {bound}");
        }
    }
}
