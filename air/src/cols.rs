//! Typed views of a trace row and of the periodic values of a row: constraints read
//! `c.acc` and `p.tsh`, not `row[17]`. The index constants of [`crate::layout`] describe
//! the same layout (they are checked against these structs below).

use std::mem::size_of;

use crate::layout::{main, periodic, LANES};

/// One main-trace row.
#[repr(C)]
#[derive(Debug)]
pub struct MainCols<T> {
    /// Limb lanes.
    pub x: [T; LANES],
    /// The node's accumulator.
    pub acc: T,
    /// Range-table multiplicity.
    pub mult: T,
}

/// The periodic (fixed) values of one row.
#[repr(C)]
#[derive(Debug)]
pub struct PeriodicCols<T> {
    /// Lane addresses (range lookup or zero cell).
    pub a: [T; LANES],
    /// Requant row.
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
    /// Division row.
    pub dsel: T,
    /// `d - 1` on division rows.
    pub dm1: T,
    /// Range-table value.
    pub tab: T,
}

const _: () = assert!(size_of::<MainCols<u64>>() == main::WIDTH * size_of::<u64>());
const _: () = assert!(size_of::<PeriodicCols<u64>>() == periodic::COUNT * size_of::<u64>());

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
