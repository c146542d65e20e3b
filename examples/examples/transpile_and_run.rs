//! Compile a bundled model with its calibration samples, print the program, run the canonical
//! input and compare with onnxruntime's float output.
//!
//! `cargo run -p starkml-examples --example transpile_and_run [MODEL]` (default `mlp_small`).

use std::error::Error;

use transpiler::{transpile, Calibration, TranspileOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "mlp_small".to_string());
    let fixture = models::Fixture::load(&name)?;
    let calibration = Calibration::from_json(&std::fs::read_to_string(&fixture.calib)?)?;
    let opts = TranspileOptions { calibration: Some(calibration), ..TranspileOptions::default() };
    let program = transpile(&fixture.onnx_bytes()?, &opts)?;
    print!("{program}");
    println!("digest {}", program.digest());

    let outputs = runtime::run(&program, std::slice::from_ref(&fixture.input.data))?;
    let got = outputs[0].to_f64();
    let err =
        got.iter().zip(&fixture.expected.data).map(|(g, w)| (g - w).abs()).fold(0.0, f64::max);
    println!("outputs  {got:.4?}");
    println!("expected {:.4?}", fixture.expected.data);
    println!("max abs error vs float: {err:.2e}");
    Ok(())
}
