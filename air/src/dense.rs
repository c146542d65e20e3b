//! Dense blocks: the nodes of a product `acc = x W + bias` with a constant 2-D weight matrix,
//! kept as the matrix itself instead of one term list per node. Every pass over a block
//! (accumulators, bounds, the verifier's coefficients) sweeps `W` row by row, so a layer of
//! millions of weights costs one sequential read of them, and the schedule holds one copy.

use std::sync::Arc;

use winterfell::math::FieldElement;

use crate::field::Felt;

/// The Goldilocks modulus as a signed 128-bit integer.
pub(crate) const P: i128 = 0xffff_ffff_0000_0001;

/// A product with constant weights `W` (`k x n`, row-major) of a run-time input `x`
/// (`batch x k`): output `(b, j)` is the node on row `first_row + b n + j`, with terms
/// `(x[b k + i], W[i n + j])` for `i < k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenseBlock {
    /// Row of the node of output `(0, 0)`.
    pub first_row: usize,
    /// Bus addresses of the input, `batch x k` row-major.
    pub x: Vec<u32>,
    /// Weights, `k x n` row-major (integers at the weights' scale): the program's own
    /// constant, shared.
    pub w: Arc<Vec<i64>>,
    /// Inner dimension.
    pub k: usize,
    /// Outputs per batch row.
    pub n: usize,
}

impl DenseBlock {
    /// Number of outputs (nodes).
    pub fn outputs(&self) -> usize {
        self.batch() * self.n
    }

    /// Batch rows.
    pub fn batch(&self) -> usize {
        self.x.len() / self.k.max(1)
    }

    /// The terms `(address, weight)` of output `out`, zero weights left out (for debugging and
    /// tests; the passes below never build them).
    pub fn terms(&self, out: usize) -> Vec<(u32, i64)> {
        let (b, j) = (out / self.n.max(1), out % self.n.max(1));
        (0..self.k)
            .filter_map(|i| {
                let w = *self.w.get(i * self.n + j)?;
                (w != 0).then_some((*self.x.get(b * self.k + i)?, w))
            })
            .collect()
    }

    /// Non-zero weights times batch rows: the multiply-accumulates of one run.
    pub fn macs(&self) -> u64 {
        (self.w.iter().filter(|w| **w != 0).count() * self.batch()) as u64
    }

