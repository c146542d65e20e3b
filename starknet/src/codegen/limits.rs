//! Starknet limits that decide whether a program fits one model contract.
//!
//! Checked at generation time so that a model that cannot work on chain fails here, with the
//! size and the limit, and not later in the compiler or the sequencer.

use runtime::Program;

use crate::error::StarknetError;

/// Largest number of felts in one constant array: the Cairo compiler sizes types with `i16`
/// (a 32,768-felt array panics it), so larger tensors are split into chunks of this size.
pub const MAX_CONST_CHUNK: usize = 32_000;

/// Largest number of parameters one contract holds. Sierra and CASM programs are limited to
/// 81,920 felts each and constant weights cost about 1.2 CASM felts each, plus the code.
pub const MAX_PARAMS: u64 = 60_000;

/// Largest input, in felts: a transaction's calldata is limited to 5,000 felts, a few of
/// which the account's `__execute__` encoding needs.
pub const MAX_INPUT_FELTS: u64 = 4_900;

/// Largest output, in felts: the `Prediction` event carries the output and event data is
/// limited to 300 felts (3 of which hold the index, the input hash and the length).
pub const MAX_OUTPUT_FELTS: u64 = 256;

/// Largest static bound of any tensor (see [`check`]).
pub const MAX_BOUND: u64 = (1 << 61) - 1;

/// L2 gas a transaction may spend (Starknet's `execute_max_sierra_gas`).
pub const MAX_L2_GAS: u64 = 1_000_000_000;

/// Cost model of one `predict_and_record`, in L2 gas, fitted to devnet 0.10.1 measurements
/// of the generated kernels (BENCHMARKS.md): a fixed part (transaction, input checks,
/// event), per multiply-accumulate of a matrix product or a convolution, and per element
/// read or written by the other kernels. Deliberately on the high side.
pub mod gas {
    /// Fixed cost of a prediction transaction.
    pub const BASE: u64 = 2_500_000;
    /// Per multiply-accumulate of a `MatMul` whose right operand is not a stored-transposed
    /// weight (about 5.5k measured).
    pub const MATMUL_MAC: u64 = 7_000;
    /// Per multiply-accumulate of a `MatMul` with constant 2-D weights (stored transposed,
    /// contiguous dot products: about 2.2k measured on mlp_small).
    pub const MATMUL_BT_MAC: u64 = 3_500;
    /// Per multiply-accumulate of `Conv` (about 9.5k measured on cnn_small with the window
    /// tables precomputed; the kernel walks the table for every input channel).
    pub const CONV_MAC: u64 = 12_000;
    /// Per element of every other kernel (output elements; twice the window elements for
    /// pooling).
    pub const ELEMENT: u64 = 8_000;
}

/// Estimated L2 gas of one `predict_and_record` call (see [`gas`]).
pub fn estimated_l2_gas(program: &Program) -> u64 {
    let mut total = gas::BASE;
    let transposed = super::transposed_weights(program);
    let numel = |id: runtime::TensorId| -> u64 {
        program.tensor(id).map_or(0, |t| t.shape.iter().product::<usize>() as u64)
    };
    for node in &program.ops {
        let operands: Vec<runtime::Operand<'_>> = node
            .inputs
            .iter()
            .filter_map(|t| program.tensor(*t))
            .map(|t| runtime::Operand { shape: &t.shape, scale: t.scale })
            .collect();
        let out_shape = program.tensor(node.output).map_or(&[][..], |t| t.shape.as_slice());
        let out = numel(node.output);
        let cost = match &node.op {
            runtime::Op::MatMul => {
                let bt = node.inputs.get(1).is_some_and(|b| transposed.contains(&b.0));
                let per_mac = if bt { gas::MATMUL_BT_MAC } else { gas::MATMUL_MAC };
                node.op.macs(&operands, out_shape) * per_mac + out * gas::ELEMENT
            }
            runtime::Op::Conv(_) => {
                node.op.macs(&operands, out_shape) * gas::CONV_MAC + out * gas::ELEMENT
            }
            runtime::Op::MaxPool(p) | runtime::Op::AvgPool { pool: p, .. } => {
                out * p.kernel.iter().product::<usize>() as u64 * gas::ELEMENT * 2
            }
            runtime::Op::Reshape => 0,
            runtime::Op::ArgMax { .. } => {
                operands.first().map_or(0, |x| x.shape.iter().product::<usize>() as u64)
                    * gas::ELEMENT
            }
            _ => out * gas::ELEMENT,
        };
        total = total.saturating_add(cost);
    }
    total
}

/// Checks every limit.
///
/// # Errors
/// [`StarknetError::TooLarge`] for the first limit exceeded.
pub fn check(program: &Program) -> Result<(), StarknetError> {
    let too_large = |what: &str, size: u64, limit: u64| {
        if size > limit {
            Err(StarknetError::TooLarge { what: what.to_string(), size, limit })
        } else {
            Ok(())
        }
    };
    let stats = program.stats();
    too_large("the number of parameters", stats.params as u64, MAX_PARAMS)?;
    let numel = |ids: &[runtime::TensorId]| -> u64 {
        ids.iter()
            .filter_map(|id| program.tensor(*id))
            .map(|t| t.shape.iter().product::<usize>() as u64)
            .sum()
    };
    too_large("the input length in felts", numel(&program.inputs), MAX_INPUT_FELTS)?;
    too_large("the output length in felts", numel(&program.outputs), MAX_OUTPUT_FELTS)?;
    too_large("the estimated L2 gas of one prediction", estimated_l2_gas(program), MAX_L2_GAS)?;
    // Kernels compute in felt252 and divide with an offset of 2^62 * divisor: exact while
    // every value stays below 2^61, which the static bounds guarantee once inputs are checked.
    for t in &program.tensors {
        too_large(&format!("the static bound of tensor '{}'", t.name), t.bound, MAX_BOUND)?;
    }
    Ok(())
}
