//! `starkml verify`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use runtime::Program;
use serde_json::json;

use crate::run::{classes_json, predicted_classes};

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
        let start = Instant::now();
        // The program is decoded (and validated) by the verifier, which hashes the file's
        // bytes instead of re-encoding the weights.
        let verdict = air::RunProof::from_bytes(&bytes).and_then(|proof| {
            air::verify_encoded(&program_bytes, &proof, self.min_bits)
                .map(|(program, r)| (program, proof, r))
        });
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let (program, proof, report) = match verdict {
            Ok(v) => v,
            Err(e) => {
                // A bad program file is reported as such, before any proof error.
                Program::from_bytes(&program_bytes)
                    .map(|_| ())
                    .with_context(|| format!("invalid program file {}", self.program.display()))?;
                if self.json {
                    println!("{}", json!({"valid": false, "reason": e.to_string()}));
                }
                bail!("invalid proof: {e}");
            }
        };
        let named: Vec<(String, Vec<usize>, Vec<f64>)> = program
            .outputs
            .iter()
            .zip(&proof.outputs)
            .map(|(id, vals)| {
                let t = program.tensor(*id);
                let scale = t.map_or(0, |t| t.scale);
                let data =
                    vals.iter().map(|&v| runtime::fixed_point::dequantize(v, scale)).collect();
                (
                    t.map(|t| t.name.clone()).unwrap_or_default(),
                    t.map(|t| t.shape.clone()).unwrap_or_default(),
                    data,
                )
            })
            .collect();
        let tensors: Vec<runtime::Tensor> = program
            .outputs
            .iter()
            .zip(&proof.outputs)
            .map(|(id, vals)| runtime::Tensor {
                shape: program.tensor(*id).map(|t| t.shape.clone()).unwrap_or_default(),
                scale: program.tensor(*id).map_or(0, |t| t.scale),
                data: vals.clone(),
            })
            .collect();
        let top = classes_json(&predicted_classes(&program, &tensors));
        let score = runtime::dataset::score(&program, &proof.outputs);
        let test_set = runtime::dataset::test_set_digest(&program, &proof.inputs);
        if let Some(path) = &self.dataset {
            let given = crate::dataset::read_program_inputs(path, &program)?;
            let q = runtime::quantize_inputs(&program, &given).with_context(|| {
                format!("the test set {} does not fit the program", path.display())
            })?;
            let published = runtime::dataset::test_set_digest(&program, &q);
            if published != test_set {
                if self.json {
                    println!(
                        "{}",
                        json!({"valid": false, "reason": "the proof was made on another test set"})
                    );
                }
                bail!(
                    "the proof is valid but was made on another test set: it proves test set {test_set}, {} is {published}",
                    path.display()
                );
            }
        }
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
