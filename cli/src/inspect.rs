//! `starkml inspect`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use runtime::{Op, Program, TensorKind};

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
        tables(&p);
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

/// One line per distinct lookup table: the real input range it covers (inputs beyond it are
/// clamped), its grid step and entries, its output range, and the ops reading it.
fn tables(p: &Program) {
    let mut seen: Vec<(&Op, u8, Vec<&str>)> = Vec::new();
    for node in &p.ops {
        if !matches!(node.op, Op::Table { .. }) {
            continue;
        }
        let grid = node.inputs.first().and_then(|t| p.tensor(*t)).map_or(0, |t| t.scale);
        match seen.iter_mut().find(|(op, g, _)| **op == node.op && *g == grid) {
            Some((_, _, origins)) => origins.push(&node.origin),
            None => seen.push((&node.op, grid, vec![&node.origin])),
        }
    }
    for (op, grid, origins) in seen {
        let Op::Table { lo, values, out_scale } = op else { continue };
        let real = |v: i64, s: u8| v as f64 / (1u64 << s) as f64;
        let hi = lo.saturating_add(values.len() as i64 - 1);
        let (min, max) =
            values.iter().fold((i64::MAX, i64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let shown: Vec<&str> = origins.iter().take(3).copied().collect();
        let more =
            if origins.len() > 3 { format!(" +{} more", origins.len() - 3) } else { String::new() };
        println!(
            "  table       [{}, {}] step 2^-{grid} ({} entries) -> [{}, {}] at scale {out_scale}; read by {}{more}",
            real(*lo, grid),
            real(hi, grid),
            values.len(),
            real(min, *out_scale),
            real(max, *out_scale),
            shown.join(", "),
        );
    }
}
