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

/// The predicted class: the value of a single integer output (a class label, as ArgMax
/// produces), otherwise the index of the largest value of the first output.
pub fn predicted_class(program: &runtime::Program, outputs: &[runtime::Tensor]) -> usize {
    match outputs.first() {
        Some(t) if t.scale == 0 && t.data.len() == 1 => usize::try_from(t.data[0]).unwrap_or(0),
        Some(t) => argmax(&t.to_f64()),
        None => {
            let _ = program;
            0
        }
    }
}

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
        let top = predicted_class(&program, &outputs);
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
