//! Proving: schedule, witness, trace, Winterfell.

use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use runtime::{Program, Tensor};
use winterfell::crypto::{DefaultRandomCoin, ElementHasher, MerkleTree};
use winterfell::math::{batch_inversion, FieldElement};
use winterfell::matrix::ColMatrix;
use winterfell::{
    AuxRandElements, CompositionPoly, CompositionPolyTrace, ConstraintCompositionCoefficients,
    DefaultConstraintCommitment, DefaultConstraintEvaluator, DefaultTraceLde, PartitionOptions,
    ProofOptions, Prover, StarkDomain, Trace, TraceInfo, TracePolyTable,
};

use crate::air::{pow, ModelAir, PublicInputs};
use crate::bus::Bus;
use crate::constraints::{half_sums, wide_sums};
use crate::debug::check_main;
use crate::error::ProveError;
use crate::field::Felt;
use crate::hash::{Blake2s256Hasher, Blake3Hasher};
use crate::layout::{aux, main, periodic as P, FACTOR_OFFSET, LANES};
use crate::options::{HashKind, Preset};
use crate::proof_file::RunProof;
use crate::schedule::Schedule;
use crate::trace::{build_rows, to_columns, ModelTrace};

/// The Winterfell prover of [`ModelAir`] with hash `H`.
pub struct ModelProver<H> {
    options: ProofOptions,
    public: PublicInputs,
    _hash: PhantomData<H>,
}

impl<H> Prover for ModelProver<H>
where
    H: ElementHasher<BaseField = Felt> + Sync,
{
    type BaseField = Felt;
    type Air = ModelAir;
    type Trace = ModelTrace;
    type HashFn = H;
    type VC = MerkleTree<H>;
    type RandomCoin = DefaultRandomCoin<H>;
    type TraceLde<E: FieldElement<BaseField = Felt>> = DefaultTraceLde<E, H, MerkleTree<H>>;
    type ConstraintEvaluator<'a, E: FieldElement<BaseField = Felt>> =
        DefaultConstraintEvaluator<'a, ModelAir, E>;
    type ConstraintCommitment<E: FieldElement<BaseField = Felt>> =
        DefaultConstraintCommitment<E, H, MerkleTree<H>>;

    fn get_pub_inputs(&self, _trace: &ModelTrace) -> PublicInputs {
        self.public.clone()
    }

    fn options(&self) -> &ProofOptions {
        &self.options
    }

    fn new_trace_lde<E: FieldElement<BaseField = Felt>>(
        &self,
        trace_info: &TraceInfo,
        main_trace: &ColMatrix<Felt>,
        domain: &StarkDomain<Felt>,
        partition_option: PartitionOptions,
    ) -> (Self::TraceLde<E>, TracePolyTable<E>) {
        DefaultTraceLde::new(trace_info, main_trace, domain, partition_option)
    }

    fn new_evaluator<'a, E: FieldElement<BaseField = Felt>>(
        &self,
        air: &'a ModelAir,
        aux_rand_elements: Option<AuxRandElements<E>>,
        composition_coefficients: ConstraintCompositionCoefficients<E>,
    ) -> Self::ConstraintEvaluator<'a, E> {
        DefaultConstraintEvaluator::new(air, aux_rand_elements, composition_coefficients)
    }

    fn build_constraint_commitment<E: FieldElement<BaseField = Felt>>(
        &self,
        composition_poly_trace: CompositionPolyTrace<E>,
        num_constraint_composition_columns: usize,
        domain: &StarkDomain<Felt>,
        partition_options: PartitionOptions,
    ) -> (Self::ConstraintCommitment<E>, CompositionPoly<E>) {
        DefaultConstraintCommitment::new(
            composition_poly_trace,
            num_constraint_composition_columns,
            domain,
            partition_options,
        )
    }

    fn build_aux_trace<E: FieldElement<BaseField = Felt>>(
        &self,
        trace: &ModelTrace,
        rand: &AuxRandElements<E>,
    ) -> ColMatrix<E> {
        aux_columns(trace.main_segment(), &self.public, rand.rand_elements())
    }
}

/// Fractions per row: 16 lanes, the table entry, slot `B`'s write, slot `A`'s write, the two
/// slots' lookups, the two factor reads.
const FRACTIONS: usize = LANES + 7;
/// Numerators per row (the lanes' are 1): the table entry, the two writes, the two lookups,
/// the factor reads (`PSEL + DV` and `PSEL`).
const NUMS: usize = 7;

