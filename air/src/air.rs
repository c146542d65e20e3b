//! The Winterfell AIR of a program run.
//!
//! Main transition constraints (degree in brackets), with `T_X`, `V1_X`, `V2_X` the limb sums
//! of half `X`'s lane groups, `T = T_A + WIDE 2^16 T_B`, `V1 = V1_A + WIDE 2^24 V1_B`,
//! `V2 = V2_A + WIDE 2^24 V2_B` slot `A`'s sums, and all capitals periodic (`_A`, `_B` the
//! slot's fields):
//!
//! - `requant A` [3]: `TSH_A * acc + E_A - TP_A * V1 + TP2_A * V2 - QSEL_A * T = 0`
//! - `requant B` [2]: `TSH_B * acc_b + E_B - TP_B * V1_B + TP2_B * V2_B - QSEL_B * T_B = 0`
//! - `relu A`, `relu B` [3]: `RELU_X * V1_X * V2_X = 0`
//! - `relu wide` [3]: `RELUW * (V1_A * V2_B + V1_B * V2_A) = 0` (with the two above and
//!   non-negative limb sums: `V1 * V2 = 0` on a wide row)
//! - `division A` [3], `division B` [2]: `DSEL_X * (T + V2) - DM1_X = 0`
//! - `idle A`, `idle B` [2]: `(1 - QSEL_X) * acc_x = 0` (a slot without a node, and every
//!   padding row, carries a zero accumulator: weights of empty slots may coincide with
//!   other nodes' weights)
//!
//! Auxiliary: the LogUp bus (messages `alpha - beta * addr - beta^2 * value`): nine helper
//! columns each summing two fractions of the row (16 range lookups or zero-cell reads; the
//! range-table entry with multiplicity `-MULT` and slot `B`'s write with multiplicity
//! `-FO_B`) [3], and the running sum `(S' - S - sum h) * d(write A) + FO_A = 0` [3]; the linear
//! relation ([`crate::linear`]), Horner's rule from the last row up:
//! `F = gamma F' + CW (V1 - OFFW_A) + CW_B (V1_B - OFFW_B) + acc + gamma^K acc_b` [3].
//! Boundary: `S[0] = 0`, `S[n-1]` equals the public contribution (the zero cell written by the
//! verifier, program outputs read by it), `acc[n-1] = 0` (padding), `CW` and `CW_B` equal to
//! the verifier's coefficients (divided by `gamma^row`) on every row, `F[n-1] = 0` and `F[0]`
//! equal to the public part of the linear relation.

use std::sync::Arc;

use winterfell::math::{ExtensionOf, FieldElement, ToElements};
use winterfell::{
    Air, AirContext, Assertion, AuxRandElements, EvaluationFrame, ProofOptions, TraceInfo,
    TransitionConstraintDegree,
};

use crate::bus::Bus;
use crate::cols::{MainCols, PeriodicCols};
use crate::field::{felt, Felt};
use crate::layout::{aux, main, ADDR_ZERO, HALF, LANES, LIMB_BITS, T_LANES, V1_LANES, V2_LANES};
use crate::linear::LinearCache;
use crate::schedule::Schedule;

/// Public inputs of a proof: the program digest, the quantised input tensors and the output
/// tensors (integers at their tensors' scales). The schedule rides along for the AIR; only the
/// public data is absorbed into the transcript.
#[derive(Debug, Clone)]
pub struct PublicInputs {
    /// Program digest.
    pub digest: [u8; 32],
    /// Quantised inputs, per program input, row-major.
    pub inputs: Vec<Vec<i64>>,
    /// Outputs, per program output, row-major.
    pub outputs: Vec<Vec<i64>>,
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) periodic: Arc<Vec<Vec<Felt>>>,
    pub(crate) polys: Option<Arc<Vec<Vec<Felt>>>>,
    pub(crate) linear: Arc<LinearCache>,
}

impl PublicInputs {
    /// Binds public data to a schedule (which must be the program's).
    pub fn new(schedule: Arc<Schedule>, inputs: Vec<Vec<i64>>, outputs: Vec<Vec<i64>>) -> Self {
        let periodic = Arc::new(schedule.periodic_columns());
        PublicInputs {
            digest: schedule.digest.0,
            inputs,
            outputs,
            schedule,
            periodic,
            polys: None,
            linear: Arc::default(),
        }
    }

