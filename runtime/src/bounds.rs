//! Static bound analysis: from the input ranges and the constants, a bound `B` on `|x|` for
//! every element of every tensor, valid for every in-range input.
//!
//! Bounds are computed in `u128` and must stay below `2^MAX_BOUND_BITS`; intermediate
//! products (inside dot products, leaky-ReLU slopes and pooling sums) are covered too. The
//! interpreter checks `i64` arithmetic anyway, but provers rely on these bounds to size range
//! checks and to rule out wrap-around in the field, which is why the budget leaves a few bits
//! of headroom below 64.

use crate::error::RuntimeError;
use crate::fixed_point::quantize;
use crate::op::{Op, TensorId};
use crate::program::{bits, Program, TensorKind};

/// Every tensor bound (and intermediate product) must be below `2^MAX_BOUND_BITS`.
pub const MAX_BOUND_BITS: u32 = 60;

/// Bounds of all tensors of `program`, in tensor order: for a computed tensor, the smaller of
/// the bound derived from its inputs' bounds and its recorded (declared) bound.
///
/// # Errors
/// [`RuntimeError::BoundTooLarge`] when a bound exceeds the budget;
/// [`RuntimeError::InvalidField`] for a tensor id out of range or an unquantisable range.
pub fn compute_bounds(program: &Program) -> Result<Vec<u64>, RuntimeError> {
    analyse(program).map(|(bounds, _)| bounds)
}

/// The computed tensors whose recorded bound is declared: below the bound derived from their
/// inputs' bounds, and therefore enforced by the runtime on every run.
///
/// # Errors
/// As [`compute_bounds`].
pub fn declared_bounds(program: &Program) -> Result<Vec<TensorId>, RuntimeError> {
    let (_, declared) = analyse(program)?;
    Ok(declared
        .into_iter()
        .enumerate()
        .filter(|(_, d)| *d)
        .map(|(i, _)| TensorId(i as u32))
        .collect())
}

