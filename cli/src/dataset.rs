//! Test sets for evaluation programs (`--dataset TEST.json`).

use std::path::Path;

use anyhow::{Context, Result};
use runtime::Program;
use transpiler::TestSet;

/// Reads and parses a test set file.
pub fn read_test_set(path: &Path) -> Result<TestSet> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    TestSet::from_json(&text).with_context(|| format!("in {}", path.display()))
}

/// The inputs of one run of evaluation program `program` on the test set in `path`.
pub fn read_program_inputs(path: &Path, program: &Program) -> Result<Vec<Vec<f64>>> {
    read_test_set(path)?.program_inputs(program).with_context(|| format!("in {}", path.display()))
}

/// The inputs from `--input` or `--dataset` (exactly one is given; clap enforces it).
pub fn inputs_from(
    input: Option<&Path>,
    dataset: Option<&Path>,
    program: &Program,
) -> Result<Vec<Vec<f64>>> {
    match (input, dataset) {
        (_, Some(d)) => read_program_inputs(d, program),
        (Some(i), None) => Ok(starkml::input::read_inputs(i, program)?),
        (None, None) => anyhow::bail!("give --input FILE or --dataset TEST.json"),
    }
}