    /// Binds public data to a prepared verifying key (schedule, columns and their polynomials).
    pub fn with_key(key: &VerifyingKey, inputs: Vec<Vec<i64>>, outputs: Vec<Vec<i64>>) -> Self {
        PublicInputs {
            digest: key.schedule.digest.0,
            inputs,
            outputs,
            schedule: key.schedule.clone(),
            periodic: key.periodic.clone(),
            polys: Some(key.polys.clone()),
            linear: Arc::default(),
        }
    }
}

/// The verifying key of a program: its schedule, periodic columns and their interpolated
/// polynomials. Deriving it is most of the cost of a first verification; a service that
/// verifies many runs of one model prepares it once.
#[derive(Debug, Clone)]
pub struct VerifyingKey {
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) periodic: Arc<Vec<Vec<Felt>>>,
    pub(crate) polys: Arc<Vec<Vec<Felt>>>,
}

impl VerifyingKey {
    /// Derives the key from a schedule.
    pub fn from_schedule(schedule: Arc<Schedule>) -> Self {
        let periodic = Arc::new(schedule.periodic_columns());
        let polys = Arc::new(interpolate(&periodic));
        VerifyingKey { schedule, periodic, polys }
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}

/// Coefficients of every periodic column (inverse FFT; twiddles shared per length, columns
/// in parallel).
pub(crate) fn interpolate(columns: &[Vec<Felt>]) -> Vec<Vec<Felt>> {
    use rayon::prelude::*;
    use winterfell::math::fft;
    let mut lengths: Vec<usize> = columns.iter().map(Vec::len).collect();
    lengths.sort_unstable();
    lengths.dedup();
    let twiddles: Vec<(usize, Vec<Felt>)> =
        lengths.into_iter().map(|n| (n, fft::get_inv_twiddles::<Felt>(n))).collect();
    columns
        .par_iter()
        .map(|c| {
            let mut poly = c.clone();
            if let Some((_, tw)) = twiddles.iter().find(|(n, _)| *n == c.len()) {
                fft::interpolate_poly(&mut poly, tw);
            }
            poly
        })
        .collect()
}

impl ToElements<Felt> for PublicInputs {
    fn to_elements(&self) -> Vec<Felt> {
        let mut out: Vec<Felt> = self
            .digest
            .chunks(4)
            .map(|c| Felt::new(u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))))
            .collect();
        for group in [&self.inputs, &self.outputs] {
            out.push(Felt::new(group.len() as u64));
            for t in group {
                out.push(Felt::new(t.len() as u64));
                out.extend(t.iter().map(|&v| felt(v)));
            }
        }
        out
    }
}

/// The AIR of one program's runs.
pub struct ModelAir {
    context: AirContext<Felt>,
    public: PublicInputs,
    /// `gamma^K` (slot `B`'s weight factor, `K` the pairing offset) for the last `gamma`, as
    /// base-field components: `(gamma, gamma^K)`. The constraint evaluator asks for it on every
    /// row of the evaluation domain.
    gamma_k: std::sync::OnceLock<(Vec<Felt>, Vec<Felt>)>,
}

impl ModelAir {
    /// `gamma^K`, computed once per `gamma`.
    fn gamma_k<E: FieldElement<BaseField = Felt>>(&self, gamma: E) -> E {
        let key = E::slice_as_base_elements(std::slice::from_ref(&gamma));
        let (g, gk) = self.gamma_k.get_or_init(|| {
            let gk = pow(gamma, self.public.schedule.pair_offset);
            (key.to_vec(), E::slice_as_base_elements(&[gk]).to_vec())
        });
        match E::slice_from_base_elements(gk).first() {
            Some(v) if g.as_slice() == key => *v,
            _ => pow(gamma, self.public.schedule.pair_offset),
        }
    }
}

