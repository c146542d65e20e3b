//! The LogUp bus relation: one place for its message. A message carries an address and a
//! value, `alpha - beta * addr - beta^2 * value`, with `alpha, beta` the first two auxiliary
//! random elements; range lookups use address 0, range-table entries likewise (address 0, the
//! table value).

use winterfell::math::FieldElement;

use crate::field::Felt;

/// The bus for one draw of `alpha, beta`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bus<E> {
    alpha: E,
    beta: E,
    beta2: E,
}

impl<E: FieldElement<BaseField = Felt>> Bus<E> {
    /// The bus of the auxiliary random elements `r` (`alpha = r[0]`, `beta = r[1]`).
    pub(crate) fn new(r: &[E]) -> Self {
        let (alpha, beta) = (r[0], r[1]);
        Bus { alpha, beta, beta2: beta * beta }
    }

    /// The message (denominator) of `value` at `addr`.
    pub(crate) fn message(&self, addr: E, value: E) -> E {
        self.alpha - self.beta * addr - self.beta2 * value
    }

    /// The message of a range-table entry (or a range lookup) of `value`: address 0.
    pub(crate) fn table(&self, value: E) -> E {
        self.alpha - self.beta2 * value
    }
}
