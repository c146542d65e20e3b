//! Trace layout: main columns, periodic (fixed) columns and the auxiliary LogUp columns.
//!
//! Every row has [`LANES`] lanes. On a MAC row lane `i` reads one scalar `x_i` from the bus at
//! the fixed address `A_i` and adds `W_i * x_i` to the accumulator. On a requant row the lanes
//! hold 8-bit limbs: lanes `0..4` the shifted remainder `T`, lanes `4..10` the value `V1`,
//! lanes `10..16` the value `V2` (ReLU's negative part), each limb range-checked; limbs a row
//! does not use read the bus's zero cell, which forces them to 0.

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
    /// Lane values `x_0..x_15`.
    pub const X: usize = 0;
    /// Accumulator entering the row.
    pub const ACC_IN: usize = LANES;
    /// Accumulator leaving the row.
    pub const ACC_OUT: usize = LANES + 1;
    /// Multiplicity of the range-table entry of this row.
    pub const MULT: usize = LANES + 2;
    /// Number of main columns.
    pub const WIDTH: usize = LANES + 3;
}

/// Periodic (fixed) columns: the verifying key.
pub mod periodic {
    use super::LANES;
    /// Lane addresses `A_0..A_15`.
    pub const A: usize = 0;
    /// Lane weights `W_0..W_15` (MAC rows).
    pub const W: usize = LANES;
    /// Bias added on the first MAC row of a dot product.
    pub const BIAS: usize = 2 * LANES;
    /// 1 when the next row continues this row's accumulator.
    pub const CHAIN: usize = 2 * LANES + 1;
    /// 1 on requant rows.
    pub const QSEL: usize = 2 * LANES + 2;
    /// `2^(8 Lr - s)` on requant rows: the remainder shift.
    pub const TSH: usize = 2 * LANES + 3;
    /// `TSH * (2^(s-1) + 2^s * OFF)` on requant rows.
    pub const E: usize = 2 * LANES + 4;
    /// `TSH * 2^s` on requant rows.
    pub const TP: usize = 2 * LANES + 5;
    /// 1 on requant rows with a fused ReLU.
    pub const RELU: usize = 2 * LANES + 6;
    /// Offset subtracted from `V1` to get the written value (signed outputs).
    pub const OFFW: usize = 2 * LANES + 7;
    /// Bus address written by a requant row.
    pub const AOUT: usize = 2 * LANES + 8;
    /// Fan-out (multiplicity) of that write.
    pub const FO: usize = 2 * LANES + 9;
    /// Coefficient of `V2` in the requant constraint: `TP` on rounding-shift rows, 0 on
    /// division rows (where `V2` is the remainder's complement).
    pub const TP2: usize = 2 * LANES + 10;
    /// 1 on division rows (rounding division by a constant that is not a power of two).
    pub const DSEL: usize = 2 * LANES + 11;
    /// `d - 1` on division rows: `T + V2 = d - 1` bounds the remainder `T` below `d`.
    pub const DM1: usize = 2 * LANES + 12;
    /// Range table values `0..256`, cycle 256.
    pub const TAB: usize = 2 * LANES + 13;
    /// Number of periodic columns.
    pub const COUNT: usize = 2 * LANES + 14;
}

/// Auxiliary (extension-field) columns.
pub mod aux {
    /// LogUp helper columns: each sums two fractions of its row.
    pub const HELPERS: usize = 9;
    /// The running sum.
    pub const S: usize = HELPERS;
    /// Number of auxiliary columns.
    pub const WIDTH: usize = HELPERS + 1;
    /// Random elements drawn for the auxiliary segment (`alpha`, `beta`).
    pub const RANDS: usize = 2;
}

/// Labels of the main transition constraints, in evaluation order.
pub const MAIN_CONSTRAINTS: [&str; 5] = ["mac", "chain", "requant", "relu", "division"];

/// A listing of every column (main, periodic, auxiliary), one per line, for review and
/// snapshot tests.
pub fn column_map() -> String {
    let mut s = String::new();
    s.push_str(&format!("main ({} columns)\n", main::WIDTH));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} x{i}\n", main::X + i));
    }
    s.push_str(&format!(
        "  {:>3} acc_in\n  {:>3} acc_out\n  {:>3} mult\n",
        main::ACC_IN,
        main::ACC_OUT,
        main::MULT
    ));
    s.push_str(&format!("periodic ({} columns)\n", periodic::COUNT));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} A{i}\n", periodic::A + i));
    }
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} W{i}\n", periodic::W + i));
    }
    for (c, name) in [
        (periodic::BIAS, "BIAS"),
        (periodic::CHAIN, "CHAIN"),
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
    s.push_str(&format!("  {:>3} S (running sum)\n", aux::S));
    s.push_str(&format!("main constraints: {}\n", MAIN_CONSTRAINTS.join(", ")));
    s
}