/// The main transition constraints on row `c` with periodic values `p`, in
/// [`crate::layout::MAIN_CONSTRAINTS`] order.
pub(crate) fn eval_main<E: FieldElement<BaseField = Felt>>(c: &[E], p: &[E], result: &mut [E]) {
    let (c, p) = (MainCols::view(c), PeriodicCols::view(p));
    let [ha, hb] = half_sums(&c.x);
    let [t, v1, v2] = wide_sums(ha, hb, p.wide);
    let (sa, sb) = (&p.sa, &p.sb);
    result[0] = sa.tsh * c.acc + sa.e - sa.tp * v1 + sa.tp2 * v2 - sa.qsel * t;
    result[1] = sb.tsh * c.acc_b + sb.e - sb.tp * hb[1] + sb.tp2 * hb[2] - sb.qsel * hb[0];
    result[2] = sa.relu * ha[1] * ha[2];
    result[3] = sb.relu * hb[1] * hb[2];
    result[4] = p.reluw * (ha[1] * hb[2] + hb[1] * ha[2]);
    result[5] = sa.dsel * (t + v2) - sa.dm1;
    result[6] = sb.dsel * (hb[0] + hb[2]) - sb.dm1;
    result[7] = (E::ONE - sa.qsel) * c.acc;
    result[8] = (E::ONE - sb.qsel) * c.acc_b;
}

/// Limb sums `[T, V1, V2]` of each half of a row's lanes.
pub(crate) fn half_sums<E: FieldElement>(x: &[E]) -> [[E; 3]; 2] {
    let sum = |lanes: std::ops::Range<usize>, base: usize| {
        let mut acc = E::ZERO;
        for i in lanes.rev() {
            acc = acc * E::from(1u32 << LIMB_BITS) + x[base + i];
        }
        acc
    };
    [0, HALF].map(|base| [sum(T_LANES, base), sum(V1_LANES, base), sum(V2_LANES, base)])
}

/// Slot `A`'s limb sums `[T, V1, V2]`: its half's, plus the other half's shifted up on a wide
/// row (`wide` is 1 there, 0 elsewhere).
pub(crate) fn wide_sums<E: FieldElement>(ha: [E; 3], hb: [E; 3], wide: E) -> [E; 3] {
    let k = |lanes: std::ops::Range<usize>| E::from(1u32 << (LIMB_BITS as usize * lanes.len()));
    [
        ha[0] + wide * k(T_LANES) * hb[0],
        ha[1] + wide * k(V1_LANES) * hb[1],
        ha[2] + wide * k(V2_LANES) * hb[2],
    ]
}

/// `g^k` by repeated squaring.
pub(crate) fn pow<E: FieldElement>(g: E, mut k: usize) -> E {
    let (mut acc, mut base) = (E::ONE, g);
    while k > 0 {
        if k & 1 == 1 {
            acc *= base;
        }
        base = base.square();
        k >>= 1;
    }
    acc
}

impl Air for ModelAir {
    type BaseField = Felt;
    type PublicInputs = PublicInputs;

    fn new(trace_info: TraceInfo, public: PublicInputs, options: ProofOptions) -> Self {
        let main_degrees =
            [3, 2, 3, 3, 3, 3, 2, 2, 2].map(TransitionConstraintDegree::new).to_vec();
        let mut aux_degrees = vec![TransitionConstraintDegree::new(3); aux::HELPERS];
        aux_degrees.push(TransitionConstraintDegree::new(3));
        aux_degrees.push(TransitionConstraintDegree::new(3));
        // Main: acc[n-1] = 0. Aux: S[0], S[n-1], F[0], F[n-1], and CW, CW_B on even and on
        // odd rows.
        let context =
            AirContext::new_multi_segment(trace_info, main_degrees, aux_degrees, 1, 8, options);
        ModelAir { context, public, gamma_k: std::sync::OnceLock::new() }
    }

    fn context(&self) -> &AirContext<Felt> {
        &self.context
    }

    fn get_periodic_column_values(&self) -> Vec<Vec<Felt>> {
        self.public.periodic.as_ref().clone()
    }

    fn get_periodic_column_polys(&self) -> Vec<Vec<Felt>> {
        match &self.public.polys {
            Some(p) => p.as_ref().clone(),
            None => interpolate(&self.public.periodic),
        }
    }

    fn evaluate_transition<E: FieldElement<BaseField = Felt>>(
        &self,
        frame: &EvaluationFrame<E>,
        p: &[E],
        result: &mut [E],
    ) {
        eval_main(frame.current(), p, result);
    }

