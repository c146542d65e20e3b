//! Input JSON files: `{"input_name", "shape", "data"}`, a list of those (several inputs), or
//! EZKL's `{"input_data": [[...], ...]}` (one flat list per input, in order).

use std::path::Path;

use anyhow::{bail, Context, Result};
use runtime::Program;
use serde_json::Value;

fn flatten(v: &Value, out: &mut Vec<f64>, path: &str) -> Result<()> {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(x, out, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Value::Number(n) => {
            out.push(n.as_f64().with_context(|| format!("{path} is not a number"))?);
            Ok(())
        }
        _ => bail!("{path} is not a number"),
    }
}

struct Given {
    name: Option<String>,
    shape: Option<Vec<usize>>,
    data: Vec<f64>,
}

fn parse_obj(v: &Value, path: &str) -> Result<Given> {
    let data = v.get("data").with_context(|| format!("{path}: missing field 'data'"))?;
    let mut flat = Vec::new();
    flatten(data, &mut flat, &format!("{path}.data"))?;
    let name = match v.get("input_name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => bail!("{path}.input_name is not a string"),
    };
    let shape = match v.get("shape") {
        None => None,
        Some(Value::Array(dims)) => Some(
            dims.iter()
                .enumerate()
                .map(|(i, d)| {
                    d.as_u64()
                        .map(|x| x as usize)
                        .with_context(|| format!("{path}.shape[{i}] is not a non-negative integer"))
                })
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(_) => bail!("{path}.shape is not a list"),
    };
    Ok(Given { name, shape, data: flat })
}

/// Parses input JSON text for `program`, returning one flat list per program input.
pub fn parse_inputs(text: &str, program: &Program) -> Result<Vec<Vec<f64>>> {
    let v: Value = serde_json::from_str(text).context("invalid JSON")?;
    let given: Vec<Given> = match &v {
        Value::Object(o) if o.contains_key("input_data") => {
            let Some(Value::Array(items)) = o.get("input_data") else {
                bail!("input_data is not a list");
            };
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut flat = Vec::new();
                flatten(item, &mut flat, &format!("input_data[{i}]"))?;
                out.push(Given { name: None, shape: None, data: flat });
            }
            out
        }
        Value::Object(_) => vec![parse_obj(&v, "input")?],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| parse_obj(x, &format!("[{i}]")))
            .collect::<Result<_>>()?,
        _ => bail!("expected an object or a list of objects"),
    };
    if given.len() != program.inputs.len() {
        bail!(
            "the program takes {} input(s), the file gives {}",
            program.inputs.len(),
            given.len()
        );
    }
    let mut out = Vec::with_capacity(given.len());
    for (k, id) in program.inputs.iter().enumerate() {
        let t = program.tensor(*id).context("program input missing")?;
        let by_name = given.iter().all(|g| g.name.is_some())
            && given.iter().any(|g| g.name.as_deref() == Some(&t.name));
        let g = if by_name {
            given.iter().find(|g| g.name.as_deref() == Some(&t.name)).context("unreachable")?
        } else {
            &given[k]
        };
        if let Some(shape) = &g.shape {
            if *shape != t.shape {
                bail!(
                    "input '{}' has shape {:?} in the file, the program expects {:?}",
                    t.name,
                    shape,
                    t.shape
                );
            }
        }
        let n: usize = t.shape.iter().product();
        if g.data.len() != n {
            bail!("input '{}' has {} values, shape {:?} needs {n}", t.name, g.data.len(), t.shape);
        }
        out.push(g.data.clone());
    }
    Ok(out)
}

/// Reads and parses an input file.
pub fn read_inputs(path: &Path, program: &Program) -> Result<Vec<Vec<f64>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_inputs(&text, program).with_context(|| format!("in {}", path.display()))
}
