//! The security table of `air/README.md` matches Winterfell's formulas at every trace length
//! the prover accepts (2^9 to `MAX_TRACE_LEN` = 2^22 rows), for every preset and both hashes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use air::field::Felt;
use air::layout::{aux, main};
use air::{Blake2s256Hasher, HashKind, Preset};
use starkml_tests::ModelCase;
use winter_air::proof::Context;
use winterfell::crypto::hashers::Blake3_256;
use winterfell::{Proof, TraceInfo};

/// `(conjectured, lowest proven, highest proven)` over the accepted trace lengths.
fn figures(preset: Preset, hash: HashKind, num_constraints: usize) -> (u32, u32, u32) {
    let (mut conj, mut lo, mut hi) = (u32::MAX, u32::MAX, 0);
    for log_len in 9..=air::schedule::MAX_TRACE_LEN.ilog2() {
        let mut p = Proof::new_dummy();
        let info =
            TraceInfo::new_multi_segment(main::WIDTH, aux::WIDTH, aux::RANDS, 1 << log_len, vec![]);
        p.context = Context::new::<Felt>(info, preset.options(), num_constraints);
        let (c, ldr) = match hash {
            HashKind::Blake3 => (
                p.conjectured_security::<Blake3_256<Felt>>().bits(),
                p.proven_security::<Blake3_256<Felt>>().ldr_bits(),
            ),
            HashKind::Blake2s => (
                p.conjectured_security::<Blake2s256Hasher<Felt>>().bits(),
                p.proven_security::<Blake2s256Hasher<Felt>>().ldr_bits(),
            ),
        };
        conj = conj.min(c);
        lo = lo.min(ldr);
        hi = hi.max(ldr);
    }
    (conj, lo, hi)
}

/// The `conjectured / proven bits` cell of a preset's row of the README's options table.
fn readme_cell(preset: &str) -> String {
    let readme = include_str!("../../air/README.md");
    let row = readme
        .lines()
        .find(|l| l.starts_with(&format!("| `{preset}`")))
        .unwrap_or_else(|| panic!("no row for preset {preset} in air/README.md"));
    row.trim_end_matches('|').rsplit('|').next().unwrap().trim().to_string()
}

#[test]
fn readme_security_table_matches_winterfell_at_every_trace_length() {
    let case = ModelCase::new("logreg_iris");
    let (proof, _) = case.prove(Preset::Fast, HashKind::Blake3);
    let n = proof.proof.context.num_constraints();
    for preset in [Preset::Bits96, Preset::Fast, Preset::Bits128] {
        let (conj, lo, hi) = figures(preset, HashKind::Blake3, n);
        assert_eq!(figures(preset, HashKind::Blake2s, n), (conj, lo, hi), "{preset:?}");
        let proven = if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") };
        assert_eq!(readme_cell(preset.name()), format!("{conj} / {proven}"), "{preset:?}");
    }
}
