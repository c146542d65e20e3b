//! `starkml prove`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;

use crate::dataset::inputs_from;
use crate::inspect::load_program;

/// Run a program on an input and prove the run.
#[derive(Args)]
pub struct ProveCmd {
    /// Program file (.stkm).
    program: PathBuf,
    /// Input JSON (as for `starkml run`).
    #[arg(long, required_unless_present = "dataset", conflicts_with = "dataset")]
    input: Option<PathBuf>,
    /// Test set of an evaluation program (`starkml compile --dataset`): proves every
    /// prediction and the score in one proof.
    #[arg(long, value_name = "TEST.json")]
    dataset: Option<PathBuf>,
    /// Output proof file.
    #[arg(short, long, default_value = "run.proof")]
    output: PathBuf,
    /// Security preset: 96 (quadratic extension, blowup 8, 27 queries, 16 grinding bits),
    /// fast (blowup 4, 40 queries) or 128 (cubic extension, 38 queries).
    #[arg(long, default_value = "96", value_parser = ["96", "fast", "128"])]
    security: String,
    /// Hash of the commitments: blake3 (fastest) or blake2s (cheap to verify in Cairo).
    #[arg(long, default_value = "blake3", value_parser = ["blake3", "blake2s"])]
    hash: String,
}

impl ProveCmd {
    /// Runs the command.
    pub fn execute(&self) -> Result<()> {
        let program = load_program(&self.program)?;
        let inputs = inputs_from(self.input.as_deref(), self.dataset.as_deref(), &program)?;
        let opts = starkml::ProveOptions::parse(&self.security, &self.hash)?;
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let what = format!(
            "proving {} ({} preset, {})",
            self.program.display(),
            opts.preset.name(),
            opts.hash.name()
        );
        spinner.set_message(what.clone());
        spinner.enable_steady_tick(Duration::from_millis(120));
        let start = Instant::now();
        let result = starkml::prove(&program, &inputs, &opts, &mut |stage| {
            let rows = stage.rows().map(|r| format!(", {r} rows")).unwrap_or_default();
            spinner.set_message(format!("{what}: {}{rows}", stage.name()));
        });
        spinner.finish_and_clear();
        let proved = result?;
        let proof = proved.proof;
        let elapsed = start.elapsed();
        let bytes = proof.to_bytes();
        std::fs::write(&self.output, &bytes)
            .with_context(|| format!("cannot write {}", self.output.display()))?;
        let info = proof.proof.trace_info();
        eprintln!(
            "proved {} in {:.3} s: {} rows, proof {} bytes -> {} ({} preset, {}; conjectured security {} bits, proven {} bits)",
            self.program.display(),
            elapsed.as_secs_f64(),
            info.length(),
            bytes.len(),
            self.output.display(),
            opts.preset.name(),
            opts.hash.name(),
            proved.conjectured_bits,
            proved.proven_bits,
        );
        if let Some(score) = runtime::dataset::score(&program, &proof.outputs) {
            eprintln!(
                "proven {score} on test set {}",
                runtime::dataset::test_set_digest(&program, &proof.inputs)
            );
        }
        Ok(())
    }
}
