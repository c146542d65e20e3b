//! The periodic columns of a schedule: the verifying key.

use winterfell::math::FieldElement;

use crate::field::{felt, pow2, Felt};
use crate::layout::{periodic as P, table_tag, ADDR_LOOKUP, ADDR_ZERO, LANES};
use crate::schedule::{Schedule, Terms};

impl Schedule {
    /// All periodic columns, in [`crate::layout::periodic`] order. Every column has the trace
    /// length except the table entries (the schedule's table cycle). On used rows, lanes no node occupies read
    /// the zero cell; padding rows look up every lane.
    pub fn periodic_columns(&self) -> Vec<Vec<Felt>> {
        let n = self.len;
        let mut cols = vec![vec![Felt::ZERO; n]; P::COUNT - 3];
        let used = self.used_rows().min(n);
        for col in &mut cols[P::A..P::A + LANES] {
            col[..used].fill(Felt::new(u64::from(ADDR_ZERO)));
        }
        // The slot fields of every requant group (all but the write address and fan-out).
        let groups: Vec<[Felt; P::SLOT]> = self
            .requants
            .iter()
            .map(|q| {
                let mut f = [Felt::ZERO; P::SLOT];
                f[P::QSEL] = Felt::ONE;
                if let Some(t) = q.table {
                    // A lookup: no rounding (the requant constraint reduces to `T = 0`).
                    f[P::OFFW] = Felt::new(q.offset());
                    f[P::LSEL] = Felt::ONE;
                    f[P::LTAG] = table_tag(t);
                    return f;
                }
                if q.divide || q.root {
                    // A quotient: its own constraints replace the rounding.
                    f[P::OFFW] = Felt::new(q.offset());
                    return f;
                }
                let tsh = pow2(q.tshift());
                let (p, h, off) = (Felt::new(q.d()), Felt::new(q.d() / 2), Felt::new(q.offset()));
                f[P::TSH] = tsh;
                f[P::E] = tsh * (h + p * off);
                f[P::TP] = tsh * p;
                if let Some(d) = q.divisor {
                    f[P::DSEL] = Felt::ONE;
                    f[P::DM1] = Felt::new(d - 1);
                } else {
                    f[P::TP2] = tsh * p;
                }
                f[P::RELU] = if q.relu { Felt::ONE } else { Felt::ZERO };
                f[P::OFFW] = off;
                f
            })
            .collect();
        for (node, row) in self.rows.iter().enumerate() {
            let (q, f) = (&self.requants[row.group], &groups[row.group]);
            let slot = self.slot(node);
            let r = slot.row;
            if r >= n {
                continue;
            }
            for i in q.lookup_lanes(slot) {
                cols[P::A + i][r] = Felt::new(u64::from(ADDR_LOOKUP));
            }
            match row.terms {
                Terms::Product { x, y } => {
                    cols[P::PSEL][r] = Felt::ONE;
                    cols[P::PAX][r] = Felt::new(u64::from(x));
                    cols[P::PAY][r] = Felt::new(u64::from(y));
                }
                Terms::Quotient { b, .. } => {
                    cols[P::DV][r] = Felt::ONE;
                    cols[P::PAX][r] = Felt::new(u64::from(b));
                }
                _ if q.root => cols[P::RT][r] = Felt::ONE,
                _ => {}
            }
            let base = if slot.b { P::SLOT_B } else { P::SLOT_A };
            for (k, v) in f.iter().enumerate() {
                if *v != Felt::ZERO {
                    cols[base + k][r] = *v;
                }
            }
            cols[base + P::AOUT][r] = Felt::new(u64::from(row.addr));
            cols[base + P::FO][r] =
                Felt::new(self.fanout.get(row.addr as usize).copied().unwrap_or(0));
            if slot.wide {
                cols[P::WIDE][r] = Felt::ONE;
                cols[P::RELUW][r] = f[P::RELU];
                // The product of the upper halves: `V1_B * V2_B = 0` as for a slot-B node.
                cols[P::SLOT_B + P::RELU][r] = f[P::RELU];
            }
        }
        let cycle = self.table_cycle;
        let (mut tx, mut ttag, mut ty) =
            (vec![Felt::ZERO; cycle], vec![Felt::ZERO; cycle], vec![Felt::ZERO; cycle]);
        for r in 0..cycle {
            let (t, x, y) = self.table_entry(r);
            tx[r] = felt(x);
            ty[r] = felt(y);
            if t > 0 {
                ttag[r] = table_tag(t - 1);
            }
        }
        cols.extend([tx, ttag, ty]);
        cols
    }
}