/// Bounds of all tensors, and whether each one is declared (capped below its derived bound).
fn analyse(program: &Program) -> Result<(Vec<u64>, Vec<bool>), RuntimeError> {
    let mut out: Vec<u128> = vec![0; program.tensors.len()];
    let mut capped = vec![false; program.tensors.len()];
    for (i, t) in program.tensors.iter().enumerate() {
        out[i] = match &t.kind {
            TensorKind::Const(d) => {
                u128::from(d.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0))
            }
            TensorKind::Input { lo, hi } => {
                let q = |v: f64| {
                    quantize(v, t.scale).map(|x| u128::from(x.unsigned_abs())).ok_or_else(|| {
                        RuntimeError::InvalidField {
                            field: format!("tensors[{i}].range"),
                            reason: format!("{v} does not quantise at scale {}", t.scale),
                        }
                    })
                };
                q(*lo)?.max(q(*hi)?)
            }
            TensorKind::Value => 0,
        };
        check(program, i, out[i])?;
    }
    for node in &program.ops {
        let get = |k: usize| -> Result<u128, RuntimeError> {
            let id = node.inputs.get(k).ok_or_else(|| missing(&node.origin))?;
            out.get(id.0 as usize).copied().ok_or_else(|| missing(&node.origin))
        };
        let consts = |k: usize| -> Option<(&[i64], &[usize])> {
            let t = program.tensor(*node.inputs.get(k)?)?;
            match &t.kind {
                TensorKind::Const(d) => Some((d.as_slice(), t.shape.as_slice())),
                _ => None,
            }
        };
        let bias = if node.inputs.len() > 2 { get(2)? } else { 0 };
        let b = match &node.op {
            Op::MatMul => {
                let (ba, bb) = (get(0)?, get(1)?);
                let dot = match (consts(0), consts(1)) {
                    (_, Some((w, shape))) => matmul_const_bound(w, bb, shape, ba, false),
                    (Some((w, shape)), None) => matmul_const_bound(w, ba, shape, bb, true),
                    _ => {
                        let a = node
                            .inputs
                            .first()
                            .and_then(|t| program.tensor(*t))
                            .map(|t| t.shape.as_slice());
                        let k = a.and_then(|s| s.last()).copied().unwrap_or(0) as u128;
                        k.saturating_mul(ba).saturating_mul(bb)
                    }
                };
                dot.saturating_add(bias)
            }
            Op::Conv(_) => {
                let bx = get(0)?;
                let dot = match consts(1) {
                    Some((w, shape)) => {
                        let per = shape.iter().skip(1).product::<usize>().max(1);
                        w.chunks(per).map(|c| abs_sum(c).saturating_mul(bx)).max().unwrap_or(0)
                    }
                    None => {
                        let per = node
                            .inputs
                            .get(1)
                            .and_then(|t| program.tensor(*t))
                            .map(|t| t.shape.iter().skip(1).product::<usize>())
                            .unwrap_or(0) as u128;
                        per.saturating_mul(bx).saturating_mul(get(1)?)
                    }
                };
                dot.saturating_add(bias)
            }
            Op::Add | Op::Sub => get(0)?.saturating_add(get(1)?),
            Op::Mul => get(0)?.saturating_mul(get(1)?),
            Op::Rescale { shift } => {
                let half = if *shift == 0 { 0 } else { 1u128 << (shift - 1) };
                get(0)?.saturating_add(half) >> shift
            }
            Op::Relu | Op::MaxPool(_) | Op::Reshape | Op::Transpose { .. } | Op::Gather { .. } => {
                get(0)?
            }
            Op::LeakyRelu { alpha, alpha_shift } => {
                let x = get(0)?;
                let prod = x.saturating_mul(u128::from(alpha.unsigned_abs()));
                check(program, node.output.0 as usize, prod)?;
                let half = if *alpha_shift == 0 { 0 } else { 1u128 << (alpha_shift - 1) };
                x.max(prod.saturating_add(half) >> alpha_shift)
            }
            // Divisors are at least 1.
            Op::Div { shift } => get(0)?.saturating_mul(1u128 << shift),
            Op::Sqrt { shift } => isqrt(get(0)?.saturating_mul(1u128 << shift)),
            Op::Table { values, .. } => {
                values.iter().map(|v| u128::from(v.unsigned_abs())).max().unwrap_or(0)
            }
            Op::Clip { min, max } => {
                let x = get(0)?;
                let clamp = |v: i128| {
                    let lo = min.map_or(v, |m| v.max(i128::from(m)));
                    max.map_or(lo, |m| lo.min(i128::from(m)))
                };
                let x = x.min(i128::MAX as u128) as i128;
                clamp(-x).unsigned_abs().max(clamp(x).unsigned_abs())
            }
            Op::AvgPool { pool, .. } => {
                let x = get(0)?;
                let window = pool.kernel.iter().product::<usize>() as u128;
                check(program, node.output.0 as usize, x.saturating_mul(window))?;
                x
            }
            Op::ArgMax { axis, .. } => {
                let s = node
                    .inputs
                    .first()
                    .and_then(|t| program.tensor(*t))
                    .map(|t| t.shape.as_slice())
                    .unwrap_or(&[]);
                s.get(*axis).copied().unwrap_or(1).saturating_sub(1) as u128
            }
            Op::Concat { .. } => {
                let mut m = 0;
                for k in 0..node.inputs.len() {
                    m = m.max(get(k)?);
                }
                m
            }
        };
        let o = node.output.0 as usize;
        check(program, o, b)?;
        let declared = program.tensors.get(o).map_or(u128::MAX, |t| u128::from(t.bound));
        if let (Some(slot), Some(c)) = (out.get_mut(o), capped.get_mut(o)) {
            *slot = b.min(declared);
            *c = declared < b;
        }
    }
    Ok((out.into_iter().map(|b| b as u64).collect(), capped))
}

