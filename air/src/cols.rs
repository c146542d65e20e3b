//! Typed views of a trace row and of the periodic values of a row: constraints read
//! `c.acc` and `p.a_slot.tsh`, not `row[17]`. The index constants of [`crate::layout`]
//! describe the same layout (they are checked against these structs below).

use std::mem::{offset_of, size_of};

use crate::layout::{main, periodic, LANES};

/// One main-trace row.
#[repr(C)]
#[derive(Debug)]
pub struct MainCols<T> {
    /// Limb lanes.
    pub x: [T; LANES],
    /// Slot `A`'s accumulator.
    pub acc: T,
    /// Slot `B`'s accumulator.
    pub acc_b: T,
    /// Range-table multiplicity.
    pub mult: T,
}

/// The periodic values of one slot.
#[repr(C)]
#[derive(Debug)]
pub struct SlotCols<T> {
    /// The slot holds a node.
    pub qsel: T,
    /// Remainder shift factor.
    pub tsh: T,
    /// Constant term of the requant constraint.
    pub e: T,
    /// Coefficient of `V1`.
    pub tp: T,
    /// ReLU flag.
    pub relu: T,
    /// Offset of signed outputs.
    pub offw: T,
    /// Address written.
    pub aout: T,
    /// Fan-out of the write.
    pub fo: T,
    /// Coefficient of `V2`.
    pub tp2: T,
    /// Division node.
    pub dsel: T,
    /// `d - 1` on division nodes.
    pub dm1: T,
    /// Lookup node.
    pub lsel: T,
    /// Tag of the table looked up.
    pub ltag: T,
}

/// The periodic (fixed) values of one row.
#[repr(C)]
#[derive(Debug)]
pub struct PeriodicCols<T> {
    /// Lane addresses (range lookup or zero cell).
    pub a: [T; LANES],
    /// Slot `A`.
    pub sa: SlotCols<T>,
    /// Slot `B`.
    pub sb: SlotCols<T>,
    /// Wide row.
    pub wide: T,
    /// Wide row with a ReLU.
    pub reluw: T,
    /// Product row.
    pub psel: T,
    /// Address of the factor `X`.
    pub pax: T,
    /// Address of the factor `Y`.
    pub pay: T,
    /// Quotient row.
    pub dv: T,
    /// Root row.
    pub rt: T,
    /// Table entry input (the range-table value in the range table).
    pub tx: T,
    /// Table entry tag.
    pub ttag: T,
    /// Table entry output.
    pub ty: T,
}

const W: usize = size_of::<u64>();
const _: () = assert!(size_of::<MainCols<u64>>() == main::WIDTH * W);
const _: () = assert!(offset_of!(MainCols<u64>, acc) == main::ACC * W);
const _: () = assert!(offset_of!(MainCols<u64>, acc_b) == main::ACC_B * W);
const _: () = assert!(offset_of!(MainCols<u64>, mult) == main::MULT * W);
const _: () = assert!(size_of::<SlotCols<u64>>() == periodic::SLOT * W);
const _: () = assert!(offset_of!(SlotCols<u64>, qsel) == periodic::QSEL * W);
const _: () = assert!(offset_of!(SlotCols<u64>, tsh) == periodic::TSH * W);
const _: () = assert!(offset_of!(SlotCols<u64>, e) == periodic::E * W);
const _: () = assert!(offset_of!(SlotCols<u64>, tp) == periodic::TP * W);
const _: () = assert!(offset_of!(SlotCols<u64>, relu) == periodic::RELU * W);
const _: () = assert!(offset_of!(SlotCols<u64>, offw) == periodic::OFFW * W);
const _: () = assert!(offset_of!(SlotCols<u64>, aout) == periodic::AOUT * W);
const _: () = assert!(offset_of!(SlotCols<u64>, fo) == periodic::FO * W);
const _: () = assert!(offset_of!(SlotCols<u64>, tp2) == periodic::TP2 * W);
const _: () = assert!(offset_of!(SlotCols<u64>, dsel) == periodic::DSEL * W);
const _: () = assert!(offset_of!(SlotCols<u64>, dm1) == periodic::DM1 * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, sa) == periodic::SLOT_A * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, sb) == periodic::SLOT_B * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, wide) == periodic::WIDE * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, reluw) == periodic::RELUW * W);
const _: () = assert!(offset_of!(SlotCols<u64>, lsel) == periodic::LSEL * W);
const _: () = assert!(offset_of!(SlotCols<u64>, ltag) == periodic::LTAG * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, psel) == periodic::PSEL * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, pax) == periodic::PAX * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, pay) == periodic::PAY * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, dv) == periodic::DV * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, rt) == periodic::RT * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, tx) == periodic::TX * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, ttag) == periodic::TTAG * W);
const _: () = assert!(offset_of!(PeriodicCols<u64>, ty) == periodic::TY * W);
const _: () = assert!(size_of::<PeriodicCols<u64>>() == periodic::COUNT * W);

impl<T> MainCols<T> {
    /// Views the first [`main::WIDTH`] values of a row. Rows handed to constraints always
    /// have that width; a shorter slice is a programming error.
    pub fn view(row: &[T]) -> &MainCols<T> {
        let row = &row[..main::WIDTH];
        // SAFETY: `MainCols<T>` is `repr(C)` and consists of exactly `main::WIDTH` fields of
        // type `T` (checked above), so it has the layout and alignment of `[T; main::WIDTH]`.
        unsafe { &*row.as_ptr().cast::<MainCols<T>>() }
    }
}

impl<T> PeriodicCols<T> {
    /// Views the periodic values of a row (in [`crate::layout::periodic`] order).
    pub fn view(values: &[T]) -> &PeriodicCols<T> {
        let values = &values[..periodic::COUNT];
        // SAFETY: as for `MainCols::view`: `repr(C)`, exactly `periodic::COUNT` fields of `T`.
        unsafe { &*values.as_ptr().cast::<PeriodicCols<T>>() }
    }
}
