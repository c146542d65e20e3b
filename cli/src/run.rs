//! `starkml run`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use crate::input::read_inputs;
use crate::inspect::load_program;

/// Run a program on an input file.
#[derive(Args)]
pub struct RunCmd {
    /// Program file (.stkm).
    program: PathBuf,
    /// Input JSON: {"input_name","shape","data"}, a list of those, or {"input_data": [[...]]}.
    #[arg(long)]
    input: PathBuf,
    /// Print JSON: {"outputs": [{"name","shape","data"}], "argmax": N}.
    #[arg(long)]
    json: bool,
}

pub use runtime::shape::argmax;

impl RunCmd {
    /// Runs the command.
    pub fn execute(&self) -> Result<()> {
        let program = load_program(&self.program)?;
        let inputs = read_inputs(&self.input, &program)?;
        let outputs = runtime::run(&program, &inputs).context("run failed")?;
        let named: Vec<(String, Vec<usize>, Vec<f64>)> = program
            .outputs
            .iter()
            .zip(&outputs)
            .map(|(id, t)| {
                (
                    program.tensor(*id).map(|i| i.name.clone()).unwrap_or_default(),
                    t.shape.clone(),
                    t.to_f64(),
                )
            })
            .collect();
        let top = named.first().map(|(_, _, d)| argmax(d)).unwrap_or(0);
        if self.json {
            let outs: Vec<_> =
                named.iter().map(|(n, s, d)| json!({"name": n, "shape": s, "data": d})).collect();
            println!("{}", json!({"outputs": outs, "argmax": top}));
        } else {
            for (n, s, d) in &named {
                let vals: Vec<String> = d.iter().map(|x| format!("{x:.6}")).collect();
                println!("{n} {s:?}: [{}]", vals.join(", "));
            }
            println!("argmax: {top}");
        }
        Ok(())
    }
}
