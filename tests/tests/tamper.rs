//! Tampered witnesses, one per constraint family. Each is caught by the constraint checker
//! (naming the constraint) or the bus report, and no proof of it verifies: the rows are handed
//! to the STARK prover without its checks, which either refuses them or yields a proof the
//! verifier rejects.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use air::debug::{check_constraints, relation_summary};
use air::layout::{main, LimbGroup, Slot};
use air::schedule::{Row, Schedule};
use air::trace::build_rows;
use air::{prove_rows, verify, HashKind, Preset};
use starkml_tests::{assert_unprovable, ModelCase};

struct Setup {
    case: ModelCase,
    schedule: Arc<Schedule>,
    rows: Vec<[i128; main::WIDTH]>,
    inputs: Vec<Vec<i64>>,
    outputs: Vec<Vec<i64>>,
}

fn setup() -> Setup {
    let case = ModelCase::new("mlp_small");
    let schedule = Arc::new(Schedule::new(&case.program).unwrap());
    let (inputs, outputs) = case.quantised_run();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    assert_eq!(air_outputs, outputs, "the rows compute the runtime's outputs");
    Setup { case, schedule, rows, inputs, outputs }
}

impl Setup {
    fn periodic(&self) -> Vec<Vec<air::field::Felt>> {
        self.schedule.periodic_columns()
    }

    /// The first node matching `pred` (given the node, its row of the trace and its slot).
    fn node(&self, pred: impl Fn(usize, &Row, &[i128; main::WIDTH], Slot) -> bool) -> usize {
        (0..self.schedule.rows.len())
            .find(|&i| {
                let slot = self.schedule.slot(i);
                pred(i, &self.schedule.rows[i], &self.rows[slot.row], slot)
            })
            .unwrap()
    }

    fn labels(&self, rows: &[[i128; main::WIDTH]]) -> Vec<&'static str> {
        check_constraints(&self.schedule, &self.periodic(), rows, &self.inputs)
            .into_iter()
            .map(|v| v.label)
            .collect()
    }

    /// A proof of the untampered rows.
    fn honest_proof(&self) -> air::RunProof {
        prove_rows(
            self.schedule.clone(),
            &self.rows,
            self.inputs.clone(),
            self.outputs.clone(),
            Preset::Fast,
            HashKind::Blake3,
            true,
        )
        .unwrap()
    }

    /// No verifying proof can be made of `rows`.
    fn assert_unprovable(&self, rows: &[[i128; main::WIDTH]]) {
        self.assert_unprovable_claiming(rows, &self.outputs);
    }

    /// No verifying proof can be made of `rows` claiming `outputs`.
    fn assert_unprovable_claiming(&self, rows: &[[i128; main::WIDTH]], outputs: &[Vec<i64>]) {
        assert_unprovable(&self.case.program, &self.schedule, rows, &self.inputs, outputs);
    }
}

fn lane(slot: Slot, group: LimbGroup, k: usize) -> usize {
    main::X + slot.lane(group, k).unwrap()
}

fn acc(slot: Slot) -> usize {
    if slot.b {
        main::ACC_B
    } else {
        main::ACC
    }
}

#[test]
fn untampered_rows_satisfy_everything_and_prove() {
    let s = setup();
    assert!(s.labels(&s.rows).is_empty());
    assert!(relation_summary(&s.schedule, &s.periodic(), &s.rows, &s.inputs, &s.outputs).balanced());
    assert!(verify(&s.case.program, &s.honest_proof()).is_ok());
}

