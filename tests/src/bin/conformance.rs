//! Runs the ONNX conformance cases and writes CONFORMANCE.md.
//!
//! Usage: `conformance [CASES_DIR] [OUT.md]` (defaults: the cases that
//! `scripts/get-conformance.sh` fetches, and `CONFORMANCE.md`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir =
        args.next().map(PathBuf::from).unwrap_or_else(starkml_tests::conformance::default_dir);
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("CONFORMANCE.md"));
    let results = match starkml_tests::conformance::run_all(&dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut md = starkml_tests::conformance::report(&results);
    md.push_str(&starkml_tests::classical::conformance_section(&results));
    if let Err(e) = std::fs::write(&out, md) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return ExitCode::from(1);
    }
    let passed =
        results.iter().filter(|r| r.outcome == starkml_tests::conformance::Outcome::Passed).count();
    eprintln!("{passed}/{} cases passed; report written to {}", results.len(), out.display());
    ExitCode::SUCCESS
}
