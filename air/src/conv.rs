//! Convolution blocks: the nodes of a `Conv` with constant weights, kept as the kernel and a
//! tap table instead of one term list per output. The verifier's coefficients use separable
//! challenges: output `(b, o, p)` (batch, channel, position) has weight
//! `g = gamma^(first + (b M + o) P + p) = G(b, o) * gamma^p`, so
//! `c(x[b, i, q]) = sum_{k} u(b, i, k) gamma^(p(q, k))` with `u(b, i, k) = sum_o G(b, o) W[o, i, k]`:
//! `O(batch * weights)` for `u` plus `O(batch * inputs channels * kernel * positions)`, not
//! `O(MACs)` (a factor of the output channels per group less).

use std::sync::Arc;

use runtime::shape::{positions, strides, window_offset};
use runtime::ConvParams;
use winterfell::math::FieldElement;

use crate::field::{felt, Felt};

/// Marks a tap that falls into padding.
const PAD: u32 = u32::MAX;

/// A convolution with constant weights over a run-time input, one node per output element
/// (`batch x M x positions`, row-major) on consecutive rows from `first_row`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvBlock {
    /// Row of the node of output 0.
    pub first_row: usize,
    /// Bus addresses of the input, `batch x C_in x input positions` row-major.
    pub x: Vec<u32>,
    /// Kernel, `M x C_in/group x kernel positions` row-major.
    pub w: Arc<Vec<i64>>,
    /// Batch size.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub m: usize,
    /// Channel groups.
    pub group: usize,
    /// Input positions (product of the spatial input dims).
    pub in_sp: usize,
    /// Kernel positions.
    pub k_sp: usize,
    /// Output positions.
    pub o_sp: usize,
    /// `taps[p * k_sp + k]`: input position read by kernel position `k` of output position `p`
    /// (`u32::MAX` in padding).
    pub taps: Vec<u32>,
}

impl ConvBlock {
    /// The block of a convolution of input `x` (shape `x_shape`) by kernel `w` (shape
    /// `w_shape`) with output spatial dims `odims`.
    pub fn new(
        x: Vec<u32>,
        w: Arc<Vec<i64>>,
        x_shape: &[usize],
        w_shape: &[usize],
        odims: &[usize],
        cp: &ConvParams,
    ) -> ConvBlock {
        let dims = x_shape.get(2..).unwrap_or(&[]);
        let kdims = w_shape.get(2..).unwrap_or(&[]);
        let (in_sp, k_sp) = (dims.iter().product(), kdims.iter().product::<usize>());
        let st = strides(dims);
        let (opos, kpos) = (positions(odims), positions(kdims));
        let o_sp = opos.len();
        let mut taps = Vec::with_capacity(o_sp * k_sp);
        for op in &opos {
            for kp in &kpos {
                let off = window_offset(op, kp, &cp.strides, &cp.dilations, &cp.pads, dims, &st);
                taps.push(off.map_or(PAD, |o| o as u32));
            }
        }
        ConvBlock {
            first_row: 0,
            x,
            w,
            batch: x_shape.first().copied().unwrap_or(1),
            c_in: x_shape.get(1).copied().unwrap_or(1),
            m: w_shape.first().copied().unwrap_or(1),
            group: cp.group.max(1),
            in_sp,
            k_sp,
            o_sp,
            taps,
        }
    }

    /// Number of outputs (nodes).
    pub fn outputs(&self) -> usize {
        self.batch * self.m * self.o_sp
    }

    fn c_per(&self) -> usize {
        self.c_in / self.group
    }

