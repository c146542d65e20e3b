//! The input/output description a model contract returns from `io_spec()`, so that clients
//! can quantise inputs and read outputs without the program file.
//!
//! Felt layout: `n_inputs`, then per input `name, scale, bound, rank, dims..`; `n_outputs`,
//! then per output `name, scale, rank, dims..`. Names are Cairo short strings (at most 31
//! ASCII bytes; longer names are cut, other bytes become `?`).

use runtime::{Program, TensorId, TensorInfo, TensorKind};
use starknet_rust::core::types::Felt;

use crate::error::StarknetError;

/// Largest rank and tensor count accepted from a contract.
const MAX_RANK: u64 = 8;
const MAX_TENSORS: u64 = 64;

/// One input or output tensor of a model contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoTensor {
    /// Name (possibly shortened).
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Fractional bits.
    pub scale: u8,
    /// Static bound `|x| <= bound` (inputs; 0 for outputs).
    pub bound: u64,
}

/// Inputs and outputs of a model contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoSpec {
    /// Inputs in calldata order.
    pub inputs: Vec<IoTensor>,
    /// Outputs in return order.
    pub outputs: Vec<IoTensor>,
}

/// A name as a Cairo short string felt.
pub fn short_string(name: &str) -> Felt {
    let bytes: Vec<u8> =
        name.bytes().take(31).map(|b| if b.is_ascii() && b != 0 { b } else { b'?' }).collect();
    Felt::from_bytes_be_slice(&bytes)
}

fn from_short_string(f: Felt) -> String {
    f.to_bytes_be()
        .iter()
        .skip_while(|&&b| b == 0)
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' })
        .collect()
}

impl IoSpec {
    /// The spec of a program.
    pub fn of(program: &Program) -> IoSpec {
        let tensor = |id: &TensorId, input: bool| {
            program.tensor(*id).map(|t| IoTensor {
                name: t.name.chars().take(31).collect(),
                shape: t.shape.clone(),
                scale: t.scale,
                bound: if input { t.bound } else { 0 },
            })
        };
        IoSpec {
            inputs: program.inputs.iter().filter_map(|id| tensor(id, true)).collect(),
            outputs: program.outputs.iter().filter_map(|id| tensor(id, false)).collect(),
        }
    }

    /// The felts `io_spec()` returns (without the array length prefix).
    pub fn to_felts(&self) -> Vec<Felt> {
        let mut out = vec![Felt::from(self.inputs.len() as u64)];
        for t in &self.inputs {
            out.extend([short_string(&t.name), Felt::from(t.scale), Felt::from(t.bound)]);
            out.push(Felt::from(t.shape.len() as u64));
            out.extend(t.shape.iter().map(|&d| Felt::from(d as u64)));
        }
        out.push(Felt::from(self.outputs.len() as u64));
        for t in &self.outputs {
            out.extend([short_string(&t.name), Felt::from(t.scale)]);
            out.push(Felt::from(t.shape.len() as u64));
            out.extend(t.shape.iter().map(|&d| Felt::from(d as u64)));
        }
        out
    }

    /// Parses the felts of `io_spec()` (untrusted).
    ///
    /// # Errors
    /// [`StarknetError::BadResult`] naming the field that is missing or out of range.
    pub fn from_felts(f: &[Felt]) -> Result<IoSpec, StarknetError> {
        let mut c = Cursor { f, pos: 0 };
        let inputs = c.tensors(true)?;
        let outputs = c.tensors(false)?;
        Ok(IoSpec { inputs, outputs })
    }

    /// A program with only these inputs and outputs (no ops): enough to parse and quantise
    /// input files with the runtime's rules. Input ranges are the bounds (`±bound / 2^scale`).
    pub fn io_program(&self) -> Program {
        let mut tensors = Vec::new();
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        for t in &self.inputs {
            let hi = t.bound as f64 / 2f64.powi(i32::from(t.scale));
            inputs.push(TensorId(tensors.len() as u32));
            tensors.push(TensorInfo {
                name: t.name.clone(),
                shape: t.shape.clone(),
                scale: t.scale,
                bound: t.bound,
                kind: TensorKind::Input { lo: -hi, hi },
            });
        }
        for t in &self.outputs {
            outputs.push(TensorId(tensors.len() as u32));
            tensors.push(TensorInfo {
                name: t.name.clone(),
                shape: t.shape.clone(),
                scale: t.scale,
                bound: 0,
                kind: TensorKind::Value,
            });
        }
        Program { name: String::new(), tensors, ops: Vec::new(), inputs, outputs }
    }
}

struct Cursor<'a> {
    f: &'a [Felt],
    pos: usize,
}

impl Cursor<'_> {
    fn felt(&mut self, what: &str) -> Result<Felt, StarknetError> {
        let v = self.f.get(self.pos).copied().ok_or_else(|| StarknetError::BadResult {
            entry_point: "io_spec".into(),
            reason: format!("{what}: missing at felt {}", self.pos),
        })?;
        self.pos += 1;
        Ok(v)
    }

    fn int(&mut self, what: &str, max: u64) -> Result<u64, StarknetError> {
        let v = self.felt(what)?;
        u64::try_from(v).ok().filter(|&x| x <= max).ok_or_else(|| StarknetError::BadResult {
            entry_point: "io_spec".into(),
            reason: format!("{what}: {v:#x} is not an integer <= {max}"),
        })
    }

    fn tensors(&mut self, input: bool) -> Result<Vec<IoTensor>, StarknetError> {
        let kind = if input { "input" } else { "output" };
        let n = self.int(&format!("{kind} count"), MAX_TENSORS)?;
        let mut ts = Vec::new();
        for i in 0..n {
            let name = from_short_string(self.felt(&format!("{kind} {i} name"))?);
            let max_scale = u64::from(runtime::fixed_point::MAX_SCALE);
            let scale = self.int(&format!("{kind} {i} scale"), max_scale)? as u8;
            let bound =
                if input { self.int(&format!("{kind} {i} bound"), i64::MAX as u64)? } else { 0 };
            let rank = self.int(&format!("{kind} {i} rank"), MAX_RANK)?;
            let shape = (0..rank)
                .map(|d| self.int(&format!("{kind} {i} dim {d}"), 1 << 28).map(|x| x as usize))
                .collect::<Result<Vec<_>, _>>()?;
            ts.push(IoTensor { name, shape, scale, bound });
        }
        Ok(ts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_and_rejects_garbage() {
        let program = starkml_tests::ModelCase::new("cnn_small").program;
        let spec = IoSpec::of(&program);
        let felts = spec.to_felts();
        assert_eq!(IoSpec::from_felts(&felts).ok(), Some(spec.clone()));
        for cut in 0..felts.len() {
            let e = IoSpec::from_felts(&felts[..cut]).err().map(|e| e.to_string());
            assert!(e.is_some_and(|e| e.contains("io_spec")), "cut at {cut}");
        }
        let mut bad = felts.clone();
        bad[2] = Felt::from(99u8); // input scale
        let e = IoSpec::from_felts(&bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("input 0 scale"), "{e}");
        assert_eq!(short_string("input"), Felt::from_bytes_be_slice(b"input"));
        assert_eq!(from_short_string(short_string("x.y")), "x.y");
    }
}
