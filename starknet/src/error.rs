//! Errors of the Starknet adapter.

use std::path::PathBuf;

/// Everything that can go wrong generating, compiling, declaring, deploying or calling a
/// model contract. Messages name the limit, the file, the entry point or the check that
/// failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StarknetError {
    /// The program is invalid (it failed [`runtime::Program::validate`]).
    #[error("invalid program: {0}")]
    Program(#[from] runtime::RuntimeError),
    /// The model does not fit one contract; `what` says which Starknet limit is exceeded.
    #[error("model too large for one Starknet contract: {what} is {size}, the limit is {limit}")]
    TooLarge {
        /// The measured quantity.
        what: String,
        /// Its value for this model.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The program uses something the code generator cannot express.
    #[error("cannot generate Cairo for op #{op} ({name}, from {origin}): {reason}")]
    Unsupported {
        /// Op index.
        op: usize,
        /// Op name.
        name: &'static str,
        /// ONNX node the op came from.
        origin: String,
        /// Why.
        reason: String,
    },
    /// A felt does not stand for a value of the expected type.
    #[error("{what}: felt {felt} is not a signed 64-bit integer")]
    FeltOutOfRange {
        /// Which value (e.g. `output[3]`).
        what: String,
        /// The felt, in hex.
        felt: String,
    },
    /// File system error.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The Cairo compiler tool is missing or failed.
    #[error("Cairo compilation failed: {0}")]
    Compile(String),
    /// A contract class (Sierra JSON) is malformed or its CASM cannot be built.
    #[error("contract class: {0}")]
    Class(String),
    /// An RPC URL, address, key or other argument is malformed.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// The argument.
        what: String,
        /// Why.
        reason: String,
    },
    /// The node refused or failed a request.
    #[error("{action} failed: {reason}")]
    Rpc {
        /// What was being done (e.g. `declare model class`).
        action: String,
        /// The node's or the client's message.
        reason: String,
    },
    /// A transaction was included but reverted.
    #[error("{action} reverted: {reason}")]
    Reverted {
        /// What the transaction did.
        action: String,
        /// The revert reason from the receipt.
        reason: String,
    },
    /// A contract returned data of the wrong shape.
    #[error("unexpected result from {entry_point}: {reason}")]
    BadResult {
        /// The entry point called.
        entry_point: String,
        /// What was wrong.
        reason: String,
    },
    /// starknet-devnet could not be started.
    #[error("starknet-devnet: {0}")]
    Devnet(String),
}
