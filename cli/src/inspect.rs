//! `starkml inspect`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use runtime::{Program, TensorKind};

/// Print a program's text form and a summary.
#[derive(Args)]
pub struct InspectCmd {
    /// Program file (.stkm).
    program: PathBuf,
    /// Print only the summary.
    #[arg(long)]
    summary: bool,
}

/// Reads and validates a program file.
pub fn load_program(path: &PathBuf) -> Result<Program> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Program::from_bytes(&bytes).with_context(|| format!("invalid program file {}", path.display()))
}

impl InspectCmd {
    /// Runs the command.
    pub fn execute(&self) -> Result<()> {
        let p = load_program(&self.program)?;
        if !self.summary {
            print!("{p}");
            println!();
        }
        let s = p.stats();
        println!("summary");
        println!("  digest      {}", p.digest());
        let ops: Vec<String> = s.op_counts.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        println!("  ops         {} ({})", p.ops.len(), ops.join(", "));
        println!("  parameters  {}", s.params);
        println!("  MACs        {}", s.macs);
        let scales: Vec<String> = s.scales.iter().map(|x| x.to_string()).collect();
        println!("  scales      {} (fractional bits)", scales.join(", "));
        println!(
            "  max bound   2^{} (budget 2^{})",
            s.max_bound_bits,
            runtime::bounds::MAX_BOUND_BITS
        );
        let declared = runtime::bounds::declared_bounds(&p)?.len();
        if declared > 0 {
            println!(
                "  declared    {declared} bounds from calibration (enforced by run and prove)"
            );
        }
        for id in &p.inputs {
            if let Some(t) = p.tensor(*id) {
                if let TensorKind::Input { lo, hi } = t.kind {
                    println!(
                        "  input       {} {:?} range [{lo}, {hi}] scale {}",
                        t.name, t.shape, t.scale
                    );
                }
            }
        }
        for id in &p.outputs {
            if let Some(t) = p.tensor(*id) {
                println!(
                    "  output      {} {:?} scale {} bound {}",
                    t.name, t.shape, t.scale, t.bound
                );
            }
        }
        Ok(())
    }
}
