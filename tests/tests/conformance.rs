//! The ONNX conformance suite: no case crashes, and every claimed op passes at least 95% of
//! its plain in-scope cases. Runs every ONNX backend node-test case of the pinned onnx
//! release, which `bash scripts/get-conformance.sh` generates into `~/.cache` (or
//! `STARKML_CONFORMANCE_DIR`); without them the test fails, naming that command.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::conformance::{
    claim_rate, claimed, default_dir, proven_rate, run_all, Outcome, Proof, FETCH_COMMAND,
};

#[test]
fn conformance_cases_pass_for_claimed_ops_and_never_crash() {
    let dir = default_dir();
    let results = run_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let crashed: Vec<&str> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Crashed(_)))
        .map(|r| r.name.as_str())
        .collect();
    assert!(crashed.is_empty(), "crashed: {crashed:?}");
    // A passing case whose proof fails (other than a refusal naming what the AIR lacks) is a
    // bug in the prover or the verifier.
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| match &r.proof {
            Proof::Failed(why) => Some(format!("{}: {why}", r.name)),
            _ => None,
        })
        .collect();
    assert!(failed.is_empty(), "proofs failed: {failed:#?}");
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
        // An op counts as supported only when its passing cases also prove and verify.
        if let Some(rate) = proven_rate(&results, op) {
            let unproven: Vec<String> = results
                .iter()
                .filter(|r| r.op_type == op && !r.expanded && r.out_of_scope.is_none())
                .filter(|r| r.proof != Proof::Constant && !r.proof.verified())
                .map(|r| format!("{}: {:?}", r.name, r.proof))
                .collect();
            assert!(rate >= 0.95, "{op}: proven {:.0}% < 95%: {unproven:#?}", rate * 100.0);
        }
    }
}

#[test]
fn missing_cases_fail_naming_the_fetch_command() {
    let dir = std::env::temp_dir().join(format!("starkml-no-conformance-{}", std::process::id()));
    let err = run_all(&dir).expect_err("no index.json there");
    assert!(err.contains(FETCH_COMMAND), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
}

#[test]
fn a_stale_index_is_refused_naming_the_field() {
    let dir =
        std::env::temp_dir().join(format!("starkml-stale-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let index =
        r#"{"onnx_version": "1.16.0", "generator_version": 1, "total_cases": 1, "cases": []}"#;
    std::fs::write(dir.join("index.json"), index).unwrap();
    let err = run_all(&dir).expect_err("foreign index");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(err.contains("onnx_version is \"1.16.0\""), "{err}");
    assert!(err.contains(FETCH_COMMAND), "{err}");
}