    fn lines(&self) -> impl Iterator<Item = (usize, usize, &[i64])> + '_ {
        let n = self.n.max(1);
        (0..self.batch()).flat_map(move |b| {
            self.w.chunks(n).take(self.k).enumerate().map(move |(i, row)| (b, i, row))
        })
    }

    /// `sum_i x_i W_ij` for every output, with `value(address)` the value read.
    pub fn products(&self, value: impl Fn(u32) -> i128) -> Vec<i128> {
        let mut out = vec![0i128; self.outputs()];
        for (b, i, row) in self.lines() {
            let xi = value(self.x[b * self.k + i]);
            if xi == 0 {
                continue;
            }
            let acc = &mut out[b * self.n..(b + 1) * self.n];
            for (a, w) in acc.iter_mut().zip(row) {
                *a += xi * i128::from(*w);
            }
        }
        out
    }

    /// `sum_i |W_ij| B(x_i)` for every output, with `bound[address]` the static bound of the
    /// value read (saturating). Output columns are split over the rayon threads, each sweeping
    /// every weight row over its columns in 64-bit arithmetic, while a running
    /// `sum_i max_j |W_ij| B(x_i)` shows that no sum can reach `2^64`; a chunk whose guard
    /// reaches it is redone in saturating 128-bit arithmetic. Returned with
    /// [`DenseBlock::macs`], counted in the same sweep.
    pub fn abs_bounds_and_macs(&self, bound: &[u128]) -> (Vec<u128>, u64) {
        use rayon::prelude::*;
        let n = self.n.max(1);
        let mut out = vec![0u128; self.outputs()];
        let mut nonzero = 0u64;
        let per = n.div_ceil(rayon::current_num_threads()).max(1024);
        for (b, batch_out) in out.chunks_mut(n).enumerate() {
            let bx: Vec<u128> = (0..self.k)
                .map(|i| {
                    let a = self.x.get(b * self.k + i);
                    a.and_then(|&a| bound.get(a as usize)).copied().unwrap_or(u128::MAX)
                })
                .collect();
            let counts: u64 = batch_out
                .par_chunks_mut(per)
                .enumerate()
                .map(|(c, acc)| {
                    let cols = c * per..c * per + acc.len();
                    let rows =
                        self.w.chunks(n).take(self.k).map(|r| r.get(cols.clone()).unwrap_or(&[]));
                    abs_sums_u64(rows.clone(), &bx, acc)
                        .unwrap_or_else(|| abs_sums_saturating(rows, &bx, acc))
                })
                .sum();
            if b == 0 {
                nonzero = counts;
            }
        }
        (out, nonzero * self.batch() as u64)
    }

    /// Adds `c(x_i) += sum_j g_{row(b, j)} W_ij` into `acc` (per address, `d` extension
    /// components, lazily reduced `i128`), for the weights `g` of every row. Input lines are
    /// split over the rayon threads; each dot product stays below `2^126` (`n < 2^30`).
    pub(crate) fn add_coefficients<E: FieldElement<BaseField = Felt>>(
        &self,
        g: &[E],
        acc: &mut [i128],
    ) {
        use rayon::prelude::*;
        let d = E::EXTENSION_DEGREE;
        let rows = g.get(self.first_row..self.first_row + self.outputs()).unwrap_or(&[]);
        // Components of g by batch row: comps[b][c][j] (canonical, below P).
        let comps: Vec<Vec<Vec<u64>>> = rows
            .chunks(self.n.max(1))
            .map(|gs| {
                (0..d).map(|c| gs.iter().map(|g| g.base_element(c).as_int()).collect()).collect()
            })
            .collect();
        // `sum_j g_j w_j = sum_j g_j (w_j + 2^31) - 2^31 sum_j g_j`: with the offset weight an
        // unsigned 32-bit value and `g` in 22-bit limbs, every product is a 32 x 32 -> 64-bit
        // multiply, which vectorises (see `limb_dots`). A weight line with a weight outside
        // `[-2^31, 2^31)` (rare) is reduced per product instead.
        let gsums: Vec<Vec<i128>> = comps
            .iter()
            .map(|gb| {
                gb.iter().map(|gc| gc.iter().map(|&g| i128::from(g)).sum::<i128>() % P).collect()
            })
            .collect();
        let limbs: Vec<Vec<[Vec<u32>; 3]>> = comps.iter().map(|gb| to_limbs(gb)).collect();
        let lines: Vec<(usize, usize, &[i64])> = self.lines().collect();
        let sums: Vec<(u32, Vec<i128>)> = lines
            .par_iter()
            .filter_map(|&(b, i, row)| {
                let (gb, gs, ls) = (comps.get(b)?, gsums.get(b)?, limbs.get(b)?);
                let sums = match limb_dots(ls, row) {
                    Some(dots) => gs
                        .iter()
                        .zip(dots)
                        .map(|(&gsum, dot)| (dot + P - (OFF * gsum) % P) % P)
                        .collect(),
                    None => gb.iter().map(|gc| reduced_dot(gc, row)).collect(),
                };
                Some((self.x[b * self.k + i], sums))
            })
            .collect();
        for (a, s) in sums {
            if let Some(slot) = acc.get_mut(a as usize * d..(a as usize + 1) * d) {
                for (x, v) in slot.iter_mut().zip(s) {
                    *x = (*x + v).rem_euclid(P);
                }
            }
        }
    }
}

