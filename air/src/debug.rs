//! Constraint debugging: every violated main constraint with its row and label, every node
//! whose accumulator is wrong, and the bus and range-table balance. Non-panicking; used by the prover before proving and by tests.

use std::collections::BTreeMap;

use winterfell::math::FieldElement;

use crate::constraints::{eval_main, MAIN};
use crate::field::{felt128, Felt};
use crate::layout::{
    main, periodic as P, LimbGroup, ADDR_ZERO, FACTOR_OFFSET, FACTOR_X_LANES, FACTOR_Y_LANES,
    LANES, LIMB_BITS,
};
use crate::schedule::{Schedule, Terms};
use crate::trace::lookup_lanes;

/// One violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Row where it is evaluated (with the next row).
    pub row: usize,
    /// Constraint label (see [`crate::constraints::MAIN`]).
    pub label: &'static str,
    /// Its (non-zero) value.
    pub value: u64,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: constraint '{}' = {}", self.row, self.label, self.value)
    }
}

/// Every violated main transition constraint of integer `rows` and the boundary assertion
/// `acc[n-1] = 0`: one pass over the rows, whatever the node's term count. The prover runs it
/// before proving (its trace builder computes the accumulators from the schedule itself).
pub fn check_main(periodic: &[Vec<Felt>], rows: &[[i128; main::WIDTH]]) -> Vec<Violation> {
    let n = rows.len();
    let mut out = Vec::new();
    let felts = |r: &[i128; main::WIDTH]| r.iter().map(|&v| felt128(v)).collect::<Vec<Felt>>();
    let mut result = [Felt::ZERO; MAIN.len()];
    for r in 0..n.saturating_sub(1) {
        let c = felts(&rows[r]);
        let p: Vec<Felt> = periodic.iter().map(|col| col[r % col.len()]).collect();
        eval_main(&c, &p, &mut result);
        for (k, v) in result.iter().enumerate() {
            if *v != Felt::ZERO {
                out.push(Violation { row: r, label: MAIN[k].label, value: v.as_int() });
            }
        }
    }
    if rows.last().is_some_and(|r| r[main::ACC] != 0) {
        out.push(Violation { row: n - 1, label: "acc[n-1] = 0", value: 1 });
    }
    out
}

/// Every violated main transition constraint and boundary assertion of integer `rows`, and
/// every node whose accumulator differs from `bias + sum_j w_j x_j` over the values the rows
/// write (label `linear`: the linear relation would fail for almost every `gamma`).
pub fn check_constraints(
    schedule: &Schedule,
    periodic: &[Vec<Felt>],
    rows: &[[i128; main::WIDTH]],
    inputs: &[Vec<i64>],
) -> Vec<Violation> {
    let n = rows.len();
    let mut out = check_main(periodic, rows);
    let written = written_values(schedule, rows, inputs);
    let mut cache = None;
    for node in 0..schedule.rows.len() {
        let acc = schedule
            .accumulator(node, &mut cache, |a| written.get(a as usize).copied().unwrap_or(0));
        let slot = schedule.slot(node);
        let Some(row) = rows.get(slot.row).filter(|_| slot.row + 1 < n) else { continue };
        let have = row[if slot.b { main::ACC_B } else { main::ACC }];
        if felt128(acc) != felt128(have) {
            let value = (felt128(have) - felt128(acc)).as_int();
            out.push(Violation { row: slot.row, label: "linear", value });
        }
    }
    out
}

/// The value at every address as the rows write it (`V1 - offset`), public inputs included.
fn written_values(
    schedule: &Schedule,
    rows: &[[i128; main::WIDTH]],
    inputs: &[Vec<i64>],
) -> Vec<i128> {
    let mut vals = vec![0i128; schedule.addresses];
    for (addrs, data) in schedule.inputs.iter().zip(inputs) {
        for (a, v) in addrs.iter().zip(data) {
            if let Some(slot) = vals.get_mut(*a as usize) {
                *slot = i128::from(*v);
            }
        }
    }
    for (node, spec) in schedule.rows.iter().enumerate() {
        if let Some(slot) = vals.get_mut(spec.addr as usize) {
            *slot = v1_of(schedule, node, rows);
        }
    }
    vals
}

/// The value node `node` writes: its `V1` limbs minus its group's offset.
fn v1_of(schedule: &Schedule, node: usize, rows: &[[i128; main::WIDTH]]) -> i128 {
    let slot = schedule.slot(node);
    let (Some(spec), Some(row)) = (schedule.rows.get(node), rows.get(slot.row)) else {
        return 0;
    };
    let g = &schedule.requants[spec.group];
    let v1: i128 = (0..g.lv).rev().fold(0i128, |acc, k| {
        (acc << LIMB_BITS) + slot.lane(LimbGroup::V1, k).map_or(0, |l| row[main::X + l])
    });
    v1 - i128::from(g.offset())
}

