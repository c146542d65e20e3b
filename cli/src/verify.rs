//! `starkml verify`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use runtime::Program;
use serde_json::json;

use crate::run::classes_json;

/// Verify a proof of a run of a program; prints the proven outputs.
#[derive(Args)]
pub struct VerifyCmd {
    /// Program file (.stkm): the verifier's own copy of the model.
    program: PathBuf,
    /// Proof file written by `starkml prove`.
    proof: PathBuf,
    /// Print JSON: {"valid", "outputs", "argmax", "security", "trace_rows", "verify_ms"}, and
    /// for an evaluation program "score" and "test_set" (the test set's digest).
    #[arg(long)]
    json: bool,
    /// Refuse proofs with fewer bits of conjectured security than this (the presets give
    /// 95 for `fast`, 96 for `96`, 128 for `128`). Default: any preset.
    #[arg(long, value_name = "N", default_value_t = 0)]
    min_bits: u32,
    /// The published test set of an evaluation program: the proof is accepted only when it
    /// was made on exactly this test set (its inputs and labels, as the program quantises them).
    #[arg(long, value_name = "TEST.json")]
    dataset: Option<PathBuf>,
}

impl VerifyCmd {
    /// Runs the command. Exit code 0 when the proof is valid, 1 when not.
    pub fn execute(&self) -> Result<()> {
        let program_bytes = std::fs::read(&self.program)
            .with_context(|| format!("cannot read {}", self.program.display()))?;
        let bytes = std::fs::read(&self.proof)
            .with_context(|| format!("cannot read {}", self.proof.display()))?;
        // The test set is matched to the program the verifier decodes: read it first only
        // as far as the file format goes.
        let test_set = match &self.dataset {
            None => None,
            Some(p) => {
                let program = Program::from_bytes(&program_bytes)
                    .with_context(|| format!("invalid program file {}", self.program.display()))?;
                Some(crate::dataset::read_program_inputs(p, &program)?)
            }
        };
        let opts = starkml::VerifyOptions { min_bits: self.min_bits, test_set };
        let start = Instant::now();
        let verified = match starkml::verify(&program_bytes, &bytes, &opts) {
            Ok(v) => v,
            Err(starkml::Error::Program(e)) => {
                return Err(e)
                    .with_context(|| format!("invalid program file {}", self.program.display()));
            }
            Err(e @ (starkml::Error::Verify(_) | starkml::Error::OtherTestSet { .. })) => {
                if self.json {
                    println!("{}", json!({"valid": false, "reason": e.to_string()}));
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let starkml::Verified { proof, report, outputs, classes, score, test_set, .. } = verified;
        let named: Vec<(String, Vec<usize>, Vec<f64>)> =
            outputs.into_iter().map(|o| (o.name, o.shape, o.values)).collect();
        let top = classes_json(&classes);
        if self.json {
            let outs: Vec<_> =
                named.iter().map(|(n, s, d)| json!({"name": n, "shape": s, "data": d})).collect();
            println!(
                "{}",
                json!({
                    "valid": true,
                    "outputs": outs,
                    "argmax": top,
                    "security": {
                        "preset": proof.preset.name(),
                        "hash": proof.hash.name(),
                        "conjectured_bits": report.conjectured_bits,
                        "proven_bits": report.proven_bits,
                    },
                    "trace_rows": report.trace_len,
                    "score": score.map(|s| s.to_string()),
                    "test_set": score.map(|_| test_set.to_string()),
                    "verify_ms": ms,
                })
            );
        } else {
            println!(
                "valid proof of a run of {} (digest {})",
                self.program.display(),
                // Verified equal to the program's digest.
                runtime::ProgramDigest(proof.digest)
            );
            for (n, s, d) in &named {
                let vals: Vec<String> = d.iter().map(|x| format!("{x:.6}")).collect();
                println!("{n} {s:?}: [{}]", vals.join(", "));
            }
            println!("argmax: {top}");
            if let Some(s) = score {
                let checked = match &self.dataset {
                    Some(p) => format!(" (equal to {})", p.display()),
                    None => " (check it against the published one with --dataset TEST.json)".into(),
                };
                println!("proven {s} on test set {test_set}{checked}");
            }
            println!(
                "security: {} bits conjectured, {} bits proven ({} preset, {}); verified in {ms:.2} ms",
                report.conjectured_bits,
                report.proven_bits,
                proof.preset.name(),
                proof.hash.name()
            );
        }
        Ok(())
    }
}