/// `acc_j = sum_i |w_ij| bx_i` in 64-bit arithmetic, with `rows` the weight rows (over the
/// same columns as `acc`); returns the number of non-zero weights. `None`, with `acc`
/// unspecified, when the guard `sum_i max_j |w_ij| bx_i` reaches `2^64` (then some sum may
/// not fit).
fn abs_sums_u64<'a>(
    rows: impl Iterator<Item = &'a [i64]>,
    bx: &[u128],
    acc: &mut [u128],
) -> Option<u64> {
    let mut sums = vec![0u64; acc.len()];
    let (mut guard, mut nonzero) = (0u128, 0u64);
    for (row, &b) in rows.zip(bx) {
        let b64 = u64::try_from(b).ok()?;
        let (mut max, mut nz) = (0u64, 0u64);
        for (a, w) in sums.iter_mut().zip(row) {
            let wa = w.unsigned_abs();
            max = max.max(wa);
            nz += u64::from(wa != 0);
            *a = a.wrapping_add(wa.wrapping_mul(b64));
        }
        nonzero += nz;
        guard = guard.saturating_add(u128::from(max) * u128::from(b64));
        if guard >> 64 != 0 {
            return None;
        }
    }
    for (a, s) in acc.iter_mut().zip(sums) {
        *a = u128::from(s);
    }
    Some(nonzero)
}

/// `acc_j = sum_i |w_ij| bx_i`, saturating at `u128::MAX`; returns the number of non-zero
/// weights.
fn abs_sums_saturating<'a>(
    rows: impl Iterator<Item = &'a [i64]>,
    bx: &[u128],
    acc: &mut [u128],
) -> u64 {
    acc.fill(0);
    let mut nonzero = 0u64;
    for (row, &b) in rows.zip(bx) {
        for (a, w) in acc.iter_mut().zip(row) {
            let wa = u128::from(w.unsigned_abs());
            nonzero += u64::from(wa != 0);
            // Both factors below 2^64: the product fits in 128 bits.
            let term = if b >> 64 == 0 { wa * b } else { wa.saturating_mul(b) };
            *a = a.saturating_add(term);
        }
    }
    nonzero
}

/// Offset that makes a weight in `[-2^31, 2^31)` an unsigned 32-bit value.
const OFF: i128 = 1 << 31;
/// Bits per limb of a challenge component (`g = l0 + 2^22 l1 + 2^44 l2`, `l2 < 2^20`).
const LIMB: u32 = 22;
/// Terms summed in 64 bits before a 128-bit carry: `2^9` products below `2^54` stay below
/// `2^63`.
const CHUNK: usize = 512;

/// The 22-bit limbs of each component of `gs` (canonical values).
fn to_limbs(gs: &[Vec<u64>]) -> Vec<[Vec<u32>; 3]> {
    let mask = (1u64 << LIMB) - 1;
    gs.iter()
        .map(|g| {
            [0, LIMB, 2 * LIMB].map(|sh| g.iter().map(|&x| ((x >> sh) & mask) as u32).collect())
        })
        .collect()
}

/// `sum_j g_j (w_j + 2^31) mod P` for each component of `g`, given as its limbs `ls`; `None`
/// when some `w_j` lies outside `[-2^31, 2^31)`. Each product `limb x (w + 2^31)` is below
/// `2^54`; [`CHUNK`] of them are summed in `u64` lanes (a loop the compiler vectorises) and the
/// chunk sums in `u128` (`w.len() < 2^30` keeps them below `2^84`).
fn limb_dots(ls: &[[Vec<u32>; 3]], w: &[i64]) -> Option<Vec<i128>> {
    let offset = |x: &i64| x.wrapping_add(OFF as i64) as u64;
    // Out-of-range weights are detected inside the sums (`high`), not in a pass of their own;
    // the sums are then discarded.
    let mut high = 0u64;
    let p = P as u128;
    let dots = ls.iter().map(|[l0, l1, l2]| {
        let mut t = [0u128; 3];
        for (c, wc) in w.chunks(CHUNK).enumerate() {
            let span = c * CHUNK..c * CHUNK + wc.len();
            let (Some(a), Some(b), Some(d)) =
                (l0.get(span.clone()), l1.get(span.clone()), l2.get(span))
            else {
                continue;
            };
            let (mut s0, mut s1, mut s2, mut h) = (0u64, 0u64, 0u64, 0u64);
            for (x, ((a, b), d)) in wc.iter().zip(a.iter().zip(b).zip(d)) {
                let x = offset(x);
                h |= x;
                // The low 32 bits, so that each product is one 32 x 32 -> 64-bit multiply
                // (a 64 x 64 one costs several times more): exact when every offset weight is
                // below 2^32 (checked by `h`). Wrapping adds: `CHUNK` products stay below 2^64.
                let x = u64::from(x as u32);
                s0 = s0.wrapping_add(u64::from(*a) * x);
                s1 = s1.wrapping_add(u64::from(*b) * x);
                s2 = s2.wrapping_add(u64::from(*d) * x);
            }
            high |= h >> 32;
            t[0] += u128::from(s0);
            t[1] += u128::from(s1);
            t[2] += u128::from(s2);
        }
        let v = (t[0] % p + ((t[1] % p) << LIMB) % p + ((t[2] % p) << (2 * LIMB)) % p) % p;
        v as i128
    });
    let dots: Vec<i128> = dots.collect();
    (high == 0).then_some(dots)
}