    /// Every `(output, input address, weight)` with a non-zero weight, visited kernel weight by
    /// kernel weight (each weight read once per batch item).
    fn for_each_tap(&self, mut f: impl FnMut(usize, u32, i64)) {
        let (c_per, m_per) = (self.c_per(), self.m / self.group);
        for b in 0..self.batch {
            for oc in 0..self.m {
                let g = oc / m_per.max(1);
                for c in 0..c_per {
                    let base = (b * self.c_in + g * c_per + c) * self.in_sp;
                    for k in 0..self.k_sp {
                        let wv = self.w[(oc * c_per + c) * self.k_sp + k];
                        if wv == 0 {
                            continue;
                        }
                        for p in 0..self.o_sp {
                            let t = self.taps[p * self.k_sp + k];
                            if t != PAD {
                                f((b * self.m + oc) * self.o_sp + p, self.x[base + t as usize], wv);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The terms of output `out`, zero weights and padding left out (for debugging and tests).
    pub fn terms(&self, out: usize) -> Vec<(u32, i64)> {
        let mut t = Vec::new();
        self.for_each_tap(|o, a, w| {
            if o == out {
                t.push((a, w));
            }
        });
        t
    }

    /// Multiply-accumulates of one run (non-zero weights on input positions): per kernel
    /// weight, the output positions whose tap is not in padding.
    pub fn macs(&self) -> u64 {
        let mut valid = vec![0u64; self.k_sp];
        for (i, &t) in self.taps.iter().enumerate() {
            if t != PAD {
                valid[i % self.k_sp.max(1)] += 1;
            }
        }
        let per_item: u64 = self
            .w
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0)
            .map(|(i, _)| valid[i % self.k_sp.max(1)])
            .sum();
        per_item * self.batch as u64
    }

    /// `sum x w` over the taps of every output, with `value(address)` the value read.
    pub fn products(&self, value: impl Fn(u32) -> i128) -> Vec<i128> {
        let mut out = vec![0i128; self.outputs()];
        self.for_each_tap(|o, a, w| out[o] += value(a) * i128::from(w));
        out
    }

    /// Upper bounds of `sum |w| B(x)` over the taps of every output (saturating), in
    /// `O(batch * weights + inputs + outputs * distinct padding patterns / positions)`, not
    /// `O(MACs)`: every input is bounded by the largest bound of its channel, `B(b, c)`; then
    /// `U(b, o, k) = sum_c |W[o, c, k]| B(b, c)` per kernel position, and an output position
    /// sums `U` over the kernel positions whose tap is not in padding. Positions with the same
    /// padding pattern share the sum. Exact when each input channel's bounds are uniform; an
    /// upper bound otherwise.
    pub fn abs_bounds(&self, bound: &[u128]) -> Vec<u128> {
        use rayon::prelude::*;
        let (c_per, m_per) = (self.c_per(), (self.m / self.group).max(1));
        let (k_sp, o_sp) = (self.k_sp, self.o_sp.max(1));
        let chan_max: Vec<u128> = self
            .x
            .chunks(self.in_sp.max(1))
            .map(|ch| {
                ch.iter()
                    .map(|&a| bound.get(a as usize).copied().unwrap_or(u128::MAX))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let (masks, mask_of) = self.padding_patterns();
        let mut out = vec![0u128; self.outputs()];
        out.par_chunks_mut(o_sp).enumerate().for_each(|(bo, acc)| {
            let (b, oc) = (bo / self.m.max(1), bo % self.m.max(1));
            let g = oc / m_per;
            let mut u = vec![0u128; k_sp];
            for c in 0..c_per {
                let bc = chan_max.get(b * self.c_in + g * c_per + c).copied().unwrap_or(u128::MAX);
                let ws = self.w.get((oc * c_per + c) * k_sp..(oc * c_per + c + 1) * k_sp);
                for (uk, w) in u.iter_mut().zip(ws.unwrap_or(&[])) {
                    *uk = uk.saturating_add(u128::from(w.unsigned_abs()).saturating_mul(bc));
                }
            }
            let sums: Vec<u128> = masks
                .iter()
                .map(|m| {
                    m.iter()
                        .zip(&u)
                        .filter(|(v, _)| **v)
                        .fold(0u128, |s, (_, x)| s.saturating_add(*x))
                })
                .collect();
            for (a, &mi) in acc.iter_mut().zip(&mask_of) {
                *a = sums.get(mi).copied().unwrap_or(u128::MAX);
            }
        });
        out
    }

    /// The distinct padding patterns of the output positions (per kernel position: does its
    /// tap read an input?) and each position's pattern index.
    fn padding_patterns(&self) -> (Vec<Vec<bool>>, Vec<usize>) {
        let mut masks: Vec<Vec<bool>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mask_of = self
            .taps
            .chunks(self.k_sp.max(1))
            .take(self.o_sp)
            .map(|t| {
                let m: Vec<bool> = t.iter().map(|&t| t != PAD).collect();
                *index.entry(m.clone()).or_insert_with(|| {
                    masks.push(m);
                    masks.len() - 1
                })
            })
            .collect();
        (masks, mask_of)
    }

    /// Adds `c(a) += sum over taps reading a of g_(node of the output) w` into `c`, for the
    /// node weights `g` (`gamma^place`; a block's nodes have consecutive places, so output
    /// position `p` of a channel weighs the channel's first weight times `pw[p] = gamma^p`),
    /// by separable challenges.
    pub(crate) fn add_coefficients<E: FieldElement<BaseField = Felt>>(
        &self,
        g: &[E],
        pw: &[E],
        c: &mut [E],
    ) {
        let (c_per, m_per) = (self.c_per(), (self.m / self.group).max(1));
        let head = |b: usize, oc: usize| {
            g.get(self.first_row + (b * self.m + oc) * self.o_sp).copied().unwrap_or(E::ZERO)
        };
        for b in 0..self.batch {
            for ic in 0..self.c_in {
                let (grp, cc) = (ic / c_per.max(1), ic % c_per.max(1));
                let base = (b * self.c_in + ic) * self.in_sp;
                for k in 0..self.k_sp {
                    let mut u = E::ZERO;
                    for oc in grp * m_per..(grp + 1) * m_per {
                        let wv = self.w[(oc * c_per + cc) * self.k_sp + k];
                        if wv != 0 {
                            u += head(b, oc).mul_base(felt(wv));
                        }
                    }
                    if u == E::ZERO {
                        continue;
                    }
                    for p in 0..self.o_sp {
                        let t = self.taps[p * self.k_sp + k];
                        if t == PAD {
                            continue;
                        }
                        let a = self.x[base + t as usize] as usize;
                        if let (Some(slot), Some(gp)) = (c.get_mut(a), pw.get(p)) {
                            *slot += u * *gp;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_bound_the_tap_by_tap_figures_and_macs_equal_them() {
        // Two batch items, 4 input channels in 2 groups, a padded strided 3x3 kernel with some
        // zero weights, and one input bound beyond 64 bits.
        let cp = ConvParams {
            strides: vec![2, 1],
            dilations: vec![1, 2],
            pads: vec![1, 2, 0, 1],
            group: 2,
        };
        let (x_shape, w_shape, odims) = ([2usize, 4, 5, 6], [6usize, 2, 3, 3], [2usize, 5]);
        let n_in: usize = x_shape.iter().product();
        let w: Vec<i64> =
            (0..108).map(|i| if i % 7 == 3 { 0 } else { i as i64 * 37 - 2000 }).collect();
        let block = ConvBlock::new(
            (2..2 + n_in as u32).collect(),
            Arc::new(w),
            &x_shape,
            &w_shape,
            &odims,
            &cp,
        );
        let tap_by_tap = |bound: &[u128]| {
            let mut want = vec![0u128; block.outputs()];
            let mut macs = 0u64;
            block.for_each_tap(|o, a, w| {
                want[o] = want[o]
                    .saturating_add(u128::from(w.unsigned_abs()).saturating_mul(bound[a as usize]));
                macs += 1;
            });
            (want, macs)
        };
        // Uniform bounds per input channel (one channel beyond 64 bits): exact.
        let in_sp = 30u128;
        let uniform: Vec<u128> = (0..n_in as u128 + 2)
            .map(|a| a.saturating_sub(2) / in_sp)
            .map(|ch| if ch == 3 { 1 << 90 } else { ch * ch + 1 })
            .collect();
        let (want, macs) = tap_by_tap(&uniform);
        assert_eq!(block.abs_bounds(&uniform), want);
        assert_eq!(block.macs(), macs);
        // Varying bounds: an upper bound, exact where it must be (all of a channel's
        // inputs at its maximum gives the same figures).
        let varying: Vec<u128> = (0..n_in as u128 + 2).map(|a| (a * a) % 1000).collect();
        let (want, _) = tap_by_tap(&varying);
        let got = block.abs_bounds(&varying);
        assert!(got.iter().zip(&want).all(|(g, w)| g >= w));
        assert!(got.iter().zip(&want).any(|(g, w)| g > w));
    }
}
