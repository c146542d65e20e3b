//! Starknet limits that decide whether a program fits one model contract.
//!
//! Checked at generation time so that a model that cannot work on chain fails here, with the
//! size and the limit, and not later in the compiler or the sequencer.

use runtime::{Program, TensorKind};

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

/// Largest number of multiply-accumulates of one prediction. A transaction may spend 1e9
/// L2 gas and the generated kernels spend about 9-10k L2 gas per multiply-accumulate
/// (measured on devnet, see BENCHMARKS.md).
pub const MAX_MACS: u64 = 90_000;

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
    too_large("the number of multiply-accumulates per prediction", stats.macs, MAX_MACS)?;
    for t in &program.tensors {
        if let TensorKind::Input { .. } = t.kind {
            if t.bound > i64::MAX as u64 {
                return Err(StarknetError::TooLarge {
                    what: format!("the static bound of input '{}'", t.name),
                    size: t.bound,
                    limit: i64::MAX as u64,
                });
            }
        }
    }
    Ok(())
}