fn missing(origin: &str) -> RuntimeError {
    RuntimeError::InvalidField {
        field: format!("op {origin}"),
        reason: "tensor id out of range".into(),
    }
}

fn check(program: &Program, i: usize, b: u128) -> Result<(), RuntimeError> {
    let limit = 1u128 << MAX_BOUND_BITS;
    if b >= limit {
        let name = program.tensors.get(i).map(|t| t.name.clone()).unwrap_or_default();
        let bits = 128 - b.leading_zeros();
        return Err(RuntimeError::BoundTooLarge {
            tensor: TensorId(i as u32),
            name,
            bits,
            limit: MAX_BOUND_BITS,
        });
    }
    Ok(())
}

fn abs_sum(v: &[i64]) -> u128 {
    v.iter().map(|x| u128::from(x.unsigned_abs())).sum()
}

/// Largest `sum_k |w[.., k, n]| * bx` over output columns (or rows when `w` is the left
/// operand).
fn matmul_const_bound(w: &[i64], w_max: u128, shape: &[usize], bx: u128, left: bool) -> u128 {
    let r = shape.len();
    if r == 1 {
        return abs_sum(w).saturating_mul(bx);
    }

    let (rows, cols) = (shape[r - 2], shape[r - 1]);
    let batches = w.len() / (rows * cols).max(1);
    let mut best = 0u128;
    // With every |w| below 2^32 (`w_max`, the largest magnitude, computed from the data) and
    // fewer than 2^31 terms per sum, `u64` sums cannot overflow (and vectorise); else `u128`.
    let small = rows.max(cols) < 1 << 31 && w_max < 1 << 32;
    let n = if left { rows } else { cols };
    let (mut s64, mut s128) = (vec![0u64; n], vec![0u128; n]);
    // Row-major sweeps (a column-wise one misses the cache on every weight of a wide layer):
    // sum `l` is the absolute sum of row `l` (left operand) or column `l` (right operand).
    for b in 0..batches {
        let m = &w[b * rows * cols..(b + 1) * rows * cols];
        s64.iter_mut().for_each(|s| *s = 0);
        s128.iter_mut().for_each(|s| *s = 0);
        for (k, line) in m.chunks(cols.max(1)).enumerate() {
            match (left, small) {
                (true, true) => s64[k] = line.iter().map(|v| v.unsigned_abs()).sum(),
                (true, false) => s128[k] = abs_sum(line),
                (false, true) => {
                    s64.iter_mut().zip(line).for_each(|(s, v)| *s += v.unsigned_abs());
                }
                (false, false) => {
                    s128.iter_mut().zip(line).for_each(|(s, v)| *s += u128::from(v.unsigned_abs()));
                }
            }
        }
        let widest = if small {
            s64.iter().max().map_or(0, |&s| u128::from(s))
        } else {
            s128.iter().copied().max().unwrap_or(0)
        };
        best = best.max(widest.saturating_mul(bx));
    }
    best
}

/// Bits of a bound; re-exported for summaries.
pub fn bound_bits(b: u64) -> u32 {
    bits(b)
}

