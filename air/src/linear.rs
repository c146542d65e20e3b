//! The linear relation: every node's accumulator equals `bias + sum_j w_j x_j` over its terms,
//! checked for all nodes at once by one random linear combination (Freivalds).
//!
//! After the main trace (accumulators and written values) is committed, the verifier draws
//! `gamma` from the extension field. With `g_r = gamma^r` the weight of node `r`, the honest
//! run satisfies
//!
//! ```text
//! sum_r g_r acc_r  =  sum_a c(a) x_a + sum_r g_r bias_r,      c(a) = sum_{r, (a, w) in terms_r} g_r w
//! ```
//!
//! where `x_a` is the value at address `a`: written by another node, or a public input. Node
//! `r` here is the node at *place* `r` ([`Schedule::place`]): slot `A` of row `r` or slot `B`
//! of row `r - K`. The trace carries `CW` and `CW_B` `= -c(address written) / gamma^row` by
//! each slot on every row (asserted: the verifier computes them from its own program) and the
//! sum `F`, by Horner's rule from the last row up:
//! `F[r] = gamma F[r+1] + acc_r + gamma^K acc_b_r + CW_r written_A + CW_B_r written_B`, so that
//! `F[0] = sum_r gamma^r (acc_r + gamma^K acc_b_r) - sum_r (c(a_A) written_A + c(a_B) written_B)`;
//! the verifier asserts `F[n-1] = 0` and `F[0] =` the public part (inputs and biases). Empty
//! slots carry a zero accumulator (the `idle` constraints), so weights they share with other
//! places do not matter. Cost: half a row per narrow node however many terms it has, and no
//! column for the weights `gamma^r` (Horner's rule applies them); the verifier does one
//! extension-by-base multiplication per term.

use std::sync::Mutex;

use winterfell::math::FieldElement;

use crate::dense::P;
use crate::field::{felt, Felt};
use crate::schedule::{Block, Schedule, Terms};

/// `gamma^0 .. gamma^(n-1)`.
pub(crate) fn powers<E: FieldElement>(gamma: E, n: usize) -> Vec<E> {
    let mut out = Vec::with_capacity(n);
    let mut g = E::ONE;
    for _ in 0..n {
        out.push(g);
        g *= gamma;
    }
    out
}

/// The verifier's side of the relation for one `gamma`.
pub(crate) struct LinearCheck<E> {
    /// `CW` on every row of the trace (length `schedule.len`): `-c(a) / gamma^row`.
    pub cw: Vec<E>,
    /// `CW_B` on every row of the trace.
    pub cw_b: Vec<E>,
    /// `F[n-1]`: the public inputs' and the biases' part.
    pub public: E,
}

/// The last [`LinearCheck`] computed for a public input, by `gamma`: the prover needs it twice
/// for one `gamma` (the auxiliary trace and the boundary assertions), and it costs a pass over
/// every weight.
#[derive(Debug, Default)]
pub(crate) struct LinearCache(Mutex<Option<CachedCheck>>);

/// A [`LinearCheck`] as base-field components, with the components of its `gamma`.
#[derive(Debug)]
struct CachedCheck {
    gamma: Vec<Felt>,
    cw: Vec<Felt>,
    cw_b: Vec<Felt>,
    public: Vec<Felt>,
}

impl LinearCache {
    /// [`check_values`], or the cached result for the same `gamma`.
    pub(crate) fn check<E: FieldElement<BaseField = Felt>>(
        &self,
        s: &Schedule,
        inputs: &[Vec<i64>],
        gamma: E,
    ) -> LinearCheck<E> {
        let key = E::slice_as_base_elements(&[gamma]).to_vec();
        let from = |v: &[Felt]| E::slice_from_base_elements(v).to_vec();
        if let Ok(guard) = self.0.lock() {
            if let Some(c) = guard.as_ref().filter(|c| c.gamma == key) {
                let public = from(&c.public).first().copied().unwrap_or(E::ZERO);
                return LinearCheck { cw: from(&c.cw), cw_b: from(&c.cw_b), public };
            }
        }
        let lin = check_values(s, inputs, gamma);
        if let Ok(mut guard) = self.0.lock() {
            *guard = Some(CachedCheck {
                gamma: key,
                cw: E::slice_as_base_elements(&lin.cw).to_vec(),
                cw_b: E::slice_as_base_elements(&lin.cw_b).to_vec(),
                public: E::slice_as_base_elements(&[lin.public]).to_vec(),
            });
        }
        lin
    }
}

/// Terms accumulated into one `i128` slot before every slot is reduced: each product is below
/// `2^64 * 2^32 = 2^96` in magnitude, so `2^30` of them stay far below `2^127`.
const FLUSH_EVERY: usize = 1 << 30;

