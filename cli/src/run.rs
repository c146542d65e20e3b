//! `starkml run`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::dataset::inputs_from;
use crate::inspect::load_program;

/// Run a program on an input file.
#[derive(Args)]
pub struct RunCmd {
    /// Program file (.stkm).
    program: PathBuf,
    /// Input JSON: {"input_name","shape","data"}, a list of those, or {"input_data": [[...]]}.
    #[arg(long, required_unless_present = "dataset", conflicts_with = "dataset")]
    input: Option<PathBuf>,
    /// Test set of an evaluation program (`starkml compile --dataset`): runs every sample
    /// and prints the score.
    #[arg(long, value_name = "TEST.json")]
    dataset: Option<PathBuf>,
    /// Print JSON: {"outputs": [{"name","shape","data"}], "argmax": N}.
    #[arg(long)]
    json: bool,
}

/// `predicted_classes` as JSON and text: a number for one sample, a list for a batch.
pub fn classes_json(classes: &[i64]) -> serde_json::Value {
    match classes {
        [one] => json!(one),
        many => json!(many),
    }
}

impl RunCmd {
    /// Runs the command.
    pub fn execute(&self) -> Result<()> {
        let program = load_program(&self.program)?;
        let inputs = inputs_from(self.input.as_deref(), self.dataset.as_deref(), &program)?;
        let outputs = runtime::run(&program, &inputs).map_err(starkml::Error::from_run)?;
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
        let top = classes_json(&starkml::predicted_classes(&program, &outputs));
        let q: Vec<Vec<i64>> = outputs.iter().map(|t| t.data.clone()).collect();
        let score = runtime::dataset::score(&program, &q);
        if self.json {
            let outs: Vec<_> =
                named.iter().map(|(n, s, d)| json!({"name": n, "shape": s, "data": d})).collect();
            let mut v = json!({"outputs": outs, "argmax": top});
            if let Some(s) = score {
                v["score"] = json!(s.to_string());
            }
            println!("{v}");
        } else {
            for (n, s, d) in &named {
                let vals: Vec<String> = d.iter().map(|x| format!("{x:.6}")).collect();
                println!("{n} {s:?}: [{}]", vals.join(", "));
            }
            println!("argmax: {top}");
            if let Some(s) = score {
                println!("{s}");
            }
        }
        Ok(())
    }
}
