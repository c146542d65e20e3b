//! The periodic columns of a schedule: the verifying key.

use winterfell::math::FieldElement;

use crate::field::{pow2, Felt};
use crate::layout::{periodic as P, ADDR_LOOKUP, ADDR_ZERO, LANES, TABLE_SIZE};
use crate::schedule::Schedule;

impl Schedule {
    /// All periodic columns, in [`crate::layout::periodic`] order. Every column has the trace
    /// length except the range table (cycle 256).
    pub fn periodic_columns(&self) -> Vec<Vec<Felt>> {
        let n = self.len;
        let mut cols = vec![vec![Felt::ZERO; n]; P::COUNT - 1];
        for (r, row) in self.rows.iter().enumerate() {
            let q = &self.requants[row.group];
            let lane_addr =
                |used: bool| Felt::new(u64::from(if used { ADDR_LOOKUP } else { ADDR_ZERO }));
            for i in 0..LANES {
                cols[P::A + i][r] = lane_addr(q.lane_used(i));
            }
            let tsh = pow2(q.tshift());
            let p = Felt::new(q.d());
            let h = Felt::new(q.d() / 2);
            let off = Felt::new(q.offset());
            cols[P::QSEL][r] = Felt::ONE;
            cols[P::TSH][r] = tsh;
            cols[P::E][r] = tsh * (h + p * off);
            cols[P::TP][r] = tsh * p;
            if let Some(d) = q.divisor {
                cols[P::DSEL][r] = Felt::ONE;
                cols[P::DM1][r] = Felt::new(d - 1);
            } else {
                cols[P::TP2][r] = tsh * p;
            }
            cols[P::RELU][r] = if q.relu { Felt::ONE } else { Felt::ZERO };
            cols[P::OFFW][r] = off;
            cols[P::AOUT][r] = Felt::new(u64::from(row.addr));
            cols[P::FO][r] = Felt::new(self.fanout.get(row.addr as usize).copied().unwrap_or(0));
        }
        cols.push((0..TABLE_SIZE as u64).map(Felt::new).collect());
        cols
    }
}
