//! Program inputs: the JSON input files, and matching given arrays to a program's inputs.
//!
//! An input file is `{"input_name", "shape", "data"}` (name and shape optional), a list of
//! those (several inputs), or EZKL's `{"input_data": [[...], ...]}` (one flat or nested list
//! per input, in order), so an EZKL input file works unchanged.

use runtime::{Program, RuntimeError};
use serde_json::Value;

/// Why inputs do not fit a program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The text is not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A field is missing or of the wrong type; `path` names it (`[1].data[3]`).
    #[error("{path} {reason}")]
    Field {
        /// Where in the file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Not as many inputs as the program takes.
    #[error("the program takes {expected} input(s) ({names}), {got} given")]
    Count {
        /// Inputs the program takes.
        expected: usize,
        /// Their names.
        names: String,
        /// Inputs given.
        got: usize,
    },
    /// An input named that the program does not have.
    #[error("the program has no input '{name}' (its inputs: {names})")]
    Unknown {
        /// The name given.
        name: String,
        /// The program's input names.
        names: String,
    },
    /// A given shape differs from the program's (other than by axes of size 1).
    #[error("input '{name}' has shape {given:?}, the program expects {expected:?}")]
    Shape {
        /// Program input name.
        name: String,
        /// Shape given.
        given: Vec<usize>,
        /// Shape the program takes.
        expected: Vec<usize>,
    },
    /// Not as many values as the shape needs.
    #[error("input '{name}' has {got} values, shape {shape:?} needs {needed}")]
    Length {
        /// Program input name.
        name: String,
        /// Values given.
        got: usize,
        /// The program's shape.
        shape: Vec<usize>,
        /// Values it needs.
        needed: usize,
    },
    /// The runtime refused a value (not finite, or outside the declared input range).
    #[error("{0}")]
    Rejected(RuntimeError),
}

/// One given input: an optional name and shape, and flat row-major values.
#[derive(Debug, Clone, PartialEq)]
pub struct GivenInput {
    /// The program input it is meant for (matched by name when every input has one).
    pub name: Option<String>,
    /// Its shape, checked against the program's when given.
    pub shape: Option<Vec<usize>>,
    /// Flat row-major values.
    pub data: Vec<f64>,
}

fn field(path: &str, reason: &str) -> InputError {
    InputError::Field { path: path.to_string(), reason: reason.to_string() }
}

