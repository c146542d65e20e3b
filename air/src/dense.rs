//! Dense blocks: the nodes of a product `acc = x W + bias` with a constant 2-D weight matrix,
//! kept as the matrix itself instead of one term list per node. Every pass over a block
//! (accumulators, bounds, the verifier's coefficients) sweeps `W` row by row, so a layer of
//! millions of weights costs one sequential read of them, and the schedule holds one copy.

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
    /// Weights, `k x n` row-major (integers at the weights' scale).
    pub w: Vec<i64>,
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
    /// value read (saturating).
    pub fn abs_bounds(&self, bound: &[u128]) -> Vec<u128> {
        let mut out = vec![0u128; self.outputs()];
        for (b, i, row) in self.lines() {
            let bx = bound.get(self.x[b * self.k + i] as usize).copied().unwrap_or(u128::MAX);
            let acc = &mut out[b * self.n..(b + 1) * self.n];
            for (a, w) in acc.iter_mut().zip(row) {
                *a = a.saturating_add(u128::from(w.unsigned_abs()).saturating_mul(bx));
            }
        }
        out
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
        // Components of g by batch row: comps[b][c][j].
        let comps: Vec<Vec<Vec<i128>>> = rows
            .chunks(self.n.max(1))
            .map(|gs| {
                (0..d)
                    .map(|c| gs.iter().map(|g| i128::from(g.base_element(c).as_int())).collect())
                    .collect()
            })
            .collect();
        let lines: Vec<(usize, usize, &[i64])> = self.lines().collect();
        let sums: Vec<(u32, Vec<i128>)> = lines
            .par_iter()
            .filter_map(|&(b, i, row)| {
                let gb = comps.get(b)?;
                let sums = gb
                    .iter()
                    .map(|gc| {
                        let mut s = 0i128;
                        for (g, w) in gc.iter().zip(row) {
                            s += if w.unsigned_abs() < 1 << 32 {
                                g * i128::from(*w)
                            } else {
                                ((*g as u128 * i128::from(*w).rem_euclid(P) as u128) % P as u128)
                                    as i128
                            };
                        }
                        s.rem_euclid(P)
                    })
                    .collect();
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
