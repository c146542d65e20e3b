//! The ONNX conformance suite: no case crashes, and every claimed op passes at least 95% of
//! its plain in-scope cases. Needs `../shared/conformance` beside the repository (or
//! `STARKML_CONFORMANCE_DIR`).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::conformance::{claim_rate, claimed, default_dir, run_all, Outcome};

#[test]
fn conformance_cases_pass_for_claimed_ops_and_never_crash() {
    let dir = default_dir();
    let results = run_all(&dir)
        .unwrap_or_else(|e| panic!("conformance cases not found at {}: {e}", dir.display()));
    assert!(results.len() >= 400, "only {} cases", results.len());
    let crashed: Vec<&str> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Crashed(_)))
        .map(|r| r.name.as_str())
        .collect();
    assert!(crashed.is_empty(), "crashed: {crashed:?}");
    let mut ops: Vec<&str> =
        results.iter().map(|r| r.op_type.as_str()).filter(|o| claimed(o)).collect();
    ops.sort_unstable();
    ops.dedup();
    assert!(ops.len() >= 20, "claimed ops with cases: {ops:?}");
    for op in ops {
        if let Some(rate) = claim_rate(&results, op) {
            let fails: Vec<String> = results
                .iter()
                .filter(|r| r.op_type == op && !r.expanded && r.outcome != Outcome::Passed)
                .map(|r| format!("{}: {:?}", r.name, r.outcome))
                .collect();
            assert!(rate >= 0.95, "{op}: {:.0}% < 95%: {fails:#?}", rate * 100.0);
        }
    }
}