/// `sum_j g_j w_j mod P` for any weights, reducing every product (`g_j < 2^64` and
/// `|w_j mod P| <= |w_j| < 2^63`: each product stays below `2^127`).
fn reduced_dot(g: &[u64], w: &[i64]) -> i128 {
    let mut acc = 0i128;
    for (g, w) in g.iter().zip(w) {
        acc = (acc + (i128::from(*g) * (i128::from(*w) % P)) % P) % P;
    }
    acc.rem_euclid(P)
}

#[cfg(test)]
mod tests {
    use super::*;
    use winterfell::math::fields::QuadExtension;
    use winterfell::math::ExtensionOf;

    type E = QuadExtension<Felt>;

    #[test]
    fn coefficients_equal_the_term_by_term_sum() {
        // Two batch rows. Weight lines 0 and 1 within [-2^31, 2^31) (the vectorised limb
        // path, both ends included, lines of several chunks); the others mix weights of every
        // size class, negative and beyond 2^32 (reduced per product).
        let (k, n) = (5, 2500);
        let w: Vec<i64> = (0..k * n)
            .map(|i| match (i / n < 2, i % 5) {
                (true, 0) => -(1i64 << 31),
                (true, 1) => (1i64 << 31) - 1,
                (true, 2) => -(i as i64 * 7919 % 100_003),
                (true, _) => i as i64 - 1000,
                (false, 0) => -(i as i64) * 1_000_003,
                (false, 1) => (1i64 << 40) + i as i64,
                (false, 2) => -(1i64 << 45),
                (false, 3) => (1 << 32) - 1,
                _ => i as i64 - 17,
            })
            .collect();
        let block =
            DenseBlock { first_row: 3, x: (10..10 + 2 * k as u32).collect(), w: Arc::new(w), k, n };
        let gamma = E::new(Felt::new(0x1234_5678_9abc), Felt::new(0xfedc_ba98_7654_3210));
        let g = crate::linear::powers(gamma, 3 + block.outputs() + 2);
        let mut acc = vec![0i128; 40 * 2];
        block.add_coefficients(&g, &mut acc);
        let mut want = vec![E::ZERO; 40];
        for out in 0..block.outputs() {
            for (a, wv) in block.terms(out) {
                want[a as usize] += g[3 + out].mul_base(crate::field::felt(wv));
            }
        }
        let got: Vec<Felt> = acc.iter().map(|&v| Felt::new(v as u64)).collect();
        assert_eq!(E::slice_from_base_elements(&got), want.as_slice());
        // Bounds: term by term, with small bounds (64-bit sums), bounds whose sums pass 2^64
        // (128-bit), and one bound beyond 64 bits (saturating products).
        let sets: [fn(u128) -> u128; 3] =
            [|a| a * 3, |a| a << 30, |a| if a == 12 { 1 << 100 } else { a * 3 }];
        for set in sets {
            let bound: Vec<u128> = (0..40u128).map(set).collect();
            let (bounds, macs) = block.abs_bounds_and_macs(&bound);
            assert_eq!(macs, block.macs());
            for (out, got) in bounds.iter().enumerate() {
                let want = block.terms(out).iter().fold(0u128, |s, (a, w)| {
                    let b = bound[*a as usize];
                    s.saturating_add(u128::from(w.unsigned_abs()).saturating_mul(b))
                });
                assert_eq!(*got, want, "output {out}");
            }
        }
    }
}
