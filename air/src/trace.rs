//! The main trace of a run: the schedule's rows filled with the witness.

use runtime::Witness;
use winterfell::matrix::ColMatrix;
use winterfell::{EvaluationFrame, Trace, TraceInfo};

use crate::error::ProveError;
use crate::field::{felt128, Felt};
use crate::layout::{
    aux, main, ADDR_FIRST, LANES, LIMB_BITS, TABLE_SIZE, T_LANES, V1_LANES, V2_LANES,
};
use crate::schedule::{Row, Schedule};

/// A main trace plus the trace info of the two-segment layout.
pub struct ModelTrace {
    info: TraceInfo,
    main: ColMatrix<Felt>,
}

impl ModelTrace {
    /// Wraps main-trace columns of a schedule.
    pub fn new(schedule: &Schedule, columns: Vec<Vec<Felt>>) -> Self {
        let info = TraceInfo::new_multi_segment(
            main::WIDTH,
            aux::WIDTH,
            aux::RANDS,
            schedule.len,
            schedule.digest.0.to_vec(),
        );
        ModelTrace { info, main: ColMatrix::new(columns) }
    }
}

impl Trace for ModelTrace {
    type BaseField = Felt;

    fn info(&self) -> &TraceInfo {
        &self.info
    }

    fn main_segment(&self) -> &ColMatrix<Felt> {
        &self.main
    }

    fn read_main_frame(&self, row: usize, frame: &mut EvaluationFrame<Felt>) {
        let n = self.main.num_rows();
        self.main.read_row_into(row, frame.current_mut());
        self.main.read_row_into((row + 1) % n, frame.next_mut());
    }
}

fn limbs(mut v: u128, out: &mut [i64], range: std::ops::Range<usize>, count: usize) -> bool {
    for i in range.clone().take(count) {
        out[i] = (v & 0xff) as i64;
        v >>= LIMB_BITS;
    }
    v == 0
}

/// Main-trace columns (integers; see [`to_columns`]) for `schedule` filled from `witness`.
///
/// # Errors
/// [`ProveError::Unsatisfied`] when a witness value does not fit its limbs (a witness that
/// does not belong to the program).
pub fn build_rows(
    schedule: &Schedule,
    witness: &Witness,
) -> Result<Vec<[i128; main::WIDTH]>, ProveError> {
    let value = |addr: u32| -> i64 {
        schedule
            .addr_src
            .get((addr - ADDR_FIRST) as usize)
            .and_then(|(t, e)| witness.values.get(t.0 as usize).and_then(|v| v.get(*e)))
            .copied()
            .unwrap_or(0)
    };
    let mut rows = vec![[0i128; main::WIDTH]; schedule.len];
    let mut acc: i128 = 0;
    for (r, spec) in schedule.rows.iter().enumerate() {
        let row = &mut rows[r];
        match spec {
            Row::Mac { lanes, bias, first } => {
                let acc_in = if *first { 0 } else { acc };
                let mut a = acc_in + i128::from(*bias);
                for (i, (addr, w)) in lanes.iter().enumerate() {
                    let x = value(*addr);
                    row[main::X + i] = i128::from(x);
                    a += i128::from(x) * i128::from(*w);
                }
                row[main::ACC_IN] = acc_in;
                row[main::ACC_OUT] = a;
                acc = a;
            }
            Row::Requant { group, elem, .. } => {
                let g = &schedule.requants[*group];
                let q = witness
                    .values
                    .get(g.q_tensor.0 as usize)
                    .and_then(|v| v.get(*elem))
                    .copied()
                    .unwrap_or(0);
                let rem = witness
                    .remainders
                    .get(g.rescale_op.0 as usize)
                    .and_then(|v| v.get(*elem))
                    .copied()
                    .unwrap_or(-1);
                let bad = |what: &str| ProveError::Unsatisfied {
                    count: 1,
                    first: format!("row {r}: {what} does not fit its limbs"),
                };
                let mut x = [0i64; LANES];
                if rem < 0 || !limbs((rem as u128) << g.tshift(), &mut x, T_LANES, g.lr) {
                    return Err(bad("remainder"));
                }
                let (v1, v2) = if g.relu {
                    (i128::from(q.max(0)), i128::from((-q).max(0)))
                } else {
                    (i128::from(q) + i128::from(g.offset()), 0)
                };
                if v1 < 0
                    || !limbs(v1 as u128, &mut x, V1_LANES, g.lv)
                    || !limbs(v2 as u128, &mut x, V2_LANES, g.lv)
                {
                    return Err(bad("output"));
                }
                for (i, v) in x.iter().enumerate() {
                    row[main::X + i] = i128::from(*v);
                }
                row[main::ACC_IN] = acc;
                row[main::ACC_OUT] = acc;
                acc = 0;
            }
        }
    }
    // Range-table multiplicities: every lookup lane (address 0) of rows 0..n-2.
    let mut mult = vec![0i128; TABLE_SIZE];
    let periodic_lookup = lookup_lanes(schedule);
    for (r, row) in rows.iter().enumerate().take(schedule.len - 1) {
        for i in 0..LANES {
            if periodic_lookup(r, i) {
                let v = row[main::X + i];
                if !(0..TABLE_SIZE as i128).contains(&v) {
                    return Err(ProveError::Unsatisfied {
                        count: 1,
                        first: format!("row {r} lane {i}: limb {v} out of range"),
                    });
                }
                mult[v as usize] += 1;
            }
        }
    }
    for (v, m) in mult.iter().enumerate() {
        rows[v][main::MULT] = *m;
    }
    Ok(rows)
}

/// `is_lookup(row, lane)`: the lane is a range lookup (address 0) rather than a bus read.
pub fn lookup_lanes(schedule: &Schedule) -> impl Fn(usize, usize) -> bool + '_ {
    move |r, i| match schedule.rows.get(r) {
        None => true,
        Some(Row::Mac { lanes, .. }) => i >= lanes.len(),
        Some(Row::Requant { group, .. }) => {
            let g = &schedule.requants[*group];
            if T_LANES.contains(&i) {
                i - T_LANES.start < g.lr
            } else if V1_LANES.contains(&i) {
                i - V1_LANES.start < g.lv
            } else {
                g.relu && i - V2_LANES.start < g.lv
            }
        }
    }
}

/// Field columns of integer rows.
pub fn to_columns(rows: &[[i128; main::WIDTH]]) -> Vec<Vec<Felt>> {
    (0..main::WIDTH).map(|c| rows.iter().map(|r| felt128(r[c])).collect()).collect()
}