/// The auxiliary segment for main columns `m` and random elements `r = (alpha, beta, gamma)`:
/// the LogUp helpers and running sum, then the linear relation's `CW`, `CW_B` and its Horner
/// sum `F`. The prover calls it with the elements Fiat–Shamir draws; it is public so that tests
/// can build the segment from elements of their own choosing (a replayed challenge).
///
/// # Panics
/// If `r` has fewer than [`aux::RANDS`] elements or `m` is not a trace of `public`'s schedule.
pub fn aux_columns<E: FieldElement<BaseField = Felt>>(
    m: &ColMatrix<Felt>,
    public: &PublicInputs,
    r: &[E],
) -> ColMatrix<E> {
    let n = m.num_rows();
    let p = &public.periodic;
    let (bus, gamma) = (Bus::new(r), r[2]);
    let gk = pow(gamma, public.schedule.pair_offset);
    let (sa, sb) = (P::SLOT_A, P::SLOT_B);
    let mut dens = Vec::with_capacity(n * FRACTIONS);
    let mut nums = Vec::with_capacity(n * NUMS);
    let mut row = vec![Felt::ZERO; main::WIDTH];
    let mut written = Vec::with_capacity(n);
    for i in 0..n {
        m.read_row_into(i, &mut row);
        for l in 0..LANES {
            dens.push(bus.message(E::from(p[P::A + l][i]), E::from(row[main::X + l])));
        }
        let [ha, hb] = half_sums(&row[main::X..main::X + LANES]);
        let [_, v1, _] = wide_sums(ha, hb, p[P::WIDE][i]);
        let (wa, wb) = (v1 - p[sa + P::OFFW][i], hb[1] - p[sb + P::OFFW][i]);
        written.push((wa, wb));
        let t = i % p[P::TX].len();
        let entry = [P::TTAG, P::TX, P::TY].map(|c| E::from(p[c][t]));
        dens.push(bus.entry(entry[0], entry[1], entry[2]));
        dens.push(bus.message(E::from(p[sb + P::AOUT][i]), E::from(wb)));
        dens.push(bus.message(E::from(p[sa + P::AOUT][i]), E::from(wa)));
        let ya = ha[1] - p[sa + P::OFFW][i];
        let (acc_a, acc_b) = (row[main::ACC], row[main::ACC_B]);
        dens.push(bus.entry(E::from(p[sa + P::LTAG][i]), E::from(acc_a), E::from(ya)));
        dens.push(bus.entry(E::from(p[sb + P::LTAG][i]), E::from(acc_b), E::from(wb)));
        nums.push(-E::from(row[main::MULT]));
        nums.push(-E::from(p[sb + P::FO][i]));
        nums.push(-E::from(p[sa + P::FO][i]));
        nums.push(E::from(p[sa + P::LSEL][i]));
        nums.push(E::from(p[sb + P::LSEL][i]));
        let off = Felt::new(FACTOR_OFFSET);
        dens.push(bus.message(E::from(p[P::PAX][i]), E::from(hb[1] - off)));
        dens.push(bus.message(E::from(p[P::PAY][i]), E::from(hb[2] - off)));
        nums.push(E::from(p[P::PSEL][i] + p[P::DV][i]));
        nums.push(E::from(p[P::PSEL][i]));
    }
    let inv = batch_inversion(&dens);
    let mut cols = vec![vec![E::ZERO; n]; aux::WIDTH];
    let lin = public.linear.check(&public.schedule, &public.inputs, gamma);
    cols[aux::CW] = lin.cw;
    cols[aux::CW_B] = lin.cw_b;
    let mut s = E::ZERO;
    for i in 0..n {
        let f = &inv[i * FRACTIONS..(i + 1) * FRACTIONS];
        let mut total = E::ZERO;
        for k in 0..LANES / 2 {
            let h = f[2 * k] + f[2 * k + 1];
            cols[k][i] = h;
            total += h;
        }
        let nm = &nums[i * NUMS..(i + 1) * NUMS];
        let h = nm[0] * f[LANES] + nm[1] * f[LANES + 1];
        cols[LANES / 2][i] = h;
        let hl = nm[3] * f[LANES + 3] + nm[4] * f[LANES + 4];
        cols[LANES / 2 + 1][i] = hl;
        let hp = nm[5] * f[LANES + 5] + nm[6] * f[LANES + 6];
        cols[LANES / 2 + 2][i] = hp;
        total += h + hl + hp + nm[2] * f[LANES + 2];
        cols[aux::S][i] = s;
        s += total;
    }
    // F[r] = gamma F[r + 1] + t_r from F[n-1] = 0 up (the last row is exempt from
    // transitions, so its terms do not enter).
    let mut fsum = E::ZERO;
    for i in (0..n.saturating_sub(1)).rev() {
        let (wa, wb) = written[i];
        // Product rows' accumulators are not linear nodes (PSEL = 1).
        let linear_a = (Felt::ONE - p[P::PSEL][i]) * m.get(main::ACC, i);
        let acc = E::from(linear_a) + gk * E::from(m.get(main::ACC_B, i));
        fsum =
            gamma * fsum + cols[aux::CW][i] * E::from(wa) + cols[aux::CW_B][i] * E::from(wb) + acc;
        cols[aux::F][i] = fsum;
    }
    ColMatrix::new(cols)
}