/// `floor(sqrt(v))`.
pub fn isqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    // Newton's method from above, in integers.
    let mut x = 1u128 << (128 - v.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + v / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use crate::op::{Op, TensorId};
    use crate::program::{OpNode, Program, TensorInfo, TensorKind};
    use crate::{observe_magnitudes, run, RuntimeError};

    #[test]
    fn isqrt_is_the_floor_of_the_square_root() {
        for v in (0u128..5000).chain([u128::from(u64::MAX), (1 << 100) - 1, 1 << 100]) {
            let q = super::isqrt(v);
            assert!(q * q <= v && (q + 1) * (q + 1) > v, "{v}: {q}");
        }
    }

    /// `x: [1, 2]` in [-1, 1] at scale 4, then twice `rescale(matmul(., W), 4)` with `W` all
    /// `3.0`: `y = x W` (tensor 4), `z = y W` (tensor 6).
    fn chain() -> Program {
        let t = |name: &str, shape: &[usize], scale: u8, kind: TensorKind| TensorInfo {
            name: name.into(),
            shape: shape.to_vec(),
            scale,
            bound: 0,
            kind,
        };
        let op = |op: Op, inputs: &[u32], output: u32| OpNode {
            op,
            inputs: inputs.iter().map(|&i| TensorId(i)).collect(),
            output: TensorId(output),
            origin: format!("op{output}"),
        };
        let mut p = Program {
            name: "chain".into(),
            tensors: vec![
                t("x", &[1, 2], 4, TensorKind::Input { lo: -1.0, hi: 1.0 }),
                t("w", &[2, 2], 4, TensorKind::constant(vec![48; 4])),
                t("y/acc", &[1, 2], 8, TensorKind::Value),
                t("unused", &[1], 4, TensorKind::constant(vec![0])),
                t("y", &[1, 2], 4, TensorKind::Value),
                t("z/acc", &[1, 2], 8, TensorKind::Value),
                t("z", &[1, 2], 4, TensorKind::Value),
            ],
            ops: vec![
                op(Op::MatMul, &[0, 1], 2),
                op(Op::Rescale { shift: 4 }, &[2], 4),
                op(Op::MatMul, &[4, 1], 5),
                op(Op::Rescale { shift: 4 }, &[5], 6),
            ],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(6)],
        };
        p.assign_bounds().unwrap();
        p
    }

    #[test]
    fn worst_case_bounds_compound_and_declared_ones_stop_them() {
        let mut p = chain();
        // |x| <= 16, |y/acc| <= 2 * 48 * 16, |y| <= 96, |z| <= 2 * 3 * 96 = 576.
        assert_eq!((p.tensors[4].bound, p.tensors[6].bound), (96, 576));
        assert!(super::declared_bounds(&p).unwrap().is_empty());
        p.declare_bounds(&[(TensorId(4), 20)]).unwrap();
        assert_eq!((p.tensors[4].bound, p.tensors[6].bound), (20, 120));
        p.validate().unwrap();
        assert_eq!(super::declared_bounds(&p).unwrap(), vec![TensorId(4)]);
        // A declared bound above the derived one is not kept.
        p.declare_bounds(&[(TensorId(4), 1000)]).unwrap();
        assert_eq!(p.tensors[4].bound, 96);
    }

    #[test]
    fn a_recorded_bound_above_the_derived_one_is_refused() {
        let mut p = chain();
        p.tensors[4].bound = 97;
        assert!(matches!(
            p.validate(),
            Err(RuntimeError::BoundMismatch {
                tensor: TensorId(4),
                recorded: 97,
                computed: 96,
                ..
            })
        ));
    }

    #[test]
    fn runs_beyond_a_declared_bound_are_refused_and_observed_magnitudes_ignore_bounds() {
        let mut p = chain();
        p.declare_bounds(&[(TensorId(4), 20)]).unwrap();
        // x = (0.25, 0.25) is (4, 4): y = 8 * 48 / 16 = 24, beyond 20: refused, named.
        let x = vec![vec![0.25, 0.25]];
        match run(&p, &x) {
            Err(
                e @ RuntimeError::BoundViolated {
                    tensor: TensorId(4), value: 24, bound: 20, ..
                },
            ) => {
                assert!(e.to_string().contains("(y)") && e.to_string().contains("calibration"))
            }
            other => panic!("{other:?}"),
        }
        let small = vec![vec![0.125, 0.0625]];
        // y = 3 * 48 / 16 = 9 each, z = 18 * 48 / 16 = 54.
        assert_eq!(run(&p, &small).unwrap()[0].data, vec![54, 54]);
        let seen = observe_magnitudes(&p, &[x, small]).unwrap();
        // The refused run counts too: y = 24, z = 48 * 48 / 16 = 144.
        assert_eq!((seen[0], seen[4], seen[6]), (4, 24, 144));
    }
}
