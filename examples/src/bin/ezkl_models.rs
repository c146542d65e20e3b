//! Writes the coverage issue's models (the transformer block of `tests/data/transformer`, and
//! the softmax CNN and unrolled LSTM cell of `starkml_tests::small_models`) into a directory
//! laid out as `../shared/models` is, so that the shared EZKL script measures them beside us:
//!
//! ```text
//! cargo run --release -p starkml-examples --bin ezkl_models -- /tmp/ezkl_models
//! /tmp/ezkl_out/.venv/bin/python ../shared/ezkl/measure.py --variants tuned \
//!     --models transformer_block,softmax_cnn,lstm_cell --models-dir /tmp/ezkl_models \
//!     --work /tmp/ezkl_out/work --results /tmp/ezkl_out/results
//! ```
//!
//! Per model `NAME`: `NAME.onnx`, `NAME.ezkl_input.json` (EZKL's `input_data`, the first test
//! input), `NAME.expected.json` (its float reference), `NAME.calib.json` (calibration inputs), `NAME.testset.json` (inputs, float
//! references as `expected`, their argmax as `labels`), and one `models.json` for all.
//! The small models' inputs are drawn in [-1, 1] (their compile range in the bench) from a
//! fixed linear congruential sequence, so every run writes the same files.

use serde_json::{json, Value};
use std::path::Path;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// `n` vectors of `len` values in [-1, 1] from a fixed sequence seeded by `seed`.
fn samples(seed: u64, n: usize, len: usize) -> Vec<Vec<f64>> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            (0..len)
                .map(|_| {
                    s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
                })
                .collect()
        })
        .collect()
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

struct Model {
    name: &'static str,
    onnx: Vec<u8>,
    input_shape: Vec<i64>,
    output_shape: Vec<i64>,
    calib: Vec<Vec<f64>>,
    inputs: Vec<Vec<f64>>,
    expected: Vec<Vec<f64>>,
}

fn built(
    name: &'static str,
    model: onnx_protobuf::ModelProto,
    shapes: (Vec<i64>, Vec<i64>),
    reference: fn(&[f64]) -> Vec<f64>,
    seed: u64,
) -> Model {
    let len = shapes.0.iter().product::<i64>() as usize;
    let inputs = samples(seed + 1, 20, len);
    Model {
        name,
        onnx: starkml_tests::onnx_build::bytes(&model),
        input_shape: shapes.0,
        output_shape: shapes.1,
        calib: samples(seed, 20, len),
        expected: inputs.iter().map(|x| reference(x)).collect(),
        inputs,
    }
}

fn rows(v: &Value, key: &str) -> Res<Vec<Vec<f64>>> {
    let rows = v[key].as_array().ok_or_else(|| format!("no `{key}` list"))?;
    rows.iter()
        .map(|r| {
            let r = r.as_array().ok_or("a row is not a list")?;
            r.iter().map(|x| x.as_f64().ok_or_else(|| "not a number".into())).collect()
        })
        .collect()
}

fn transformer() -> Res<Model> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/transformer");
    let read = |f: &str| -> Res<Value> {
        Ok(serde_json::from_str(&std::fs::read_to_string(dir.join(f))?)?)
    };
    let ts = read("transformer_block.testset.json")?;
    Ok(Model {
        name: "transformer_block",
        onnx: std::fs::read(dir.join("transformer_block.onnx"))?,
        input_shape: vec![1, 16, 32],
        output_shape: vec![1, 4],
        calib: rows(&read("transformer_block.calib.json")?, "inputs")?,
        inputs: rows(&ts, "inputs")?,
        expected: rows(&ts, "expected")?,
    })
}

fn write(dir: &Path, m: &Model) -> Res<Value> {
    let put =
        |ext: &str, v: &Value| std::fs::write(dir.join(format!("{}.{ext}", m.name)), v.to_string());
    std::fs::write(dir.join(format!("{}.onnx", m.name)), &m.onnx)?;
    put("ezkl_input.json", &json!({ "input_data": [m.inputs[0]] }))?;
    put(
        "calib.json",
        &json!({ "input_shape": m.input_shape, "note": "written by the ezkl_models example", "inputs": m.calib }),
    )?;
    put("expected.json", &json!({ "shape": m.output_shape, "data": m.expected[0] }))?;
    let labels: Vec<usize> = m.expected.iter().map(|e| argmax(e)).collect();
    put(
        "testset.json",
        &json!({
            "input_shape": m.input_shape, "output_shape": m.output_shape,
            "inputs": m.inputs, "labels": labels, "expected": m.expected,
        }),
    )?;
    Ok(json!({
        "input_shape": m.input_shape, "output_shape": m.output_shape,
        "n_test": m.inputs.len(), "onnx_bytes": m.onnx.len(),
    }))
}

fn main() -> Res<()> {
    let dir = std::env::args().nth(1).ok_or("usage: ezkl_models OUT_DIR")?;
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    use starkml_tests::small_models as sm;
    let models = [
        transformer()?,
        built(
            "softmax_cnn",
            sm::softmax_cnn(),
            (vec![1, 1, 6, 6], vec![1, 3]),
            sm::softmax_cnn_reference,
            7,
        ),
        built("lstm_cell", sm::lstm_cell(), (vec![3, 4], vec![1, 4]), sm::lstm_cell_reference, 11),
    ];
    let mut info = serde_json::Map::new();
    for m in &models {
        info.insert(m.name.to_string(), write(dir, m)?);
        eprintln!("wrote {}/{}.*", dir.display(), m.name);
    }
    std::fs::write(dir.join("models.json"), Value::Object(info).to_string())?;
    Ok(())
}
