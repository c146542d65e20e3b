#![doc = include_str!("../README.md")]

pub mod class;
pub mod client;
pub mod codegen;
pub mod commitment;
pub mod compiler;
pub mod devnet;
pub mod error;
pub mod felt;
pub mod model;
pub mod registry;
pub mod spec;

pub use codegen::{generate, CairoProject};
pub use error::StarknetError;
/// The Starknet field element used throughout the adapter.
pub use starknet_rust::core::types::Felt;
