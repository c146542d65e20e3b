/// The interface of every starkml model contract. Copy it into your contract to call a
/// deployed model: `IModelDispatcher { contract_address: model }.predict(input)`.
/// Inputs and outputs are signed fixed-point integers, one felt each (`x mod p`), at the
/// scales listed in the model's generated `lib.cairo` header: value = felt / 2^scale.
#[starknet::interface]
pub trait IModel<TContractState> {
    /// All outputs concatenated (row-major) for `input` (all inputs concatenated). Panics with
    /// 'starkml: input needs N felts' or 'starkml: input out of range' on bad input.
    fn predict(self: @TContractState, input: Array<felt252>) -> Array<felt252>;
    /// The predicted class (argmax of the first output, or the value of an ArgMax output).
    fn predict_class(self: @TContractState, input: Array<felt252>) -> u32;
    /// Like `predict`, and emits a `Prediction` event (caller, index, input hash, output).
    fn predict_and_record(ref self: TContractState, input: Array<felt252>) -> Array<felt252>;
    /// Blake3 digest of the program file the contract was generated from.
    fn program_digest(self: @TContractState) -> u256;
    /// Poseidon commitment to the quantised parameters.
    fn weights_commitment(self: @TContractState) -> felt252;
    /// Number of felts `predict` expects.
    fn input_len(self: @TContractState) -> u32;
    /// Inputs and outputs (names, scales, input bounds, shapes); layout in starkml's
    /// `starknet::spec` docs.
    fn io_spec(self: @TContractState) -> Array<felt252>;
    /// Number of predictions recorded so far.
    fn prediction_count(self: @TContractState) -> u64;
}