fn flatten(v: &Value, out: &mut Vec<f64>, path: &str) -> Result<(), InputError> {
    match v {
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(x, out, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Value::Number(n) => {
            out.push(n.as_f64().ok_or_else(|| field(path, "is not a number"))?);
            Ok(())
        }
        _ => Err(field(path, "is not a number")),
    }
}

fn parse_obj(v: &Value, path: &str) -> Result<GivenInput, InputError> {
    let data = v.get("data").ok_or_else(|| field(path, "has no field 'data'"))?;
    let mut flat = Vec::new();
    flatten(data, &mut flat, &format!("{path}.data"))?;
    let name = match v.get("input_name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(field(&format!("{path}.input_name"), "is not a string")),
    };
    let shape = match v.get("shape") {
        None => None,
        Some(Value::Array(dims)) => Some(
            dims.iter()
                .enumerate()
                .map(|(i, d)| {
                    d.as_u64()
                        .and_then(|x| usize::try_from(x).ok())
                        .ok_or_else(|| field(&format!("{path}.shape[{i}]"), "is not a size"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(field(&format!("{path}.shape"), "is not a list")),
    };
    Ok(GivenInput { name, shape, data: flat })
}

/// Parses input JSON text into the inputs it gives (not yet matched to a program).
///
/// # Errors
/// [`InputError::Json`] or [`InputError::Field`] naming the malformed field.
pub fn parse_given(text: &str) -> Result<Vec<GivenInput>, InputError> {
    let v: Value = serde_json::from_str(text).map_err(|e| InputError::Json(e.to_string()))?;
    match &v {
        Value::Object(o) if o.contains_key("input_data") => {
            let Some(Value::Array(items)) = o.get("input_data") else {
                return Err(field("input_data", "is not a list"));
            };
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut flat = Vec::new();
                flatten(item, &mut flat, &format!("input_data[{i}]"))?;
                out.push(GivenInput { name: None, shape: None, data: flat });
            }
            Ok(out)
        }
        Value::Object(_) => Ok(vec![parse_obj(&v, "input")?]),
        Value::Array(items) => {
            items.iter().enumerate().map(|(i, x)| parse_obj(x, &format!("[{i}]"))).collect()
        }
        _ => Err(field("input", "must be an object or a list of objects")),
    }
}

/// Parses input JSON text for `program`: one flat list per program input, in its order.
///
/// # Errors
/// As [`parse_given`] and [`match_inputs`].
pub fn parse_inputs(text: &str, program: &Program) -> Result<Vec<Vec<f64>>, InputError> {
    match_inputs(parse_given(text)?, program)
}

/// The shape without its leading axes of size 1.
fn unbatched(shape: &[usize]) -> &[usize] {
    let lead = shape.iter().take_while(|&&d| d == 1).count();
    &shape[lead..]
}

/// The program's input names, for messages.
pub fn input_names(program: &Program) -> String {
    let names: Vec<String> = program
        .inputs
        .iter()
        .filter_map(|id| program.tensor(*id))
        .map(|t| format!("'{}' {:?}", t.name, t.shape))
        .collect();
    names.join(", ")
}

/// Matches given inputs to `program`'s inputs: by name when every given input is named and
/// there are several, otherwise in order. A given shape must equal the program's up to leading
/// axes of size 1 (`[4]` for `[1, 4]`); the value count must be the shape's.
///
/// # Errors
/// [`InputError::Count`], [`InputError::Unknown`], [`InputError::Shape`],
/// [`InputError::Length`].
pub fn match_inputs(
    given: Vec<GivenInput>,
    program: &Program,
) -> Result<Vec<Vec<f64>>, InputError> {
    let tensors: Vec<&runtime::TensorInfo> =
        program.inputs.iter().filter_map(|id| program.tensor(*id)).collect();
    if given.len() != tensors.len() {
        return Err(InputError::Count {
            expected: tensors.len(),
            names: input_names(program),
            got: given.len(),
        });
    }
    let by_name = given.len() > 1 && given.iter().all(|g| g.name.is_some());
    let mut slots: Vec<Option<GivenInput>> = vec![None; tensors.len()];
    for (k, g) in given.into_iter().enumerate() {
        let slot = if by_name {
            let name = g.name.clone().unwrap_or_default();
            tensors
                .iter()
                .position(|t| t.name == name)
                .ok_or_else(|| InputError::Unknown { name, names: input_names(program) })?
        } else {
            k
        };
        slots[slot] = Some(g);
    }
    let mut out = Vec::with_capacity(tensors.len());
    for (t, g) in tensors.iter().zip(slots) {
        // Names are distinct in a program, so every slot is filled once.
        let g = g.ok_or_else(|| InputError::Count {
            expected: tensors.len(),
            names: input_names(program),
            got: 0,
        })?;
        if let Some(shape) = &g.shape {
            if unbatched(shape) != unbatched(&t.shape) {
                return Err(InputError::Shape {
                    name: t.name.clone(),
                    given: shape.clone(),
                    expected: t.shape.clone(),
                });
            }
        }
        let needed: usize = t.shape.iter().product();
        if g.data.len() != needed {
            return Err(InputError::Length {
                name: t.name.clone(),
                got: g.data.len(),
                shape: t.shape.clone(),
                needed,
            });
        }
        out.push(g.data);
    }
    Ok(out)
}

/// Reads and parses an input file for `program`.
///
/// # Errors
/// [`crate::Error::Read`], or [`crate::Error::Input`] as [`parse_inputs`].
pub fn read_inputs(
    path: &std::path::Path,
    program: &Program,
) -> Result<Vec<Vec<f64>>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::read(path, e))?;
    Ok(parse_inputs(&text, program)?)
}
