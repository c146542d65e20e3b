//! The periodic columns of a schedule: the verifying key.

use winterfell::math::FieldElement;

use crate::field::{pow2, Felt};
use crate::layout::{periodic as P, ADDR_LOOKUP, ADDR_ZERO, LANES, TABLE_SIZE};
use crate::schedule::Schedule;

impl Schedule {
    /// All periodic columns, in [`crate::layout::periodic`] order. Every column has the trace
    /// length except the range table (cycle 256). On used rows, lanes no node occupies read
    /// the zero cell; padding rows look up every lane.
    pub fn periodic_columns(&self) -> Vec<Vec<Felt>> {
        let n = self.len;
        let mut cols = vec![vec![Felt::ZERO; n]; P::COUNT - 1];
        let used = self.used_rows().min(n);
        for col in &mut cols[P::A..P::A + LANES] {
            col[..used].fill(Felt::new(u64::from(ADDR_ZERO)));
        }
        for (node, row) in self.rows.iter().enumerate() {
            let q = &self.requants[row.group];
            let slot = self.slot(node);
            let r = slot.row;
            if r >= n {
                continue;
            }
            for i in q.lanes(slot) {
                cols[P::A + i][r] = Felt::new(u64::from(ADDR_LOOKUP));
            }
            let base = if slot.b { P::SLOT_B } else { P::SLOT_A };
            let tsh = pow2(q.tshift());
            let p = Felt::new(q.d());
            let h = Felt::new(q.d() / 2);
            let off = Felt::new(q.offset());
            let relu = if q.relu { Felt::ONE } else { Felt::ZERO };
            cols[base + P::QSEL][r] = Felt::ONE;
            cols[base + P::TSH][r] = tsh;
            cols[base + P::E][r] = tsh * (h + p * off);
            cols[base + P::TP][r] = tsh * p;
            if let Some(d) = q.divisor {
                cols[base + P::DSEL][r] = Felt::ONE;
                cols[base + P::DM1][r] = Felt::new(d - 1);
            } else {
                cols[base + P::TP2][r] = tsh * p;
            }
            cols[base + P::RELU][r] = relu;
            cols[base + P::OFFW][r] = off;
            cols[base + P::AOUT][r] = Felt::new(u64::from(row.addr));
            cols[base + P::FO][r] =
                Felt::new(self.fanout.get(row.addr as usize).copied().unwrap_or(0));
            if slot.wide {
                cols[P::WIDE][r] = Felt::ONE;
                cols[P::RELUW][r] = relu;
                // The product of the upper halves: `V1_B * V2_B = 0` as for a slot-B node.
                cols[P::SLOT_B + P::RELU][r] = relu;
            }
        }
        cols.push((0..TABLE_SIZE as u64).map(Felt::new).collect());
        cols
    }
}
