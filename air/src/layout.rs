//! Trace layout: main columns, periodic (fixed) columns and the auxiliary columns.
//!
//! A row holds up to two *nodes* `out = f(round_div(bias + sum_j w_j x_j, d))`, one per slot
//! (`A` and `B`). Each node's accumulator `acc = bias + sum_j w_j x_j` sits in its slot's
//! column; all accumulators are checked at once by a random linear combination (the `linear`
//! relation, [`crate::linear`]). The 16 lanes hold 8-bit limbs, each range-checked; lanes
//! `0..8` belong to slot `A`, lanes `8..16` to slot `B`, and within a half lanes `0..2` hold the
//! shifted remainder `T`, lanes `2..5` the value `V1` and lanes `5..8` the value `V2` (ReLU's
//! negative part or a division's complement). A *narrow* node (`T` up to 16 bits, `V1` and `V2`
//! up to 24) fits one half. A *wide* row (periodic flag `WIDE`) holds one node in slot `A`
//! whose limb sums take both halves: `T = T_A + 2^16 T_B`, `V1 = V1_A + 2^24 V1_B`,
//! `V2 = V2_A + 2^24 V2_B` (up to 32, 48 and 48 bits). Limbs a row does not use read the
//! bus's zero cell, which forces them to 0.

/// Lanes per row.
pub const LANES: usize = 16;
/// Lanes of one slot.
pub const HALF: usize = LANES / 2;
/// Lanes of the shifted remainder `T` within a half (up to 16 bits).
pub const T_LANES: std::ops::Range<usize> = 0..2;
/// Lanes of `V1` within a half (up to 24 bits).
pub const V1_LANES: std::ops::Range<usize> = 2..5;
/// Lanes of `V2` within a half (up to 24 bits).
pub const V2_LANES: std::ops::Range<usize> = 5..8;
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

/// On a product row, the lanes of half `B` holding the factors: `X` in its `V1` lanes, `Y` in
/// its `V2` lanes, each a signed 24-bit value stored with [`FACTOR_OFFSET`] added.
pub const FACTOR_X_LANES: std::ops::Range<usize> = HALF + 2..HALF + 5;
/// The lanes of the factor `Y` (half `B`'s `V2` lanes).
pub const FACTOR_Y_LANES: std::ops::Range<usize> = HALF + 5..HALF + 8;
/// Offset of the stored factors: a factor `x` in `[-2^23, 2^23)` is stored as `x + 2^23`.
pub const FACTOR_OFFSET: u64 = 1 << 23;

/// The bus tag of function table `t`: the field element `-(t + 1)`, which no address (a
/// `u32`) and not the range table's tag 0 equals.
pub fn table_tag(t: usize) -> crate::field::Felt {
    use winterfell::math::FieldElement;
    crate::field::Felt::ZERO - crate::field::Felt::new(t as u64 + 1)
}

/// A group of limbs of a node: the shifted remainder, the value, the second value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimbGroup {
    /// The shifted remainder `T`.
    T,
    /// The value `V1`.
    V1,
    /// The second value `V2`.
    V2,
}

impl LimbGroup {
    /// Lanes of the group within a half.
    pub fn half_lanes(self) -> std::ops::Range<usize> {
        match self {
            LimbGroup::T => T_LANES,
            LimbGroup::V1 => V1_LANES,
            LimbGroup::V2 => V2_LANES,
        }
    }
}

/// Where a node sits: its row and slot, and whether the row is wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Trace row.
    pub row: usize,
    /// Slot `B` (lanes `8..16`) rather than `A`.
    pub b: bool,
    /// The row is wide (slot `A` uses both halves).
    pub wide: bool,
}

impl Slot {
    /// The lane of limb `k` of `group`, or `None` when the slot has no such limb.
    pub fn lane(&self, group: LimbGroup, k: usize) -> Option<usize> {
        let lanes = group.half_lanes();
        let per = lanes.len();
        if k < per {
            Some(lanes.start + k + if self.b { HALF } else { 0 })
        } else if self.wide && !self.b && k < 2 * per {
            Some(HALF + lanes.start + k - per)
        } else {
            None
        }
    }

    /// Limbs of `group` the slot can hold.
    pub fn capacity(&self, group: LimbGroup) -> usize {
        group.half_lanes().len() * if self.wide { 2 } else { 1 }
    }
}

