//! Examples of starkml, one task per file under `examples/examples/`:
//!
//! - `transpile_and_run`: compile a bundled ONNX model, print its program, run it.
//!
//! Run one with `cargo run -p starkml-examples --example transpile_and_run [MODEL]`.

pub mod measure;
