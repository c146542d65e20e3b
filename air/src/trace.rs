//! The main trace of a run: the schedule's rows filled with the witness.

use winterfell::matrix::ColMatrix;
use winterfell::{EvaluationFrame, Trace, TraceInfo};

use crate::error::ProveError;
use crate::field::{felt128, Felt};
use crate::layout::{
    aux, main, LimbGroup, Slot, FACTOR_OFFSET, FACTOR_X_LANES, FACTOR_Y_LANES, LANES, LIMB_BITS,
    TABLE_SIZE,
};
use crate::schedule::{Schedule, Terms};

/// One row of the main trace as integers (converted to field elements by [`to_columns`]).
pub type TraceRow = [i128; main::WIDTH];

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

/// Writes the `count` limbs of `v` into the lanes of `group` in `slot`; false when `v` does
/// not fit them.
fn limbs(mut v: u128, out: &mut [i64], slot: Slot, group: LimbGroup, count: usize) -> bool {
    for k in 0..count {
        let Some(lane) = slot.lane(group, k) else { return false };
        out[lane] = (v & 0xff) as i64;
        v >>= LIMB_BITS;
    }
    v == 0
}

/// Integer rows of the main trace for `schedule` on quantised `inputs`, and the outputs the
/// rows compute (the trace builder executes the schedule itself: every written value follows
/// from the rows above it).
///
/// # Errors
/// [`ProveError::Unsatisfied`] when an input does not fit the program or a value does not fit
/// its limbs (the schedule's bounds were wrong: a bug).
pub fn build_rows(
    schedule: &Schedule,
    inputs: &[Vec<i64>],
) -> Result<(Vec<TraceRow>, Vec<Vec<i64>>), ProveError> {
    let bad = |what: String| ProveError::Unsatisfied { count: 1, first: what };
    let mut vals = vec![0i64; schedule.addresses];
    if inputs.len() != schedule.inputs.len() {
        return Err(bad(format!("{} inputs for {}", inputs.len(), schedule.inputs.len())));
    }
    for (addrs, data) in schedule.inputs.iter().zip(inputs) {
        if addrs.len() != data.len() {
            return Err(bad(format!(
                "input of {} values for {} addresses",
                data.len(),
                addrs.len()
            )));
        }
        for (a, v) in addrs.iter().zip(data) {
            vals[*a as usize] = *v;
        }
    }
    let mut rows = vec![[0i128; main::WIDTH]; schedule.len];
    let mut cache = None;
    // Lookups per table entry (by row of the first table cycle).
    let mut lookups = vec![0i128; schedule.table_cycle];
    for (r, spec) in schedule.rows.iter().enumerate() {
        let acc = schedule.accumulator(r, &mut cache, |a| i128::from(vals[a as usize]));
        let g = &schedule.requants[spec.group];
        let slot = schedule.slot(r);
        let p = i128::from(g.d());
        let h = p / 2;
        let divisor = match spec.terms {
            Terms::Quotient { b, .. } => Some(i128::from(vals[b as usize])),
            _ => None,
        };
        let (q, rem) = match g.table {
            Some(t) => {
                let row = i64::try_from(acc).ok().and_then(|x| schedule.table_row(t, x));
                let Some(tr) = row else {
                    return Err(bad(format!("node {r}: lookup input {acc} off its table")));
                };
                lookups[tr] += 1;
                (i128::from(schedule.table_entry(tr).2), 0)
            }
            None if g.root => {
                let Ok(v) = u128::try_from(acc) else {
                    return Err(bad(format!("node {r}: square root of {acc}")));
                };
                let q = runtime::bounds::isqrt(v) as i128;
                (q, acc - q * q)
            }
            None => match divisor {
                // acc = 2 q B + R, 0 <= R < 2B.
                Some(b) if b >= 1 => (acc.div_euclid(2 * b), acc.rem_euclid(2 * b)),
                Some(b) => return Err(bad(format!("node {r}: divisor {b} below 1"))),
                None => ((acc + h).div_euclid(p), (acc + h).rem_euclid(p)),
            },
        };
        let q64 =
            i64::try_from(q).map_err(|_| bad(format!("node {r}: quotient {q} out of range")))?;
        let Some(row) = rows.get_mut(slot.row) else {
            return Err(bad(format!("node {r}: row {} beyond the trace", slot.row)));
        };
        let mut x = [0i64; LANES];
        let rem_t = if divisor.is_some() || g.root { 0 } else { rem };
        if !limbs((rem_t as u128) << g.tshift(), &mut x, slot, LimbGroup::T, g.lr) {
            return Err(bad(format!("node {r}: remainder does not fit its limbs")));
        }
        let off = i128::from(g.offset());
        let (v1, v2) = match (divisor, g.divisor, g.relu) {
            // Quotient: V2 is the complement 2B - 1 - R; root: 2Q - R.
            (Some(b), ..) => (q + off, 2 * b - 1 - rem),
            _ if g.root => (q + off, 2 * q - rem),
            (None, Some(_), _) => (q + off, p - 1 - rem),
            (None, None, true) => (q.max(0), (-q).max(0)),
            (None, None, false) => (q + off, 0),
        };
        if v1 < 0
            || !limbs(v1 as u128, &mut x, slot, LimbGroup::V1, g.lv)
            || !limbs(v2 as u128, &mut x, slot, LimbGroup::V2, g.v2_limbs())
        {
            return Err(bad(format!("node {r}: value {q} does not fit its {} limbs", g.lv)));
        }
        // Half B of a product row: the factors, offset to be non-negative; of a quotient row:
        // the divisor (offset) and the remainder.
        let off = i128::from(FACTOR_OFFSET);
        let half_b = match spec.terms {
            Terms::Product { x: ax, y: ay } => {
                Some([i128::from(vals[ax as usize]) + off, i128::from(vals[ay as usize]) + off])
            }
            Terms::Quotient { b, .. } => Some([i128::from(vals[b as usize]) + off, rem]),
            _ if g.root => Some([0, rem]),
            _ => None,
        };
        for (lanes, v) in
            half_b.iter().flat_map(|h| [(FACTOR_X_LANES, h[0]), (FACTOR_Y_LANES, h[1])])
        {
            if !(0..2 * off).contains(&v) {
                return Err(bad(format!("node {r}: factor {} beyond 24 bits", v - off)));
            }
            for (k, lane) in lanes.enumerate() {
                x[lane] = ((v >> (LIMB_BITS as usize * k)) & 0xff) as i64;
            }
        }
        for i in g.lookup_lanes(slot) {
            row[main::X + i] = i128::from(x[i]);
        }
        row[if slot.b { main::ACC_B } else { main::ACC }] = acc;
        vals[spec.addr as usize] = if g.relu { q64.max(0) } else { q64 };
    }
    // Range-table multiplicities: every lookup lane (address 0) of rows 0..n-2; then the
    // function tables' (lookup nodes sit on used rows, never on the last).
    let mut mult = lookups;
    let is_lookup = lookup_lanes(schedule);
    for (r, row) in rows.iter().enumerate().take(schedule.len - 1) {
        for i in 0..LANES {
            if is_lookup(r, i) {
                let v = row[main::X + i];
                if !(0..TABLE_SIZE as i128).contains(&v) {
                    return Err(bad(format!("row {r} lane {i}: limb {v} out of range")));
                }
                mult[v as usize] += 1;
            }
        }
    }
    for (r, m) in mult.iter().enumerate() {
        if let Some(row) = rows.get_mut(r) {
            row[main::MULT] = *m;
        }
    }
    let outputs = schedule
        .outputs
        .iter()
        .map(|addrs| addrs.iter().map(|a| vals[*a as usize]).collect())
        .collect();
    Ok((rows, outputs))
}

/// `is_lookup(row, lane)`: the lane is a range lookup (address 0) rather than a zero-cell
/// read: a lane of a node on a used row, or any lane of a padding row.
pub fn lookup_lanes(schedule: &Schedule) -> impl Fn(usize, usize) -> bool + '_ {
    let used = schedule.used_rows();
    let mut lookup = vec![0u16; used];
    for (node, spec) in schedule.rows.iter().enumerate() {
        let slot = schedule.slot(node);
        if let Some(mask) = lookup.get_mut(slot.row) {
            for i in schedule.requants[spec.group].lookup_lanes(slot) {
                *mask |= 1 << i;
            }
        }
    }
    move |r, i| lookup.get(r).is_none_or(|mask| mask & (1 << i) != 0)
}

/// Field columns of integer rows.
pub fn to_columns(rows: &[[i128; main::WIDTH]]) -> Vec<Vec<Felt>> {
    (0..main::WIDTH).map(|c| rows.iter().map(|r| felt128(r[c])).collect()).collect()
}
