//! A prover that does not take `gamma` from the transcript (it replays a challenge it chose
//! or saw before, to make the linear relation hold for wrong accumulators) gets no verifying
//! proof: the verifier draws its own `gamma` and asserts `G[0] = 1`, `G' = gamma G` and
//! `CW` computed with it.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use air::field::Felt;
use air::prover::aux_columns;
use air::trace::{build_rows, to_columns, ModelTrace};
use air::{verify, HashKind, ModelAir, Preset, PublicInputs, RunProof, Schedule};
use starkml_tests::ModelCase;
use winterfell::crypto::hashers::Blake3_256;
use winterfell::crypto::{DefaultRandomCoin, MerkleTree};
use winterfell::math::FieldElement;
use winterfell::matrix::ColMatrix;
use winterfell::{
    AuxRandElements, CompositionPoly, CompositionPolyTrace, ConstraintCompositionCoefficients,
    DefaultConstraintCommitment, DefaultConstraintEvaluator, DefaultTraceLde, PartitionOptions,
    ProofOptions, Prover, StarkDomain, Trace, TraceInfo, TracePolyTable,
};

type H = Blake3_256<Felt>;

/// Proves like the real prover, except that `gamma` is `replay` instead of the drawn one.
struct ReplayProver {
    options: ProofOptions,
    public: PublicInputs,
    replay: u64,
}

impl Prover for ReplayProver {
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
        let r = rand.rand_elements();
        let gamma = E::from(Felt::new(self.replay));
        aux_columns(trace.main_segment(), &self.public, &[r[0], r[1], gamma])
    }
}

fn prove_with_gamma(
    schedule: &Arc<Schedule>,
    rows: &[[i128; air::layout::main::WIDTH]],
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
    replay: u64,
) -> Option<RunProof> {
    let public = PublicInputs::new(schedule.clone(), inputs.to_vec(), outputs.to_vec());
    let trace = ModelTrace::new(schedule, to_columns(rows));
    let prover = ReplayProver { options: Preset::Bits96.options(), public, replay };
    let proof = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prover.prove(trace)))
        .ok()?
        .ok()?;
    Some(RunProof {
        hash: HashKind::Blake3,
        preset: Preset::Bits96,
        digest: schedule.digest.0,
        inputs: inputs.to_vec(),
        outputs: outputs.to_vec(),
        proof,
    })
}

#[test]
fn a_replayed_gamma_does_not_verify() {
    let case = ModelCase::new("mlp_small");
    let schedule = Arc::new(Schedule::new(&case.program).unwrap());
    let (inputs, outputs) = case.quantised_run();
    let (rows, _) = build_rows(&schedule, &inputs).unwrap();
    // Honest rows, a chosen gamma: the G and CW assertions use the verifier's gamma.
    // Winterfell's prover (without debug assertions) does not evaluate the constraints on
    // the trace, so it yields a proof; the verifier must refuse it.
    let proof = prove_with_gamma(&schedule, &rows, &inputs, &outputs, 12345)
        .expect("the prover does not check the auxiliary segment");
    let res = verify(&case.program, &proof);
    assert!(matches!(res, Err(air::VerifyError::Stark(_))), "{res:?}");
    // The control: the same prover with the drawn gamma (the real prover) verifies.
    let (proof, _) = air::prove(
        &case.program,
        std::slice::from_ref(&case.fixture.input.data),
        Preset::Bits96,
        HashKind::Blake3,
    )
    .unwrap();
    assert!(verify(&case.program, &proof).is_ok());
}