    fn evaluate_aux_transition<F, E>(
        &self,
        main_frame: &EvaluationFrame<F>,
        aux_frame: &EvaluationFrame<E>,
        p: &[F],
        rand: &AuxRandElements<E>,
        result: &mut [E],
    ) where
        F: FieldElement<BaseField = Felt>,
        E: FieldElement<BaseField = Felt> + ExtensionOf<F>,
    {
        let r = rand.rand_elements();
        let (bus, gamma) = (Bus::new(r), r[2]);
        let gk = self.gamma_k(gamma);
        let m = main_frame.current();
        let a = aux_frame.current();
        let an = aux_frame.next();
        let (m, p) = (MainCols::view(m), PeriodicCols::view(p));
        let lane = |i: usize| bus.message(E::from(p.a[i]), E::from(m.x[i]));
        for k in 0..LANES / 2 {
            let (d0, d1) = (lane(2 * k), lane(2 * k + 1));
            result[k] = a[k] * d0 * d1 - (d0 + d1);
        }
        let [ha, hb] = half_sums(&m.x);
        let [_, v1, _] = wide_sums(ha, hb, p.wide);
        let (written_a, written_b) = (E::from(v1 - p.sa.offw), E::from(hb[1] - p.sb.offw));
        let dt = bus.table(E::from(p.tab));
        let nt = -E::from(m.mult);
        let dwb = bus.message(E::from(p.sb.aout), written_b);
        let nwb = -E::from(p.sb.fo);
        result[LANES / 2] = a[LANES / 2] * dt * dwb - (nt * dwb + nwb * dt);
        let dwa = bus.message(E::from(p.sa.aout), written_a);
        let nwa = -E::from(p.sa.fo);
        let mut s = an[aux::S] - a[aux::S];
        for h in &a[..aux::HELPERS] {
            s -= *h;
        }
        result[aux::HELPERS] = s * dwa - nwa;
        result[aux::HELPERS + 1] = a[aux::F]
            - gamma * an[aux::F]
            - a[aux::CW] * written_a
            - a[aux::CW_B] * written_b
            - (E::from(m.acc) + gk * E::from(m.acc_b));
    }

    fn get_assertions(&self) -> Vec<Assertion<Felt>> {
        // Winterfell needs one main assertion; the last row is padding (transition-exempt),
        // and its accumulator is 0.
        vec![Assertion::single(main::ACC, self.trace_length() - 1, Felt::ZERO)]
    }

    fn get_aux_assertions<E: FieldElement<BaseField = Felt>>(
        &self,
        rand: &AuxRandElements<E>,
    ) -> Vec<Assertion<E>> {
        let r = rand.rand_elements();
        let last = self.trace_length() - 1;
        let lin = self.public.linear.check(&self.public.schedule, &self.public.inputs, r[2]);
        let even = |v: &[E]| v.iter().step_by(2).copied().collect();
        let odd = |v: &[E]| v.iter().skip(1).step_by(2).copied().collect();
        vec![
            Assertion::single(aux::S, 0, E::ZERO),
            Assertion::single(aux::S, last, public_sum(&self.public, r)),
            Assertion::single(aux::F, 0, lin.public),
            Assertion::single(aux::F, last, E::ZERO),
            Assertion::sequence(aux::CW, 0, 2, even(&lin.cw)),
            Assertion::sequence(aux::CW, 1, 2, odd(&lin.cw)),
            Assertion::sequence(aux::CW_B, 0, 2, even(&lin.cw_b)),
            Assertion::sequence(aux::CW_B, 1, 2, odd(&lin.cw_b)),
        ]
    }
}

/// The bus contribution of public data: inputs and the zero cell written with their fan-outs,
/// outputs read once.
pub(crate) fn public_sum<E: FieldElement<BaseField = Felt>>(public: &PublicInputs, r: &[E]) -> E {
    let bus = Bus::new(r);
    let msg =
        |addr: u32, v: i64| bus.message(E::from(Felt::new(u64::from(addr))), E::from(felt(v)));
    let s = &public.schedule;
    let mut total = E::ZERO;
    for (addrs, vals) in s.inputs.iter().zip(&public.inputs) {
        for (a, v) in addrs.iter().zip(vals) {
            let fo = s.fanout.get(*a as usize).copied().unwrap_or(0);
            if fo > 0 {
                total += E::from(Felt::new(fo)) * msg(*a, *v).inv();
            }
        }
    }
    if s.zero_reads > 0 {
        total += E::from(Felt::new(s.zero_reads)) * msg(ADDR_ZERO, 0).inv();
    }
    for (addrs, vals) in s.outputs.iter().zip(&public.outputs) {
        for (a, v) in addrs.iter().zip(vals) {
            total -= msg(*a, *v).inv();
        }
    }
    total
}