/// Main trace columns.
pub mod main {
    use super::LANES;
    /// Limb lanes `x_0..x_15`.
    pub const X: usize = 0;
    /// Slot `A`'s accumulator `bias + sum_j w_j x_j` (checked by the linear relation).
    pub const ACC: usize = LANES;
    /// Slot `B`'s accumulator.
    pub const ACC_B: usize = LANES + 1;
    /// Multiplicity of the range-table entry of this row.
    pub const MULT: usize = LANES + 2;
    /// Number of main columns.
    pub const WIDTH: usize = LANES + 3;
}

/// Periodic (fixed) columns: the verifying key.
pub mod periodic {
    use super::LANES;
    /// Lane addresses `A_0..A_15`: 0 (range lookup) or 1 (zero cell).
    pub const A: usize = 0;
    /// First column of slot `A`'s fields ([`SLOT`] of them, in the order below).
    pub const SLOT_A: usize = LANES;
    /// First column of slot `B`'s fields.
    pub const SLOT_B: usize = LANES + SLOT;
    /// Fields per slot.
    pub const SLOT: usize = 13;
    /// Offset of the slot field: 1 when the slot holds a node.
    pub const QSEL: usize = 0;
    /// `2^(8 Lr - s)`: the remainder shift.
    pub const TSH: usize = 1;
    /// `TSH * (2^(s-1) + 2^s * OFF)`.
    pub const E: usize = 2;
    /// `TSH * 2^s`: the coefficient of `V1`.
    pub const TP: usize = 3;
    /// 1 with a fused ReLU.
    pub const RELU: usize = 4;
    /// Offset subtracted from `V1` to get the written value (signed outputs).
    pub const OFFW: usize = 5;
    /// Bus address written.
    pub const AOUT: usize = 6;
    /// Fan-out (multiplicity) of that write on the bus (1 for program outputs, else 0).
    pub const FO: usize = 7;
    /// Coefficient of `V2`: `TP` on rounding-shift nodes, 0 on division nodes (where `V2` is
    /// the remainder's complement).
    pub const TP2: usize = 8;
    /// 1 on division nodes (rounding division by a constant that is not a power of two).
    pub const DSEL: usize = 9;
    /// `d - 1` on division nodes: `T + V2 = d - 1` bounds the remainder `T` below `d`.
    pub const DM1: usize = 10;
    /// 1 on lookup nodes: the slot reads the function-table entry `(LTAG, acc, V1 - OFFW)`.
    pub const LSEL: usize = 11;
    /// Tag of the function table a lookup node reads ([`super::table_tag`]).
    pub const LTAG: usize = 12;
    /// 1 on wide rows.
    pub const WIDE: usize = LANES + 2 * SLOT;
    /// 1 on wide rows with a ReLU (the cross products of the two halves vanish).
    pub const RELUW: usize = WIDE + 1;
    /// 1 on product rows: slot `A`'s accumulator is the product of the factors in half `B`,
    /// read on the bus at `PAX` and `PAY` (and left out of the linear relation).
    pub const PSEL: usize = WIDE + 2;
    /// Address of the factor `X` on product rows.
    pub const PAX: usize = WIDE + 3;
    /// Address of the factor `Y` on product rows.
    pub const PAY: usize = WIDE + 4;
    /// 1 on quotient rows: slot `A`'s accumulator is `2 Q B + R` with `Q` its value, the
    /// divisor `B` read at `PAX` into half `B`'s `V1` lanes, `R` in half `B`'s `V2` lanes and
    /// `2B - 1 - R` in half `A`'s `V2` lanes.
    pub const DV: usize = WIDE + 5;
    /// 1 on root rows: slot `A`'s accumulator is `Q^2 + R` with `Q` its value, `R` in half
    /// `B`'s `V2` lanes and `2Q - R` in half `A`'s `V2` lanes.
    pub const RT: usize = WIDE + 6;
    /// Table entries `(TTAG, TX, TY)`, one per row, with the schedule's table cycle: the
    /// range table `(0, v, 0)` for `v` in `0..256`, then every function table's
    /// `(tag, x, f(x))`, then copies of `(0, 0, 0)`. This column is `TX`.
    pub const TX: usize = WIDE + 7;
    /// Table entry tag: 0 for the range table, [`super::table_tag`] for function tables.
    pub const TTAG: usize = WIDE + 8;
    /// Table entry output (0 in the range table).
    pub const TY: usize = WIDE + 9;
    /// Number of periodic columns.
    pub const COUNT: usize = TY + 1;
}

