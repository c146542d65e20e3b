//! ONNX external data: tensors whose bytes live in a file beside the model (`model.onnx.data`,
//! what `torch.onnx.export` writes by default since PyTorch 2.9, and `onnx.save` with
//! `save_as_external_data`). [`inline_external_data`] reads them into the tensors, so the
//! rest of the transpiler sees ordinary `raw_data`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use onnx_protobuf::{GraphProto, ModelProto, TensorProto};
use protobuf::EnumOrUnknown;

use crate::error::TranspileError;

/// The bytes per element of `data_type` as stored in `raw_data`, or `None` for types
/// without a fixed width (strings) or unknown ones.
pub fn raw_width(data_type: i32) -> Option<usize> {
    match data_type {
        1 | 6 | 12 => Some(4),
        11 | 7 | 13 => Some(8),
        10 | 16 | 5 | 4 => Some(2),
        2 | 3 | 9 => Some(1),
        _ => None,
    }
}

/// Whether a tensor keeps its bytes outside the model.
pub fn is_external(t: &TensorProto) -> bool {
    !t.external_data.is_empty() || t.data_location.value() == 1
}

/// Reads every external tensor of `model` (initializers and Constant values, subgraphs
/// included) from its file under `dir`, the model file's directory.
///
/// The `location` must be a relative path inside `dir` (no `..`, no absolute path); the
/// `offset` and `length` keys are honoured, and the bytes read are exactly what the tensor's
/// shape and type need.
///
/// # Errors
/// [`TranspileError::BadTensor`] naming the tensor: a missing or unsafe location, an
/// unreadable or short file, a length that does not match the shape.
pub fn inline_external_data(model: &mut ModelProto, dir: &Path) -> Result<(), TranspileError> {
    if let Some(g) = model.graph.as_mut() {
        graph(g, dir)?;
    }
    Ok(())
}

fn graph(g: &mut GraphProto, dir: &Path) -> Result<(), TranspileError> {
    for t in g.initializer.iter_mut() {
        tensor(t, dir)?;
    }
    for node in g.node.iter_mut() {
        for a in node.attribute.iter_mut() {
            if let Some(t) = a.t.as_mut() {
                tensor(t, dir)?;
            }
            for t in a.tensors.iter_mut() {
                tensor(t, dir)?;
            }
            if let Some(sub) = a.g.as_mut() {
                graph(sub, dir)?;
            }
            for sub in a.graphs.iter_mut() {
                graph(sub, dir)?;
            }
        }
    }
    Ok(())
}

fn safe_location(location: &str, dir: &Path) -> Option<PathBuf> {
    let rel = Path::new(location);
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    (plain && !location.is_empty()).then(|| dir.join(rel))
}

fn tensor(t: &mut TensorProto, dir: &Path) -> Result<(), TranspileError> {
    if !is_external(t) {
        return Ok(());
    }
    let bad = |reason: String| TranspileError::BadTensor { name: t.name.clone(), reason };
    let key = |k: &str| t.external_data.iter().find(|e| e.key == k).map(|e| e.value.clone());
    let location = key("location").ok_or_else(|| bad("external data without a location".into()))?;
    let path = safe_location(&location, dir).ok_or_else(|| {
        bad(format!("external data location '{location}' is not a relative path inside the model's directory"))
    })?;
    let number =
        |k: &str| -> Result<Option<u64>, TranspileError> {
            match key(k) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    bad(format!("external data {k} '{v}' is not a non-negative integer"))
                }),
            }
        };
    let offset = number("offset")?.unwrap_or(0);
    let width = raw_width(t.data_type).ok_or_else(|| {
        bad(format!("external data of element type {} is not supported", t.data_type))
    })?;
    let mut count: u64 = 1;
    for &d in &t.dims {
        let d = u64::try_from(d).map_err(|_| bad(format!("negative dimension {d}")))?;
        count = count.checked_mul(d).ok_or_else(|| bad("the shape is too large".into()))?;
    }
    let needed =
        count.checked_mul(width as u64).ok_or_else(|| bad("the shape is too large".into()))?;
    if let Some(length) = number("length")? {
        if length != needed {
            return Err(bad(format!(
                "external data length {length} differs from the {needed} bytes its shape needs"
            )));
        }
    }
    let needed_usize = usize::try_from(needed).map_err(|_| bad("the shape is too large".into()))?;
    let shown = path.display().to_string();
    let mut file = File::open(&path)
        .map_err(|e| bad(format!("cannot open its external data file {shown}: {e}")))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| bad(format!("cannot seek to offset {offset} of {shown}: {e}")))?;
    let mut raw = Vec::new();
    file.take(needed)
        .read_to_end(&mut raw)
        .map_err(|e| bad(format!("cannot read {shown}: {e}")))?;
    if raw.len() != needed_usize {
        return Err(bad(format!(
            "{shown} has {} bytes at offset {offset}, the tensor needs {needed}",
            raw.len()
        )));
    }
    t.raw_data = raw;
    t.external_data.clear();
    t.data_location = EnumOrUnknown::from_i32(0);
    Ok(())
}
