//! The Winterfell AIR of a program run.
//!
//! Main transition constraints: [`crate::constraints`] (label, degree and expression in one
//! table).
//!
//! Auxiliary: the LogUp bus (messages `alpha - beta * addr - beta^2 * value`, and
//! `alpha - beta * tag - beta^2 * x - beta^3 * y` for table entries): ten helper columns each
//! summing two fractions of the row (16 range lookups or zero-cell reads; the table entry with
//! multiplicity `-MULT` and slot `B`'s write with multiplicity `-FO_B`; the function-table
//! lookups `(LTAG, acc, V1 - OFFW)` of both slots with multiplicity `LSEL`) [3], and the running sum `(S' - S - sum h) * d(write A) + FO_A = 0` [3]; the linear
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
use crate::constraints::{eval_main, half_sums, wide_sums, MAIN};
use crate::field::{felt, Felt};
use crate::layout::{aux, main, ADDR_ZERO, FACTOR_OFFSET, LANES};
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
        let degree = |c: &crate::constraints::Constraint| TransitionConstraintDegree::new(c.degree);
        let main_degrees = MAIN.iter().map(degree).collect();
        let aux_degrees = crate::constraints::aux().iter().map(degree).collect();
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
        let dt = bus.entry(E::from(p.ttag), E::from(p.tx), E::from(p.ty));
        let nt = -E::from(m.mult);
        let dwb = bus.message(E::from(p.sb.aout), written_b);
        let nwb = -E::from(p.sb.fo);
        result[LANES / 2] = a[LANES / 2] * dt * dwb - (nt * dwb + nwb * dt);
        // Lookups `(LTAG, acc, V1 - OFFW)`: lookup nodes are narrow, so slot `A`'s value is
        // its half's `V1` (degree 1, where the wide sum has degree 2).
        let dla = bus.entry(E::from(p.sa.ltag), E::from(m.acc), E::from(ha[1] - p.sa.offw));
        let dlb = bus.entry(E::from(p.sb.ltag), E::from(m.acc_b), written_b);
        let (nla, nlb) = (E::from(p.sa.lsel), E::from(p.sb.lsel));
        result[LANES / 2 + 1] = a[LANES / 2 + 1] * dla * dlb - (nla * dlb + nlb * dla);
        // Factor reads of a product row: `(PAX, X)` and `(PAY, Y)`, multiplicity `PSEL`.
        let off = E::from(Felt::new(FACTOR_OFFSET));
        let dx = bus.message(E::from(p.pax), E::from(hb[1]) - off);
        let dy = bus.message(E::from(p.pay), E::from(hb[2]) - off);
        let (nx, ny) = (E::from(p.psel + p.dv), E::from(p.psel));
        result[LANES / 2 + 2] = a[LANES / 2 + 2] * dx * dy - (nx * dy + ny * dx);
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
            - (E::from((F::ONE - p.psel) * m.acc) + gk * E::from(m.acc_b));
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
