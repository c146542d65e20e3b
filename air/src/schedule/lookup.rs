//! `Table`: the input clamped into the table's range (as `Clip` does, on the sides its bound
//! can reach), then one lookup node per element. A lookup node writes the value `V1 - OFF` and
//! reads the function-table entry `(acc, V1 - OFF)` on the bus; the table's entries are
//! periodic columns derived from the program, so only `(x, f(x))` pairs of the program's
//! table balance it.

use super::builder::{bits, Builder, Cx};
use super::elementwise::clamp;
use super::{FnTable, Requant, Row, Terms, MAX_TRACE_LEN};
use crate::layout::{LIMB_BITS, V1_LANES};

/// Schedules a `Table` op with entries `values` from input `lo`.
pub(super) fn table(
    b: &mut Builder<'_>,
    cx: &Cx<'_>,
    lo: i64,
    values: &[i64],
) -> Result<(), String> {
    let x = b.on_bus(cx.node.inputs[0])?;
    let hi = lo
        .checked_add(values.len() as i64 - 1)
        .filter(|_| !values.is_empty())
        .ok_or("an empty or oversized table")?;
    let ymax = values.iter().map(|v| u128::from(v.unsigned_abs())).max().unwrap_or(0);
    // A lookup node is narrow (its slot-A message reads the half's `V1`): signed values in
    // 3 limbs.
    let lv = ((bits(ymax) + 1).div_ceil(LIMB_BITS) as usize).max(1);
    if lv > V1_LANES.len() {
        return Err(format!(
            "table entries of {} bits exceed a lookup's {} (compile with a smaller scale)",
            bits(ymax) + 1,
            LIMB_BITS as usize * V1_LANES.len()
        ));
    }
    let entry = FnTable { lo, values: values.to_vec() };
    let tid = match b.tables.iter().position(|t| *t == entry) {
        Some(t) => t,
        None => {
            b.tables.push(entry);
            b.tables.len() - 1
        }
    };
    let g = Requant {
        shift: 0,
        relu: false,
        lr: 0,
        lv,
        divisor: None,
        table: Some(tid),
        product: false,
        divide: false,
        root: false,
    };
    let group = b.intern(g);
    let program_bound = b.bound_of(cx.node.inputs[0]);
    let mut addrs = Vec::with_capacity(x.len());
    for &a in &x {
        // What every valid trace writes at `a` lies within `bound[a]`: clamp only where the
        // value can leave the table.
        let reach = b.bound[a as usize] as i128;
        let min = (-reach < i128::from(lo)).then_some(lo);
        let max = (reach > i128::from(hi)).then_some(hi);
        let c = clamp(b, a, program_bound, min, max)?;
        if b.rows.len() >= MAX_TRACE_LEN {
            return Err(format!("the schedule exceeds {MAX_TRACE_LEN} rows"));
        }
        let start = b.terms.len();
        b.terms.push((c, 1));
        let addr = b.fresh(ymax.max(1));
        b.rows.push(Row { group, addr, bias: 0, terms: Terms::List(start..start + 1) });
        addrs.push(addr);
    }
    b.addr[cx.out.0 as usize] = Some(addrs);
    Ok(())
}