/// The net multiplicity of each bus message `(address, value)` and of each range-table value
/// that does not balance: reads and public writes count +, trace writes and public reads -.
/// Empty when the LogUp relation balances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusReport {
    /// `(address, value) -> net count` for unbalanced bus messages.
    pub bus: BTreeMap<(u32, i128), i128>,
    /// `value -> lookups - multiplicity` for unbalanced range-table entries.
    pub table: BTreeMap<i128, i128>,
    /// `(table, x, y) -> lookups - multiplicity` for unbalanced function-table entries (a
    /// lookup of a pair the table does not hold shows as a positive count).
    pub lookups: BTreeMap<(usize, i128, i128), i128>,
}

impl BusReport {
    /// True when everything balances.
    pub fn balanced(&self) -> bool {
        self.bus.is_empty() && self.table.is_empty() && self.lookups.is_empty()
    }
}

/// Computes the bus and range-table balance of integer `rows` against public data.
pub fn relation_summary(
    schedule: &Schedule,
    periodic: &[Vec<Felt>],
    rows: &[[i128; main::WIDTH]],
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
) -> BusReport {
    let mut bus: BTreeMap<(u32, i128), i128> = BTreeMap::new();
    let mut table: BTreeMap<i128, i128> = BTreeMap::new();
    let mut lookups: BTreeMap<(usize, i128, i128), i128> = BTreeMap::new();
    let is_lookup = lookup_lanes(schedule);
    let n = rows.len();
    for (r, row) in rows.iter().enumerate().take(n.saturating_sub(1)) {
        for i in 0..LANES {
            let x = row[main::X + i];
            if is_lookup(r, i) {
                *table.entry(x).or_insert(0) += 1;
            } else {
                let a = periodic[P::A + i][r].as_int() as u32;
                *bus.entry((a, x)).or_insert(0) += 1;
            }
        }
        match schedule.table_entry(r % schedule.table_cycle.max(1)) {
            (0, x, _) => *table.entry(i128::from(x)).or_insert(0) -= row[main::MULT],
            (t, x, y) => {
                *lookups.entry((t - 1, i128::from(x), i128::from(y))).or_insert(0) -=
                    row[main::MULT]
            }
        }
    }
    for (node, spec) in schedule.rows.iter().enumerate() {
        let slot = schedule.slot(node);
        if slot.row + 1 < n {
            let out = v1_of(schedule, node, rows);
            if let Some(row) = rows.get(slot.row) {
                let off = i128::from(FACTOR_OFFSET);
                let sum = |lanes: std::ops::Range<usize>| {
                    lanes.rev().fold(0i128, |acc, l| (acc << LIMB_BITS) + row[main::X + l])
                };
                match &spec.terms {
                    Terms::Product { x, y } => {
                        *bus.entry((*x, sum(FACTOR_X_LANES) - off)).or_insert(0) += 1;
                        *bus.entry((*y, sum(FACTOR_Y_LANES) - off)).or_insert(0) += 1;
                    }
                    Terms::Quotient { b, .. } => {
                        *bus.entry((*b, sum(FACTOR_X_LANES) - off)).or_insert(0) += 1;
                    }
                    _ => {}
                }
            }
            if let (Some(t), Some(row)) = (schedule.requants[spec.group].table, rows.get(slot.row))
            {
                let x = row[if slot.b { main::ACC_B } else { main::ACC }];
                *lookups.entry((t, x, out)).or_insert(0) += 1;
            }
            *bus.entry((spec.addr, out)).or_insert(0) -=
                i128::from(schedule.fanout[spec.addr as usize]);
        }
    }
    for (addrs, vals) in schedule.inputs.iter().zip(inputs) {
        for (a, v) in addrs.iter().zip(vals) {
            *bus.entry((*a, i128::from(*v))).or_insert(0) -=
                i128::from(schedule.fanout[*a as usize]);
        }
    }
    *bus.entry((ADDR_ZERO, 0)).or_insert(0) -= i128::from(schedule.zero_reads);
    for (addrs, vals) in schedule.outputs.iter().zip(outputs) {
        for (a, v) in addrs.iter().zip(vals) {
            *bus.entry((*a, i128::from(*v))).or_insert(0) += 1;
        }
    }
    bus.retain(|_, v| *v != 0);
    table.retain(|_, v| *v != 0);
    lookups.retain(|_, v| *v != 0);
    BusReport { bus, table, lookups }
}
