//! Table trimming: a table op only ever reads the entries its input's bound can reach, so the
//! others can be dropped without changing any run the bounds admit. Smaller tables mean
//! shorter traces for the prover (each distinct table occupies one trace row per entry).

use std::collections::HashMap;

use crate::error::RuntimeError;
use crate::op::Op;
use crate::program::Program;

/// What [`Program::trim_tables`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrimReport {
    /// Table ops whose entries were cut.
    pub trimmed: usize,
    /// Entries removed, over all table ops.
    pub entries_removed: usize,
}

/// A table's identity: first input, entries, output scale.
type TableKey = (i64, Vec<i64>, u8);

/// A cut table: its new first input, and the first and last entries kept.
type Cut = (i64, usize, usize);

impl Program {
    /// Cuts every table to the entries its input can reach: for an input bounded by `B` (its
    /// recorded bound, static or declared), the integers `[-B, B]` clamped into the table.
    /// Ops sharing one table (same `lo`, entries and output scale) are cut alike, to the union
    /// of their inputs' reach, so they still share one table in the proof.
    ///
    /// For every input `x` with `|x| <= B`, `clamp(x, lo', hi') = clamp(x, lo, hi)` where
    /// `[lo', hi'] = [clamp(-B, lo, hi), clamp(B, lo, hi)]` (clamping is monotone), so every run
    /// within the bounds computes the same values. The bounds are then re-derived, keeping
    /// declared ones: table outputs can only shrink.
    ///
    /// # Errors
    /// Any error of [`Program::declare_bounds`] (none on a program whose bounds were assigned).
    pub fn trim_tables(&mut self) -> Result<TrimReport, RuntimeError> {
        let bound = |p: &Program, node: &crate::program::OpNode| {
            node.inputs.first().and_then(|&t| p.tensor(t)).map_or(u64::MAX, |t| t.bound)
        };
        let mut reach: HashMap<(i64, &[i64], u8), u64> = HashMap::new();
        for node in &self.ops {
            if let Op::Table { lo, values, out_scale } = &node.op {
                if values.is_empty() {
                    continue;
                }
                let b = reach.entry((*lo, values.as_slice(), *out_scale)).or_insert(0);
                *b = (*b).max(bound(self, node));
            }
        }
        let cuts: HashMap<TableKey, Cut> = reach
            .into_iter()
            .map(|((lo, values, s), b)| {
                let hi = lo.saturating_add(values.len() as i64 - 1);
                let b = i64::try_from(b).unwrap_or(i64::MAX);
                let (from, to) = (b.saturating_neg().clamp(lo, hi), b.clamp(lo, hi));
                let key = (lo, values.to_vec(), s);
                (key, (from, (from - lo) as usize, (to - lo) as usize))
            })
            .collect();
        let declared: Vec<_> = crate::bounds::declared_bounds(self)?
            .into_iter()
            .filter_map(|id| self.tensor(id).map(|t| (id, t.bound)))
            .collect();
        let mut report = TrimReport::default();
        for node in &mut self.ops {
            if let Op::Table { lo, values, out_scale } = &mut node.op {
                let key = (*lo, std::mem::take(values), *out_scale);
                let keep = (key.0, 0, key.1.len().saturating_sub(1));
                let &(from, i, j) = cuts.get(&key).unwrap_or(&keep);
                let (_, mut v, _) = key;
                if !v.is_empty() && (i > 0 || j + 1 < v.len()) {
                    report.trimmed += 1;
                    report.entries_removed += v.len() - (j + 1 - i);
                    v.truncate(j + 1);
                    v.drain(..i);
                    *lo = from;
                }
                *values = v;
            }
        }
        self.declare_bounds(&declared)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::TensorId;
    use crate::program::{OpNode, TensorInfo, TensorKind};

    fn table(lo: i64, len: usize) -> Op {
        Op::Table { lo, values: (0..len as i64).map(|i| 3 * i - 7).collect(), out_scale: 4 }
    }

    /// `x` (bound 16) and `2x` (bound 32) through one shared table on [-40, 40], and `x`
    /// through a table on [20, 60] that it can only reach at its lower end.
    fn program() -> Program {
        let t = |name: &str, kind: TensorKind| TensorInfo {
            name: name.into(),
            shape: vec![1, 3],
            scale: 4,
            bound: 0,
            kind,
        };
        let op = |op: Op, inputs: &[u32], output: u32| OpNode {
            op,
            inputs: inputs.iter().map(|&i| TensorId(i)).collect(),
            output: TensorId(output),
            origin: format!("op{output}"),
        };
        let mut p = Program {
            name: "tables".into(),
            tensors: vec![
                t("x", TensorKind::Input { lo: -1.0, hi: 1.0 }),
                t("x2", TensorKind::Value),
                t("a", TensorKind::Value),
                t("b", TensorKind::Value),
                t("c", TensorKind::Value),
            ],
            ops: vec![
                op(Op::Add, &[0, 0], 1),
                op(table(-40, 81), &[0], 2),
                op(table(-40, 81), &[1], 3),
                op(table(20, 41), &[0], 4),
            ],
            inputs: vec![TensorId(0)],
            outputs: vec![TensorId(2), TensorId(3), TensorId(4)],
        };
        p.assign_bounds().unwrap();
        p
    }

    fn span(p: &Program, k: usize) -> (i64, usize) {
        match &p.ops[k].op {
            Op::Table { lo, values, .. } => (*lo, values.len()),
            other => panic!("op {k} is {other:?}"),
        }
    }

    #[test]
    fn tables_keep_the_union_of_their_reach_and_every_run_is_unchanged() {
        let before = program();
        let mut after = before.clone();
        let report = after.trim_tables().unwrap();
        // The shared table keeps [-32, 32] (the reach of 2x) for both readers; the other
        // keeps only its first entry.
        assert_eq!(span(&after, 1), (-32, 65));
        assert_eq!(span(&after, 2), (-32, 65));
        assert_eq!(span(&after, 3), (20, 1));
        assert_eq!(report, TrimReport { trimmed: 3, entries_removed: 2 * 16 + 40 });
        after.validate().unwrap();
        // Output bounds shrink: the last table holds one value, -7.
        assert_eq!(after.tensors[4].bound, 7);
        for k in -16..=16 {
            let x = f64::from(k) / 16.0;
            let input = vec![vec![x, -x, x / 2.0]];
            let (a, b) =
                (crate::run(&before, &input).unwrap(), crate::run(&after, &input).unwrap());
            assert_eq!(a, b, "x = {x}");
        }
    }

    #[test]
    fn a_table_within_reach_is_left_alone() {
        let mut p = program();
        // Input range [-4, 4] at scale 4: |x| <= 64 and |2x| <= 128 reach past both tables.
        p.tensors[0].kind = TensorKind::Input { lo: -4.0, hi: 4.0 };
        p.assign_bounds().unwrap();
        let before = p.clone();
        assert_eq!(p.trim_tables().unwrap(), TrimReport::default());
        assert_eq!(p, before);
    }

    #[test]
    fn declared_bounds_survive_and_limit_the_reach() {
        let mut p = program();
        // Declare |2x| <= 8: the shared table keeps [-16, 16] (x's own reach is larger).
        p.declare_bounds(&[(TensorId(1), 8)]).unwrap();
        p.trim_tables().unwrap();
        assert_eq!(span(&p, 1), (-16, 33));
        assert_eq!(crate::bounds::declared_bounds(&p).unwrap(), vec![TensorId(1)]);
        assert_eq!(p.tensors[1].bound, 8);
    }
}
