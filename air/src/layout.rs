//! Trace layout: main columns, periodic (fixed) columns and the auxiliary columns.
//!
//! Every used row is one *node* `out = f(round_div(bias + sum_j w_j x_j, d))`. The node's
//! accumulator `acc = bias + sum_j w_j x_j` sits in one column; it is checked, for all nodes
//! at once, by a random linear combination (the `linear` relation, [`crate::linear`]). The
//! lanes hold 8-bit limbs: lanes `0..4` the shifted remainder `T`, lanes `4..10` the value
//! `V1`, lanes `10..16` the value `V2` (ReLU's negative part or a division's complement),
//! each limb range-checked; limbs a row does not use read the bus's zero cell, which forces
//! them to 0.

/// Lanes per row.
pub const LANES: usize = 16;
/// Lanes of the shifted remainder `T` on requant rows (up to 32 bits).
pub const T_LANES: std::ops::Range<usize> = 0..4;
/// Lanes of `V1` on requant rows (up to 48 bits).
pub const V1_LANES: std::ops::Range<usize> = 4..10;
/// Lanes of `V2` on requant rows (up to 48 bits).
pub const V2_LANES: std::ops::Range<usize> = 10..16;
/// Bits per range-checked limb; the range table holds `0..2^LIMB_BITS`.
pub const LIMB_BITS: u32 = 8;
/// Size of the range table.
pub const TABLE_SIZE: usize = 1 << LIMB_BITS;
/// Smallest trace length (the range table repeats every 256 rows and the last row is
/// exempt from transitions, so 512 keeps one full copy usable).
pub const MIN_TRACE_LEN: usize = 512;

/// Bus address of range lookups (a lane with this address is a lookup, not a read).
pub const ADDR_LOOKUP: u32 = 0;
/// Bus address of the zero cell, written by the verifier with value 0.
pub const ADDR_ZERO: u32 = 1;
/// First address of tensor elements.
pub const ADDR_FIRST: u32 = 2;

/// Main trace columns.
pub mod main {
    use super::LANES;
    /// Limb lanes `x_0..x_15`.
    pub const X: usize = 0;
    /// The node's accumulator `bias + sum_j w_j x_j` (checked by the linear relation).
    pub const ACC: usize = LANES;
    /// Multiplicity of the range-table entry of this row.
    pub const MULT: usize = LANES + 1;
    /// Number of main columns.
    pub const WIDTH: usize = LANES + 2;
}

/// Periodic (fixed) columns: the verifying key.
pub mod periodic {
    use super::LANES;
    /// Lane addresses `A_0..A_15`: 0 (range lookup) or 1 (zero cell).
    pub const A: usize = 0;
    /// 1 on requant rows.
    pub const QSEL: usize = LANES;
    /// `2^(8 Lr - s)` on requant rows: the remainder shift.
    pub const TSH: usize = LANES + 1;
    /// `TSH * (2^(s-1) + 2^s * OFF)` on requant rows.
    pub const E: usize = LANES + 2;
    /// `TSH * 2^s` on requant rows.
    pub const TP: usize = LANES + 3;
    /// 1 on requant rows with a fused ReLU.
    pub const RELU: usize = LANES + 4;
    /// Offset subtracted from `V1` to get the written value (signed outputs).
    pub const OFFW: usize = LANES + 5;
    /// Bus address written by a requant row.
    pub const AOUT: usize = LANES + 6;
    /// Fan-out (multiplicity) of that write on the bus (1 for program outputs, else 0).
    pub const FO: usize = LANES + 7;
    /// Coefficient of `V2` in the requant constraint: `TP` on rounding-shift rows, 0 on
    /// division rows (where `V2` is the remainder's complement).
    pub const TP2: usize = LANES + 8;
    /// 1 on division rows (rounding division by a constant that is not a power of two).
    pub const DSEL: usize = LANES + 9;
    /// `d - 1` on division rows: `T + V2 = d - 1` bounds the remainder `T` below `d`.
    pub const DM1: usize = LANES + 10;
    /// Range table values `0..256`, cycle 256.
    pub const TAB: usize = LANES + 11;
    /// Number of periodic columns.
    pub const COUNT: usize = LANES + 12;
}

/// Auxiliary (extension-field) columns.
pub mod aux {
    /// LogUp helper columns: each sums two fractions of its row.
    pub const HELPERS: usize = 9;
    /// The LogUp running sum.
    pub const S: usize = HELPERS;
    /// `gamma^r` on row `r`: the random weight of node `r`'s accumulator.
    pub const G: usize = HELPERS + 1;
    /// `-c(a)` on the row writing address `a`: the verifier's coefficient of that value in the
    /// random combination of all nodes (asserted on every row).
    pub const CW: usize = HELPERS + 2;
    /// The running sum of the linear relation.
    pub const F: usize = HELPERS + 3;
    /// Number of auxiliary columns.
    pub const WIDTH: usize = HELPERS + 4;
    /// Random elements drawn for the auxiliary segment (`alpha`, `beta` for the bus, `gamma`
    /// for the linear relation).
    pub const RANDS: usize = 3;
}

/// Labels of the main transition constraints, in evaluation order.
pub const MAIN_CONSTRAINTS: [&str; 3] = ["requant", "relu", "division"];

/// A listing of every column (main, periodic, auxiliary), one per line, for review and
/// snapshot tests.
pub fn column_map() -> String {
    let mut s = String::new();
    s.push_str(&format!("main ({} columns)\n", main::WIDTH));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} x{i}\n", main::X + i));
    }
    s.push_str(&format!("  {:>3} acc\n  {:>3} mult\n", main::ACC, main::MULT));
    s.push_str(&format!("periodic ({} columns)\n", periodic::COUNT));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} A{i}\n", periodic::A + i));
    }
    for (c, name) in [
        (periodic::QSEL, "QSEL"),
        (periodic::TSH, "TSH"),
        (periodic::E, "E"),
        (periodic::TP, "TP"),
        (periodic::RELU, "RELU"),
        (periodic::OFFW, "OFFW"),
        (periodic::AOUT, "AOUT"),
        (periodic::FO, "FO"),
        (periodic::TP2, "TP2"),
        (periodic::DSEL, "DSEL"),
        (periodic::DM1, "DM1"),
        (periodic::TAB, "TAB (cycle 256)"),
    ] {
        s.push_str(&format!("  {c:>3} {name}\n"));
    }
    s.push_str(&format!(
        "aux ({} extension columns, {} random elements)\n",
        aux::WIDTH,
        aux::RANDS
    ));
    for k in 0..LANES / 2 {
        s.push_str(&format!("  {k:>3} h{k} = 1/d(lane {}) + 1/d(lane {})\n", 2 * k, 2 * k + 1));
    }
    s.push_str(&format!("  {:>3} h{} = -mult/d(table) - FO/d(write)\n", LANES / 2, LANES / 2));
    s.push_str(&format!("  {:>3} S (LogUp running sum)\n", aux::S));
    s.push_str(&format!("  {:>3} G = gamma^row\n", aux::G));
    s.push_str(&format!("  {:>3} CW = -c(address written) (asserted)\n", aux::CW));
    s.push_str(&format!("  {:>3} F (linear running sum)\n", aux::F));
    s.push_str(&format!("main constraints: {}\n", MAIN_CONSTRAINTS.join(", ")));
    s
}
