//! Row slots: narrow nodes share a row (slots `A` and `B`), nodes whose values need more
//! than 24 bits take a wide row whose limb sums span both halves. Honest wide rows prove and
//! verify; tampering with the upper half of a wide row's limbs breaks the named constraint
//! and no proof of it verifies.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use air::debug::{check_constraints, relation_summary};
use air::layout::{main, LimbGroup, Slot};
use air::schedule::Schedule;
use air::trace::build_rows;
use air::{prove_rows, verify, HashKind, Preset};
use runtime::Program;
use starkml_tests::assert_unprovable;
use starkml_tests::onnx_build::{self as ob, initializer, node, value_info};

struct Wide {
    program: Program,
    schedule: Arc<Schedule>,
    rows: Vec<[i128; main::WIDTH]>,
    inputs: Vec<Vec<i64>>,
    outputs: Vec<Vec<i64>>,
}

/// `h = x W + b` with large weights and inputs (values of about 2^26 at scale 8: four limbs),
/// and `y = relu(h)`; both are outputs, so the ReLU is a node of its own.
fn wide() -> Wide {
    let w: Vec<f32> = (0..24).map(|i| (i as f32 - 11.5) * 4.0).collect();
    let m = ob::model(
        vec![
            node("Gemm", "fc", &["x", "W", "b"], &["h"], vec![]),
            node("Relu", "act", &["h"], &["y"], vec![]),
        ],
        vec![initializer("W", &[4, 6], &w), initializer("b", &[6], &[0.5; 6])],
        vec![value_info("x", &[1, 4])],
        vec![value_info("h", &[1, 6]), value_info("y", &[1, 6])],
    );
    let opts = transpiler::TranspileOptions {
        input_range: Some((-1000.0, 1000.0)),
        scale: Some(8),
        ..Default::default()
    };
    let program = transpiler::transpile(&ob::bytes(&m), &opts).unwrap();
    let schedule = Arc::new(Schedule::new(&program).unwrap());
    let x = vec![900.0, -800.0, 700.0, 1000.0];
    let (outs, witness) = runtime::run_traced(&program, &[x]).unwrap();
    let inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    assert_eq!(air_outputs, outputs, "the rows compute the runtime's outputs");
    Wide { program, schedule, rows, inputs, outputs }
}

impl Wide {
    fn labels(&self, rows: &[[i128; main::WIDTH]]) -> Vec<&'static str> {
        let periodic = self.schedule.periodic_columns();
        check_constraints(&self.schedule, &periodic, rows, &self.inputs)
            .into_iter()
            .map(|v| v.label)
            .collect()
    }

    fn prove(&self, rows: &[[i128; main::WIDTH]]) -> Result<air::RunProof, air::ProveError> {
        let (inputs, outputs) = (self.inputs.clone(), self.outputs.clone());
        prove_rows(
            self.schedule.clone(),
            rows,
            inputs,
            outputs,
            Preset::Fast,
            HashKind::Blake3,
            true,
        )
    }

    fn assert_unprovable(&self, rows: &[[i128; main::WIDTH]]) {
        assert_unprovable(&self.program, &self.schedule, rows, &self.inputs, &self.outputs);
    }

    /// The first node on a wide row with a ReLU (or without) whose `V1` limb `k` is set.
    fn wide_node(&self, relu: bool, k: usize) -> (usize, Slot) {
        (0..self.schedule.rows.len())
            .map(|i| (i, self.schedule.slot(i)))
            .find(|(i, slot)| {
                let g = &self.schedule.requants[self.schedule.rows[*i].group];
                slot.wide
                    && g.relu == relu
                    && self.rows[slot.row][lane(*slot, LimbGroup::V1, k)] > 0
            })
            .unwrap()
    }
}

fn lane(slot: Slot, group: LimbGroup, k: usize) -> usize {
    main::X + slot.lane(group, k).unwrap()
}

#[test]
fn wide_rows_prove_and_verify() {
    let s = wide();
    assert_eq!(s.schedule.wide_rows, 12, "every node needs four limbs");
    assert!(s.labels(&s.rows).is_empty());
    let periodic = s.schedule.periodic_columns();
    assert!(relation_summary(&s.schedule, &periodic, &s.rows, &s.inputs, &s.outputs).balanced());
    let proof = s.prove(&s.rows).unwrap();
    let report = verify(&s.program, &proof).unwrap();
    assert_eq!(report.trace_len, s.schedule.len);
    assert_eq!(proof.outputs, s.outputs);
}

#[test]
fn tampered_wide_upper_limb() {
    let s = wide();
    let (_, slot) = s.wide_node(false, 3);
    let mut rows = s.rows.clone();
    rows[slot.row][lane(slot, LimbGroup::V1, 3)] -= 1;
    assert!(s.labels(&rows).contains(&"requant A"), "{:?}", s.labels(&rows));
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_wide_relu_split() {
    let s = wide();
    // A positive ReLU output on a wide row: add 2^24 to both V1 and V2 through their upper
    // halves (q = V1 - V2 unchanged). Only the ReLU products can tell.
    let (_, slot) = s.wide_node(true, 0);
    let mut rows = s.rows.clone();
    rows[slot.row][lane(slot, LimbGroup::V1, 3)] += 1;
    rows[slot.row][lane(slot, LimbGroup::V2, 3)] += 1;
    let labels = s.labels(&rows);
    assert!(labels.contains(&"relu B") && labels.contains(&"relu wide"), "{labels:?}");
    assert!(!labels.iter().any(|l| l.starts_with("requant")), "{labels:?}");
    s.assert_unprovable(&rows);
}