/// A node (in slot `B` when `slot_b`) claims `acc + d` and rounds it correctly (V1 + 1):
/// every main constraint holds, only the linear relation (this node's terms, and its
/// readers') is broken.
fn consistent_rounding_twin(slot_b: bool) {
    let s = setup();
    let r = s.node(|i, _, v, slot| {
        let v1 = v[lane(slot, LimbGroup::V1, 0)];
        slot.b == slot_b && s.schedule.terms_of(i).len() > 1 && v1 > 0 && v1 < 255
    });
    let slot = s.schedule.slot(r);
    let d = i128::from(s.schedule.requants[s.schedule.rows[r].group].d());
    let mut rows = s.rows.clone();
    rows[slot.row][acc(slot)] += d;
    let limb = rows[slot.row][lane(slot, LimbGroup::V1, 0)];
    rows[slot.row][lane(slot, LimbGroup::V1, 0)] += 1;
    // Keep the range table balanced: one lookup moves from `limb` to `limb + 1`.
    rows[limb as usize][main::MULT] -= 1;
    rows[limb as usize + 1][main::MULT] += 1;
    let v = check_constraints(&s.schedule, &s.periodic(), &rows, &s.inputs);
    assert!(!v.is_empty() && v.iter().all(|v| v.label == "linear"), "{v:?}");
    assert_eq!(v[0].row, slot.row);
    let report = relation_summary(&s.schedule, &s.periodic(), &rows, &s.inputs, &s.outputs);
    assert!(report.balanced(), "{report:?} node {r}");
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_accumulator_with_consistent_rounding() {
    consistent_rounding_twin(false);
}

#[test]
fn tampered_slot_b_accumulator_with_consistent_rounding() {
    consistent_rounding_twin(true);
}

#[test]
fn tampered_accumulator_alone() {
    let s = setup();
    let mut rows = s.rows.clone();
    rows[0][main::ACC] += 1;
    let labels = s.labels(&rows);
    assert!(labels.contains(&"requant A") && labels.contains(&"linear"), "{labels:?}");
    s.assert_unprovable(&rows);
}

#[test]
fn accumulator_moved_into_an_empty_slot() {
    let s = setup();
    // An empty slot's weight `gamma^(row + K)` may equal a node's: a prover moving part of
    // that node's accumulator into the empty slot would keep the random combination. The
    // `idle` constraints pin empty slots' accumulators to 0.
    let empty = s.schedule.used_rows();
    let mut rows = s.rows.clone();
    rows[empty][main::ACC_B] += 1;
    assert_eq!(s.labels(&rows), ["idle B"]);
    s.assert_unprovable(&rows);
    let mut rows = s.rows.clone();
    rows[empty][main::ACC] += 1;
    assert_eq!(s.labels(&rows), ["idle A"]);
    s.assert_unprovable(&rows);
}

#[test]
fn wrong_weight_in_the_verifiers_program() {
    let s = setup();
    let proof = s.honest_proof();
    // The verifier's program differs in one weight of the first product, but (as if the digest
    // collided) claims the prover's digest: only the linear relation can tell them apart.
    let mut program = s.case.program.clone();
    let mm = program.ops.iter().find(|op| op.op == runtime::Op::MatMul).unwrap().clone();
    // A weight whose input value is not 0 (a weight multiplying 0 does not change the run).
    let (_, witness) =
        runtime::run_traced(&program, std::slice::from_ref(&s.case.fixture.input.data)).unwrap();
    let x = &witness.values[mm.inputs[0].0 as usize];
    let k = x.iter().position(|&v| v != 0).unwrap();
    let n = program.tensors[mm.inputs[1].0 as usize].shape[1];
    let runtime::TensorKind::Const(data) = &mut program.tensors[mm.inputs[1].0 as usize].kind
    else {
        panic!("weights are constants")
    };
    std::sync::Arc::make_mut(data)[k * n] += 1;
    let mut schedule = Schedule::new(&program).unwrap();
    assert_ne!(schedule.digest, s.schedule.digest);
    schedule.digest = s.schedule.digest;
    let key = air::VerifyingKey::from_schedule(Arc::new(schedule));
    let res = air::verify_with_key(&key, &proof);
    assert!(matches!(res, Err(air::VerifyError::Stark(_))), "{res:?}");
    // The same proof with the honest key verifies.
    let honest = air::VerifyingKey::from_schedule(s.schedule.clone());
    assert!(air::verify_with_key(&honest, &proof).is_ok());
}

#[test]
fn wrong_public_output() {
    let s = setup();
    // Honest rows, but the proof claims another output: the bus (outputs read by the
    // verifier) no longer balances.
    let mut outputs = s.outputs.clone();
    outputs[0][0] += 1;
    assert!(s.labels(&s.rows).is_empty());
    let report = relation_summary(&s.schedule, &s.periodic(), &s.rows, &s.inputs, &outputs);
    assert!(!report.bus.is_empty());
    s.assert_unprovable_claiming(&s.rows, &outputs);
}

#[test]
fn tampered_requant_remainder() {
    let s = setup();
    let mut rows = s.rows.clone();
    rows[0][main::X] = (rows[0][main::X] + 1) % 256;
    assert!(s.labels(&rows).contains(&"requant A"));
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_relu_split() {
    let s = setup();
    // A ReLU row with a positive output: add 1 to both y and n (q = y - n unchanged).
    let r = s.node(|_, row, v, slot| {
        let v1 = v[lane(slot, LimbGroup::V1, 0)];
        s.schedule.requants[row.group].relu && v1 > 0 && v1 < 255
    });
    let slot = s.schedule.slot(r);
    let mut rows = s.rows.clone();
    rows[slot.row][lane(slot, LimbGroup::V1, 0)] += 1;
    rows[slot.row][lane(slot, LimbGroup::V2, 0)] += 1;
    let labels = s.labels(&rows);
    assert!(labels.iter().any(|l| l.starts_with("relu")), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("requant")), "{labels:?}");
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_multiplicity() {
    let s = setup();
    let mut rows = s.rows.clone();
    rows[3][main::MULT] += 1;
    assert!(s.labels(&rows).is_empty());
    let report = relation_summary(&s.schedule, &s.periodic(), &rows, &s.inputs, &s.outputs);
    assert_eq!(report.table.get(&3), Some(&-1));
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_range_limb() {
    let s = setup();
    // Rewrite a V1 limb pair (lo, hi) as (lo + 256, hi - 1): the same value, but a limb out of
    // the 8-bit table.
    let r = s.node(|_, row, v, slot| {
        s.schedule.requants[row.group].lv >= 2 && v[lane(slot, LimbGroup::V1, 1)] > 0
    });
    let slot = s.schedule.slot(r);
    let mut rows = s.rows.clone();
    rows[slot.row][lane(slot, LimbGroup::V1, 0)] += 256;
    rows[slot.row][lane(slot, LimbGroup::V1, 1)] -= 1;
    assert!(s.labels(&rows).is_empty(), "limb sums are unchanged");
    let report = relation_summary(&s.schedule, &s.periodic(), &rows, &s.inputs, &s.outputs);
    assert!(report.table.keys().any(|&v| v >= 256), "{report:?}");
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_division_remainder() {
    use starkml_tests::onnx_build::{self as ob, attr_ints, node, value_info};
    let m = ob::model(
        vec![node("AveragePool", "avg3", &["x"], &["y"], vec![attr_ints("kernel_shape", &[3, 3])])],
        vec![],
        vec![value_info("x", &[1, 1, 3, 3])],
        vec![value_info("y", &[1, 1, 1, 1])],
    );
    let opts = transpiler::TranspileOptions {
        input_range: Some((-1.0, 1.0)),
        scale: Some(8),
        ..Default::default()
    };
    let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap();
    let x: Vec<f64> = (0..9).map(|i| f64::from(i) / 10.0 - 0.3).collect();
    let starkml_tests::Traced { schedule, periodic, rows, inputs, outputs } =
        starkml_tests::Traced::new(&program, x);
    let r = schedule
        .rows
        .iter()
        .position(|row| schedule.requants[row.group].divisor == Some(9))
        .unwrap();
    let slot = schedule.slot(r);
    // The complement limb no longer adds up with the remainder to d - 1.
    let mut bad = rows.clone();
    bad[slot.row][lane(slot, LimbGroup::V2, 0)] += 1;
    let labels: Vec<&str> = check_constraints(&schedule, &periodic, &bad, &inputs)
        .into_iter()
        .map(|v| v.label)
        .collect();
    assert_eq!(labels, [if slot.b { "division B" } else { "division A" }]);
    assert_unprovable(&program, &schedule, &bad, &inputs, &outputs);
}
