//! The main transition constraints as one table: each entry's label (as violations and the
//! column map name it), its degree (as the AIR declares it) and its expression, side by side.
//! The auxiliary constraints' labels and degrees are listed by [`aux()`](fn@aux); their
//! expressions are in [`crate::ModelAir`]'s `evaluate_aux_transition` (the bus and the linear
//! relation need the random elements).

use winterfell::math::FieldElement;

use crate::cols::{MainCols, PeriodicCols};
use crate::field::Felt;
use crate::layout::{aux, FACTOR_OFFSET, HALF, LIMB_BITS, T_LANES, V1_LANES, V2_LANES};

/// A transition constraint: label and degree (in the trace columns, periodic columns
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Constraint {
    /// Short name, as reported by [`crate::debug`] and listed by
    /// [`crate::layout::column_map`].
    pub label: &'static str,
    /// Degree of the expression.
    pub degree: usize,
}

/// Declares the main constraints: the table `MAIN` (label and degree per entry) and
/// `eval_main`, whose `result[k]` is entry `k`'s expression, from one list.
macro_rules! main_constraints {
    (
        |$c:ident, $p:ident| { $($setup:tt)* }
        $( $label:literal [$degree:literal] => $expr:expr, )*
    ) => {
        /// The main transition constraints, in evaluation order.
        pub const MAIN: &[Constraint] =
            &[$(Constraint { label: $label, degree: $degree }),*];

        /// Evaluates the main transition constraints on row `c` with periodic values `p` into
        /// `result` (in [`MAIN`] order).
        pub(crate) fn eval_main<E: FieldElement<BaseField = Felt>>(
            c: &[E],
            p: &[E],
            result: &mut [E],
        ) {
            let ($c, $p) = (MainCols::view(c), PeriodicCols::view(p));
            $($setup)*
            let values = [$($expr),*];
            result[..values.len()].copy_from_slice(&values);
        }
    };
}

// `T_X`, `V1_X`, `V2_X`: the limb sums of half `X`'s lane groups; `T`, `V1`, `V2`: slot `A`'s
// (its half's, plus half `B`'s shifted up on a wide row); capitals periodic (`sa`, `sb` the
// slots' fields). Degrees count `acc` and the limbs as 1, periodic values as 1.
main_constraints! {
    |c, p| {
        let [ha, hb] = half_sums(&c.x);
        let [t, v1, v2] = wide_sums(ha, hb, p.wide);
        let (sa, sb) = (&p.sa, &p.sb);
        let off = E::from(FACTOR_OFFSET as u32);
        let two = E::from(2u32);
    }
    // TSH_A acc + E_A - TP_A V1 + TP2_A V2 - QSEL_A T = 0 (V1, V2 carry WIDE: degree 3).
    "requant A" [3] => sa.tsh * c.acc + sa.e - sa.tp * v1 + sa.tp2 * v2 - sa.qsel * t,
    "requant B" [2] => sb.tsh * c.acc_b + sb.e - sb.tp * hb[1] + sb.tp2 * hb[2] - sb.qsel * hb[0],
    // RELU_X V1_X V2_X = 0: one of the two signed halves is zero.
    "relu A" [3] => sa.relu * ha[1] * ha[2],
    "relu B" [3] => sb.relu * hb[1] * hb[2],
    // With the two above and non-negative limb sums: V1 V2 = 0 on a wide row.
    "relu wide" [3] => p.reluw * (ha[1] * hb[2] + hb[1] * ha[2]),
    // DSEL_X (T + V2) = DM1_X: the remainder is below the divisor.
    "division A" [3] => sa.dsel * (t + v2) - sa.dm1,
    "division B" [2] => sb.dsel * (hb[0] + hb[2]) - sb.dm1,
    // A slot without a node (and every padding row) carries a zero accumulator.
    "idle A" [2] => (E::ONE - sa.qsel) * c.acc,
    "idle B" [2] => (E::ONE - sb.qsel) * c.acc_b,
    // PSEL (acc - X Y) = 0 with the factors stored offset in half B's V1 and V2 lanes.
    "product" [3] => p.psel * (c.acc - (hb[1] - off) * (hb[2] - off)),
    // DV (acc - 2 Q B - R) = 0: Q = V1_A - OFFW_A, B = V1_B - 2^23, R = V2_B.
    "quotient" [3] => p.dv * (c.acc - two * (ha[1] - sa.offw) * (hb[1] - off) - hb[2]),
    // DV (2B - 1 - R - C) = 0 with C = V2_A >= 0: R < 2B (and B >= 1).
    "quotient range" [2] => p.dv * (two * (hb[1] - off) - E::ONE - hb[2] - ha[2]),
    // RT (acc - Q^2 - R) = 0 and RT (2Q - R - C) = 0, C = V2_A >= 0: Q = floor(sqrt(acc)).
    "root" [3] => p.rt * (c.acc - (ha[1] - sa.offw) * (ha[1] - sa.offw) - hb[2]),
    "root range" [2] => p.rt * (two * (ha[1] - sa.offw) - hb[2] - ha[2]),
}

/// Labels and degrees of the auxiliary transition constraints, in evaluation order: one per
/// bus helper column, the bus running sum, the linear relation.
pub fn aux() -> Vec<Constraint> {
    let mut out = vec![Constraint { label: "bus helper", degree: 3 }; aux::HELPERS];
    out.push(Constraint { label: "bus running sum", degree: 3 });
    out.push(Constraint { label: "linear relation", degree: 3 });
    out
}

/// Limb sums `[T, V1, V2]` of each half of a row's lanes.
pub(crate) fn half_sums<E: FieldElement>(x: &[E]) -> [[E; 3]; 2] {
    let sum = |lanes: std::ops::Range<usize>, base: usize| {
        let mut acc = E::ZERO;
        for i in lanes.rev() {
            acc = acc * E::from(1u32 << LIMB_BITS) + x[base + i];
        }
        acc
    };
    [0, HALF].map(|base| [sum(T_LANES, base), sum(V1_LANES, base), sum(V2_LANES, base)])
}

/// Slot `A`'s limb sums `[T, V1, V2]`: its half's, plus the other half's shifted up on a wide
/// row (`wide` is 1 there, 0 elsewhere).
pub(crate) fn wide_sums<E: FieldElement>(ha: [E; 3], hb: [E; 3], wide: E) -> [E; 3] {
    let k = |lanes: std::ops::Range<usize>| E::from(1u32 << (LIMB_BITS as usize * lanes.len()));
    [
        ha[0] + wide * k(T_LANES) * hb[0],
        ha[1] + wide * k(V1_LANES) * hb[1],
        ha[2] + wide * k(V2_LANES) * hb[2],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_evaluation() {
        use crate::layout::{main, periodic};
        // Every entry is evaluated (a longer result stays untouched past the table).
        let sentinel = Felt::new(7);
        let mut result = vec![sentinel; MAIN.len() + 1];
        let row = vec![Felt::new(3); main::WIDTH];
        let per = vec![Felt::new(5); periodic::COUNT];
        eval_main(&row, &per, &mut result);
        assert_eq!(result[MAIN.len()], sentinel);
        assert!(result[..MAIN.len()].iter().any(|v| *v != sentinel));
        let mut labels: Vec<&str> = MAIN.iter().map(|c| c.label).collect();
        labels.dedup();
        assert_eq!(labels.len(), MAIN.len(), "labels are unique");
        // Constrained aux columns: the helpers, S and F (CW and CW_B are asserted).
        assert_eq!(aux().len(), aux::HELPERS + 2);
    }
}