/// `c(a)` for every address, by lazy reduction: per extension component, `sum_r g_r w` is
/// accumulated in `i128` (weights below `2^32` in magnitude multiply without reduction; larger
/// ones are reduced per product) and reduced once at the end. Rows are split over the rayon
/// threads, each with its own accumulators.
fn coefficients<E: FieldElement<BaseField = Felt>>(s: &Schedule, g: &[E], pw: &[E]) -> Vec<E> {
    use rayon::prelude::*;
    let d = E::EXTENSION_DEGREE;
    let n = s.addresses * d;
    let chunk = s.rows.len().div_ceil(rayon::current_num_threads()).max(1);
    let reduce = |v: &mut [i128]| v.iter_mut().for_each(|x| *x = x.rem_euclid(P));
    let sums = s
        .rows
        .par_chunks(chunk)
        .zip(g.par_chunks(chunk))
        .map(|(rows, gs)| {
            let mut acc = vec![0i128; n];
            let mut since_flush = 0usize;
            for (row, gr) in rows.iter().zip(gs) {
                let (Terms::List(range) | Terms::Quotient { list: range, .. }) = &row.terms else {
                    continue;
                };
                let gk: Vec<i128> =
                    (0..d).map(|k| i128::from(gr.base_element(k).as_int())).collect();
                let terms = s.terms.get(range.clone()).unwrap_or(&[]);
                for &(a, w) in terms {
                    let Some(slot) = acc.get_mut(a as usize * d..(a as usize + 1) * d) else {
                        continue;
                    };
                    if w.unsigned_abs() < 1 << 32 {
                        let w = i128::from(w);
                        for (x, g) in slot.iter_mut().zip(&gk) {
                            *x += g * w;
                        }
                    } else {
                        let wm = i128::from(w).rem_euclid(P) as u128;
                        for (x, g) in slot.iter_mut().zip(&gk) {
                            *x += ((*g as u128 * wm) % P as u128) as i128;
                        }
                    }
                }
                since_flush += terms.len();
                if since_flush >= FLUSH_EVERY {
                    reduce(&mut acc);
                    since_flush = 0;
                }
            }
            reduce(&mut acc);
            acc
        })
        .reduce(
            || vec![0i128; n],
            |mut x, y| {
                x.iter_mut().zip(y).for_each(|(x, y)| *x = (*x + y).rem_euclid(P));
                x
            },
        );
    let mut sums = sums;
    for block in &s.blocks {
        if let Block::Dense(dense) = block {
            dense.add_coefficients(g, &mut sums);
        }
    }
    let base: Vec<Felt> = sums.iter().map(|&v| Felt::new(v as u64)).collect();
    let mut c = E::slice_from_base_elements(&base).to_vec();
    for block in &s.blocks {
        if let Block::Conv(conv) = block {
            conv.add_coefficients(g, pw, &mut c);
        }
    }
    c
}

/// Computes `CW` and the public part of the relation from the schedule, the public inputs and
/// `gamma`.
pub(crate) fn check_values<E: FieldElement<BaseField = Felt>>(
    s: &Schedule,
    inputs: &[Vec<i64>],
    gamma: E,
) -> LinearCheck<E> {
    let pw = powers(gamma, s.rows.len());
    // Node weights in program order: `gamma^place`.
    let g: Vec<E> =
        s.place.iter().map(|&p| pw.get(p as usize).copied().unwrap_or(E::ZERO)).collect();
    let c = coefficients(s, &g, &pw);
    let mut public = E::ZERO;
    for (row, gr) in s.rows.iter().zip(&g) {
        public += gr.mul_base(felt(row.bias));
    }
    for (addrs, vals) in s.inputs.iter().zip(inputs) {
        for (a, x) in addrs.iter().zip(vals) {
            if let Some(ca) = c.get(*a as usize) {
                public += ca.mul_base(felt(*x));
            }
        }
    }
    // Row r's terms enter `F[0]` with weight gamma^r: its written values' coefficients are
    // divided by it.
    let inv = powers(gamma.inv(), s.len);
    let mut cw = vec![E::ZERO; s.len];
    let mut cw_b = vec![E::ZERO; s.len];
    for (node, row) in s.rows.iter().enumerate() {
        let slot = s.slot(node);
        let col = if slot.b { &mut cw_b } else { &mut cw };
        if let (Some(x), Some(ca), Some(ir)) =
            (col.get_mut(slot.row), c.get(row.addr as usize), inv.get(slot.row))
        {
            *x = -*ca * *ir;
        }
    }
    LinearCheck { cw, cw_b, public }
}
