//! Tampered witnesses, one per constraint family. Each is caught by the constraint checker
//! (naming the constraint) or the bus report, and no proof of it verifies: the rows are handed
//! to the STARK prover without its checks, which either refuses them or yields a proof the
//! verifier rejects.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use air::debug::{check_constraints, relation_summary};
use air::layout::{main, V1_LANES, V2_LANES};
use air::schedule::{Row, Schedule};
use air::trace::build_rows;
use air::{prove_rows, verify, HashKind, Preset};
use starkml_tests::ModelCase;

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
    let (outs, witness) =
        runtime::run_traced(&case.program, std::slice::from_ref(&case.fixture.input.data)).unwrap();
    let inputs: Vec<Vec<i64>> =
        case.program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    assert_eq!(air_outputs, outputs, "the rows compute the runtime's outputs");
    Setup { case, schedule, rows, inputs, outputs }
}

impl Setup {
    fn periodic(&self) -> Vec<Vec<air::field::Felt>> {
        self.schedule.periodic_columns()
    }

    /// The first row matching `pred`.
    fn row(&self, pred: impl Fn(&Row, &[i128; main::WIDTH]) -> bool) -> usize {
        self.schedule.rows.iter().zip(&self.rows).position(|(r, v)| pred(r, v)).unwrap()
    }

    fn labels(&self, rows: &[[i128; main::WIDTH]]) -> Vec<&'static str> {
        check_constraints(&self.schedule, &self.periodic(), rows)
            .into_iter()
            .map(|v| v.label)
            .collect()
    }

    /// No verifying proof can be made of `rows`.
    fn assert_unprovable(&self, rows: &[[i128; main::WIDTH]]) {
        match prove_rows(
            self.schedule.clone(),
            rows,
            self.inputs.clone(),
            self.outputs.clone(),
            Preset::Fast,
            HashKind::Blake3,
            false,
        ) {
            Err(air::ProveError::Prover(_)) => {}
            Ok(proof) => assert!(matches!(
                verify(&self.case.program, &proof),
                Err(air::VerifyError::Stark(_))
            )),
            Err(e) => panic!("unexpected error {e}"),
        }
    }
}

#[test]
fn untampered_rows_satisfy_everything_and_prove() {
    let s = setup();
    assert!(s.labels(&s.rows).is_empty());
    assert!(relation_summary(&s.schedule, &s.periodic(), &s.rows, &s.inputs, &s.outputs).balanced());
    let proof = prove_rows(
        s.schedule.clone(),
        &s.rows,
        s.inputs.clone(),
        s.outputs.clone(),
        Preset::Fast,
        HashKind::Blake3,
        false,
    )
    .unwrap();
    assert!(verify(&s.case.program, &proof).is_ok());
}

#[test]
fn tampered_mac_accumulator() {
    let s = setup();
    let r = s.row(|row, _| matches!(row, Row::Mac { .. }));
    let mut rows = s.rows.clone();
    rows[r][main::ACC_OUT] += 1;
    assert!(s.labels(&rows).contains(&"mac"));
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_requant_remainder() {
    let s = setup();
    let r = s.row(|row, _| matches!(row, Row::Requant { .. }));
    let mut rows = s.rows.clone();
    rows[r][main::X] = (rows[r][main::X] + 1) % 256;
    assert!(s.labels(&rows).contains(&"requant"));
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_relu_split() {
    let s = setup();
    // A ReLU row with a positive output: add 1 to both y and n (q = y - n unchanged).
    let r = s.row(|row, v| {
        matches!(row, Row::Requant { group, .. } if s.schedule.requants[*group].relu)
            && v[main::X + V1_LANES.start] > 0
            && v[main::X + V1_LANES.start] < 255
    });
    let mut rows = s.rows.clone();
    rows[r][main::X + V1_LANES.start] += 1;
    rows[r][main::X + V2_LANES.start] += 1;
    let labels = s.labels(&rows);
    assert!(labels.contains(&"relu"), "{labels:?}");
    assert!(!labels.contains(&"requant"), "{labels:?}");
    s.assert_unprovable(&rows);
}

#[test]
fn tampered_bus_value() {
    let s = setup();
    // Change two values read by a MAC row so that sum w*x is unchanged: every main constraint
    // still holds, only the bus no longer balances.
    let r = s.row(|row, _| matches!(row, Row::Mac { lanes, first: true, .. } if lanes.len() > 1));
    let Row::Mac { lanes, .. } = &s.schedule.rows[r] else { unreachable!() };
    let mut rows = s.rows.clone();
    let (a, b) = (rows[r][main::X], rows[r][main::X + 1]);
    let (wa, wb) = (lanes[0].1, lanes[1].1);
    if wa == wb && a != b {
        rows[r][main::X] = b;
        rows[r][main::X + 1] = a;
    } else {
        // x0 += w1, x1 -= w0 keeps w0*x0 + w1*x1.
        rows[r][main::X] += i128::from(wb);
        rows[r][main::X + 1] -= i128::from(wa);
    }
    assert!(s.labels(&rows).is_empty(), "main constraints should still hold");
    let report = relation_summary(&s.schedule, &s.periodic(), &rows, &s.inputs, &s.outputs);
    assert!(!report.bus.is_empty(), "the bus must not balance");
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
    let r = s.row(|row, v| {
        matches!(row, Row::Requant { group, .. } if s.schedule.requants[*group].lv >= 2)
            && v[main::X + V1_LANES.start + 1] > 0
    });
    let mut rows = s.rows.clone();
    rows[r][main::X + V1_LANES.start] += 256;
    rows[r][main::X + V1_LANES.start + 1] -= 1;
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
    let schedule = Arc::new(Schedule::new(&program).unwrap());
    let x: Vec<f64> = (0..9).map(|i| f64::from(i) / 10.0 - 0.3).collect();
    let (outs, witness) = runtime::run_traced(&program, &[x]).unwrap();
    let inputs: Vec<Vec<i64>> =
        program.inputs.iter().map(|t| witness.values[t.0 as usize].clone()).collect();
    let outputs: Vec<Vec<i64>> = outs.into_iter().map(|t| t.data).collect();
    let (rows, air_outputs) = build_rows(&schedule, &inputs).unwrap();
    assert_eq!(air_outputs, outputs);
    let periodic = schedule.periodic_columns();
    assert!(check_constraints(&schedule, &periodic, &rows).is_empty());
    let r = schedule.rows.iter().position(|row| matches!(row, Row::Requant { group, .. } if schedule.requants[*group].divisor == Some(9))).unwrap();
    // The complement limb no longer adds up with the remainder to d - 1.
    let mut bad = rows.clone();
    bad[r][main::X + V2_LANES.start] += 1;
    let labels: Vec<&str> =
        check_constraints(&schedule, &periodic, &bad).into_iter().map(|v| v.label).collect();
    assert_eq!(labels, ["division"]);
    match prove_rows(schedule.clone(), &bad, inputs, outputs, Preset::Fast, HashKind::Blake3, false)
    {
        Err(air::ProveError::Prover(_)) => {}
        Ok(proof) => assert!(matches!(verify(&program, &proof), Err(air::VerifyError::Stark(_)))),
        Err(e) => panic!("unexpected error {e}"),
    }
}