/// Proves rows already built for `schedule`.
///
/// With `check`, the main constraints are checked first and a violation is reported as
/// [`ProveError::Unsatisfied`]; without, the rows go to the STARK prover as they are (for
/// tests that tamper with a witness).
///
/// # Errors
/// [`ProveError::Unsatisfied`] or [`ProveError::Prover`].
pub fn prove_rows(
    schedule: Arc<Schedule>,
    rows: &[[i128; main::WIDTH]],
    inputs: Vec<Vec<i64>>,
    outputs: Vec<Vec<i64>>,
    preset: Preset,
    hash: HashKind,
    check: bool,
) -> Result<RunProof, ProveError> {
    let public = PublicInputs::new(schedule.clone(), inputs.clone(), outputs.clone());
    if check {
        let v = check_main(&public.periodic, rows);
        if let Some(first) = v.first() {
            return Err(ProveError::Unsatisfied { count: v.len(), first: first.to_string() });
        }
    }
    let trace = ModelTrace::new(&schedule, to_columns(rows));
    let options = preset.options();
    let proof = catch_unwind(AssertUnwindSafe(|| match hash {
        HashKind::Blake3 => {
            ModelProver::<Blake3Hasher<Felt>> { options, public, _hash: PhantomData }.prove(trace)
        }
        HashKind::Blake2s => {
            ModelProver::<Blake2s256Hasher<Felt>> { options, public, _hash: PhantomData }
                .prove(trace)
        }
    }));
    let proof = match proof {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(ProveError::Prover(e.to_string())),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            return Err(ProveError::Prover(format!(
                "the STARK prover rejected the trace: {}",
                msg.unwrap_or_default()
            )));
        }
    };
    Ok(RunProof { hash, preset, digest: schedule.digest.0, inputs, outputs, proof })
}

/// Runs `program` on real inputs and proves the run.
///
/// Returns the proof and the outputs (as the runtime computes them).
///
/// # Errors
/// [`ProveError::Unsupported`] listing ops without a row type, [`ProveError::Run`] for bad
/// inputs, [`ProveError::Prover`] if the STARK prover fails.
pub fn prove(
    program: &Program,
    inputs: &[Vec<f64>],
    preset: Preset,
    hash: HashKind,
) -> Result<(RunProof, Vec<Tensor>), ProveError> {
    prove_observed(program, inputs, preset, hash, &mut |_| {})
}

/// A step of a proof, reported by [`prove_observed`] as it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Running the program on the inputs (validates both).
    Run,
    /// Deriving the schedule (the verifying key).
    Schedule,
    /// Filling the trace of `rows` rows.
    Trace {
        /// Trace length (a power of two).
        rows: usize,
    },
    /// The STARK proper: commitments, constraint evaluation, FRI (most of the time).
    Stark {
        /// Trace length (a power of two).
        rows: usize,
    },
}

impl Stage {
    /// A short name: `run`, `schedule`, `trace` or `stark`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Run => "run",
            Stage::Schedule => "schedule",
            Stage::Trace { .. } => "trace",
            Stage::Stark { .. } => "stark",
        }
    }

    /// The trace length, known from the `trace` stage on.
    pub fn rows(self) -> Option<usize> {
        match self {
            Stage::Trace { rows } | Stage::Stark { rows } => Some(rows),
            Stage::Run | Stage::Schedule => None,
        }
    }
}

/// [`prove`], calling `on_stage` as each [`Stage`] starts (for progress reports).
///
/// # Errors
/// As [`prove`].
pub fn prove_observed(
    program: &Program,
    inputs: &[Vec<f64>],
    preset: Preset,
    hash: HashKind,
    on_stage: &mut dyn FnMut(Stage),
) -> Result<(RunProof, Vec<Tensor>), ProveError> {
    // 1 ----- run (validates the program)
    on_stage(Stage::Run);
    let (outputs, witness) = runtime::run_traced(program, inputs).map_err(ProveError::Run)?;
    // 2 ----- schedule (the verifying key)
    on_stage(Stage::Schedule);
    let schedule = Arc::new(Schedule::of_valid(program, program.digest())?);
    crate::memory::check(schedule.len, preset, crate::memory::available_bytes())?;
    // 3 ----- trace (the rows recompute every value; they must agree with the runtime)
    let rows = schedule.len;
    on_stage(Stage::Trace { rows });
    let q_inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let (rows_built, air_outputs) = build_rows(&schedule, &q_inputs)?;
    let q_outputs: Vec<Vec<i64>> = outputs.iter().map(|t| t.data.clone()).collect();
    if air_outputs != q_outputs {
        return Err(ProveError::Unsatisfied {
            count: 1,
            first: "the AIR's outputs differ from the runtime's".into(),
        });
    }
    // 4 ----- prove
    on_stage(Stage::Stark { rows });
    let proof = prove_rows(schedule, &rows_built, q_inputs, q_outputs, preset, hash, true)?;
    Ok((proof, outputs))
}
