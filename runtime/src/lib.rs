#![doc = include_str!("../README.md")]

pub mod binary;
pub mod bounds;
pub mod dataset;
pub mod error;
pub mod fixed_point;
pub mod interpreter;
pub mod op;
pub mod program;
pub mod shape;
pub mod text;
pub mod trim;
mod wire;

pub use binary::{ProgramDigest, FORMAT_VERSION, MAGIC};
pub use error::RuntimeError;
pub use interpreter::{
    observe_magnitudes, quantize_inputs, run, run_quantized, run_traced, Tensor, Witness,
};
pub use op::{ConvParams, Op, OpId, Operand, PoolParams, TensorId};
pub use program::{OpNode, Program, ProgramStats, TensorInfo, TensorKind};
pub use trim::TrimReport;