/// Auxiliary (extension-field) columns.
pub mod aux {
    /// LogUp helper columns: each sums two fractions of its row (eight lane pairs; the
    /// table entry and slot `B`'s write; the two slots' function-table lookups; the two factor
    /// reads of a product row). Slot `A`'s write enters the running sum's constraint directly.
    pub const HELPERS: usize = 11;
    /// The LogUp running sum.
    pub const S: usize = HELPERS;
    /// `-c(a) / gamma^r` on row `r`, with `a` the address slot `A` writes and `c(a)` the
    /// verifier's coefficient of that value in the random combination of all nodes (asserted
    /// on every row).
    pub const CW: usize = HELPERS + 1;
    /// The same for slot `B`.
    pub const CW_B: usize = HELPERS + 2;
    /// The linear relation's sum, by Horner's rule from the last row up: row `r` holds
    /// `sum_{r' >= r} gamma^(r' - r) t_r'` (slot `A`'s accumulator carries weight `gamma^r`,
    /// slot `B`'s `gamma^(r + K)`, `K` the schedule's pairing offset).
    pub const F: usize = HELPERS + 3;
    /// Number of auxiliary columns.
    pub const WIDTH: usize = HELPERS + 4;
    /// Random elements drawn for the auxiliary segment (`alpha`, `beta` for the bus, `gamma`
    /// for the linear relation).
    pub const RANDS: usize = 3;
}

/// A listing of every column (main, periodic, auxiliary), one per line, for review and
/// snapshot tests.
pub fn column_map() -> String {
    let mut s = String::new();
    s.push_str(&format!("main ({} columns)\n", main::WIDTH));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} x{i}\n", main::X + i));
    }
    s.push_str(&format!(
        "  {:>3} acc (slot A)\n  {:>3} acc_b (slot B)\n  {:>3} mult\n",
        main::ACC,
        main::ACC_B,
        main::MULT
    ));
    s.push_str(&format!("periodic ({} columns)\n", periodic::COUNT));
    for i in 0..LANES {
        s.push_str(&format!("  {:>3} A{i}\n", periodic::A + i));
    }
    let fields = [
        "QSEL", "TSH", "E", "TP", "RELU", "OFFW", "AOUT", "FO", "TP2", "DSEL", "DM1", "LSEL",
        "LTAG",
    ];
    for (base, slot) in [(periodic::SLOT_A, "A"), (periodic::SLOT_B, "B")] {
        for (k, name) in fields.iter().enumerate() {
            s.push_str(&format!("  {:>3} {name}_{slot}\n", base + k));
        }
    }
    s.push_str(&format!("  {:>3} WIDE\n  {:>3} RELUW\n", periodic::WIDE, periodic::RELUW));
    s.push_str(&format!(
        "  {:>3} PSEL\n  {:>3} PAX\n  {:>3} PAY\n  {:>3} DV\n  {:>3} RT\n",
        periodic::PSEL,
        periodic::PAX,
        periodic::PAY,
        periodic::DV,
        periodic::RT
    ));
    s.push_str(&format!(
        "  {:>3} TX\n  {:>3} TTAG\n  {:>3} TY (table entries, the schedule's table cycle)\n",
        periodic::TX,
        periodic::TTAG,
        periodic::TY
    ));
    s.push_str(&format!(
        "aux ({} extension columns, {} random elements)\n",
        aux::WIDTH,
        aux::RANDS
    ));
    for k in 0..LANES / 2 {
        s.push_str(&format!("  {k:>3} h{k} = 1/d(lane {}) + 1/d(lane {})\n", 2 * k, 2 * k + 1));
    }
    s.push_str(&format!("  {:>3} h{} = -mult/d(table) - FO_B/d(write B)\n", LANES / 2, LANES / 2));
    s.push_str(&format!(
        "  {:>3} h{} = LSEL_A/d(lookup A) + LSEL_B/d(lookup B)\n",
        LANES / 2 + 1,
        LANES / 2 + 1
    ));
    s.push_str(&format!(
        "  {:>3} h{} = (PSEL + DV)/d(factor X) + PSEL/d(factor Y)\n",
        LANES / 2 + 2,
        LANES / 2 + 2
    ));
    s.push_str(&format!("  {:>3} S (LogUp running sum; includes -FO_A/d(write A))\n", aux::S));
    s.push_str(&format!(
        "  {:>3} CW = -c(address written by slot A) / gamma^row (asserted)\n",
        aux::CW
    ));
    s.push_str(&format!(
        "  {:>3} CW_B = -c(address written by slot B) / gamma^row (asserted)\n",
        aux::CW_B
    ));
    s.push_str(&format!("  {:>3} F (linear sum, Horner from the last row)\n", aux::F));
    let labels: Vec<&str> = crate::constraints::MAIN.iter().map(|c| c.label).collect();
    s.push_str(&format!("main constraints: {}\n", labels.join(", ")));
    s
}
