//! The LogUp bus relation: one place for its message. A message carries an address and a
//! value, `alpha - beta * addr - beta^2 * value`, with `alpha, beta` the first two auxiliary
//! random elements; range lookups use address 0, range-table entries likewise (address 0, the
//! table value). Function-table entries and lookups carry a third component:
//! `alpha - beta * tag - beta^2 * x - beta^3 * y`.

use winterfell::math::FieldElement;

use crate::field::Felt;

/// The bus for one draw of `alpha, beta`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bus<E> {
    alpha: E,
    beta: E,
    beta2: E,
    beta3: E,
}

impl<E: FieldElement<BaseField = Felt>> Bus<E> {
    /// The bus of the auxiliary random elements `r` (`alpha = r[0]`, `beta = r[1]`).
    pub(crate) fn new(r: &[E]) -> Self {
        let (alpha, beta) = (r[0], r[1]);
        Bus { alpha, beta, beta2: beta * beta, beta3: beta * beta * beta }
    }

    /// The message (denominator) of `value` at `addr`.
    pub(crate) fn message(&self, addr: E, value: E) -> E {
        self.alpha - self.beta * addr - self.beta2 * value
    }

    /// The message of a table entry `(tag, x, y)`, `alpha - beta tag - beta^2 x - beta^3 y`:
    /// the range table's entries (and range lookups) are `(0, v, 0)`, the same message as a
    /// value `v` at address 0; function tables have tags no address takes
    /// ([`crate::layout::table_tag`]).
    pub(crate) fn entry(&self, tag: E, x: E, y: E) -> E {
        self.alpha - self.beta * tag - self.beta2 * x - self.beta3 * y
    }
}
