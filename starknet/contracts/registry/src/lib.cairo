// starkml model registry: which models exist (program digest, weights commitment, optional
// model contract) and which inference results were submitted for them (input hash, output,
// proof hash, submitter). Written once; its compiled class is committed next to this
// project as `registry.contract_class.json` and CI checks that it matches this source.
//
// Proofs are verified off chain (`starkml starknet submit` verifies before submitting); the
// registry stores a Blake3 hash of the proof file so anyone can fetch and re-verify it.

pub mod imodel;

use starknet::ContractAddress;

/// A registered model.
#[derive(Copy, Drop, Serde, PartialEq, Debug, starknet::Store)]
pub struct ModelInfo {
    /// Blake3 digest of the program file.
    pub program_digest: u256,
    /// Poseidon commitment to the quantised parameters.
    pub weights_commitment: felt252,
    /// The generated model contract, or zero when the model only lives off chain.
    pub model_contract: ContractAddress,
    /// Who registered it.
    pub owner: ContractAddress,
}

/// The fixed-size part of a recorded inference.
#[derive(Copy, Drop, Serde, PartialEq, Debug, starknet::Store)]
pub struct InferenceHead {
    pub model_id: u64,
    /// Poseidon hash of the input felts (all inputs concatenated).
    pub input_hash: felt252,
    /// Blake3 hash of the proof file.
    pub proof_hash: u256,
    pub submitter: ContractAddress,
    pub block_number: u64,
    pub output_len: u32,
}

/// A recorded inference with its output.
#[derive(Drop, Serde, PartialEq, Debug)]
pub struct InferenceRecord {
    pub head: InferenceHead,
    /// Output felts (signed integers at the output scales).
    pub output: Array<felt252>,
}

#[starknet::interface]
pub trait IModelRegistry<TContractState> {
    /// Registers a model and returns its id (ids start at 1). When `model_contract` is not
    /// zero, its `program_digest()` and `weights_commitment()` must equal the given values.
    fn register_model(
        ref self: TContractState,
        program_digest: u256,
        weights_commitment: felt252,
        model_contract: ContractAddress,
    ) -> u64;
    /// The model with id `model_id`; panics with 'registry: unknown model'.
    fn model(self: @TContractState, model_id: u64) -> ModelInfo;
    /// The id of the model with this program digest, 0 when none.
    fn model_id_by_digest(self: @TContractState, program_digest: u256) -> u64;
    fn model_count(self: @TContractState) -> u64;
    /// Records an inference result of a registered model and returns its id (from 1).
    fn record_inference(
        ref self: TContractState,
        model_id: u64,
        input_hash: felt252,
        output: Array<felt252>,
        proof_hash: u256,
    ) -> u64;
    /// The inference with id `inference_id`; panics with 'registry: unknown inference'.
    fn inference(self: @TContractState, inference_id: u64) -> InferenceRecord;
    fn inference_count(self: @TContractState) -> u64;
}

#[starknet::contract]
pub mod ModelRegistry {
    use core::num::traits::Zero;
    use starknet::storage::{
        Map, StorageMapReadAccess, StorageMapWriteAccess, StoragePointerReadAccess,
        StoragePointerWriteAccess,
    };
    use starknet::{ContractAddress, get_block_number, get_caller_address};
    use crate::imodel::{IModelDispatcher, IModelDispatcherTrait};
    use super::{IModelRegistry, InferenceHead, InferenceRecord, ModelInfo};

    /// Longest output a record may hold (event data is limited to 300 felts).
    const MAX_OUTPUT: u32 = 256;

    #[storage]
    struct Storage {
        model_count: u64,
        models: Map<u64, ModelInfo>,
        by_digest: Map<u256, u64>,
        inference_count: u64,
        inferences: Map<u64, InferenceHead>,
        outputs: Map<(u64, u32), felt252>,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        ModelRegistered: ModelRegistered,
        InferenceRecorded: InferenceRecorded,
    }

    #[derive(Drop, starknet::Event)]
    pub struct ModelRegistered {
        #[key]
        pub model_id: u64,
        pub program_digest: u256,
        pub weights_commitment: felt252,
        pub model_contract: ContractAddress,
        pub owner: ContractAddress,
    }

    #[derive(Drop, starknet::Event)]
    pub struct InferenceRecorded {
        #[key]
        pub model_id: u64,
        #[key]
        pub inference_id: u64,
        pub input_hash: felt252,
        pub output: Span<felt252>,
        pub proof_hash: u256,
        pub submitter: ContractAddress,
    }

    #[abi(embed_v0)]
    impl RegistryImpl of IModelRegistry<ContractState> {
        fn register_model(
            ref self: ContractState,
            program_digest: u256,
            weights_commitment: felt252,
            model_contract: ContractAddress,
        ) -> u64 {
            assert(self.by_digest.read(program_digest) == 0, 'registry: already registered');
            if !model_contract.is_zero() {
                let model = IModelDispatcher { contract_address: model_contract };
                assert(model.program_digest() == program_digest, 'registry: digest mismatch');
                assert(
                    model.weights_commitment() == weights_commitment, 'registry: commitment mismatch',
                );
            }
            let model_id = self.model_count.read() + 1;
            let owner = get_caller_address();
            self.model_count.write(model_id);
            self
                .models
                .write(
                    model_id, ModelInfo { program_digest, weights_commitment, model_contract, owner },
                );
            self.by_digest.write(program_digest, model_id);
            self
                .emit(
                    ModelRegistered {
                        model_id, program_digest, weights_commitment, model_contract, owner,
                    },
                );
            model_id
        }

        fn model(self: @ContractState, model_id: u64) -> ModelInfo {
            assert(model_id >= 1 && model_id <= self.model_count.read(), 'registry: unknown model');
            self.models.read(model_id)
        }

        fn model_id_by_digest(self: @ContractState, program_digest: u256) -> u64 {
            self.by_digest.read(program_digest)
        }

        fn model_count(self: @ContractState) -> u64 {
            self.model_count.read()
        }

        fn record_inference(
            ref self: ContractState,
            model_id: u64,
            input_hash: felt252,
            output: Array<felt252>,
            proof_hash: u256,
        ) -> u64 {
            assert(model_id >= 1 && model_id <= self.model_count.read(), 'registry: unknown model');
            let output_len = output.len();
            assert(output_len <= MAX_OUTPUT, 'registry: output too long');
            let inference_id = self.inference_count.read() + 1;
            self.inference_count.write(inference_id);
            let submitter = get_caller_address();
            self
                .inferences
                .write(
                    inference_id,
                    InferenceHead {
                        model_id,
                        input_hash,
                        proof_hash,
                        submitter,
                        block_number: get_block_number(),
                        output_len,
                    },
                );
            let mut i: u32 = 0;
            for v in output.span() {
                self.outputs.write((inference_id, i), *v);
                i += 1;
            }
            self
                .emit(
                    InferenceRecorded {
                        model_id, inference_id, input_hash, output: output.span(), proof_hash, submitter,
                    },
                );
            inference_id
        }

        fn inference(self: @ContractState, inference_id: u64) -> InferenceRecord {
            assert(
                inference_id >= 1 && inference_id <= self.inference_count.read(),
                'registry: unknown inference',
            );
            let head = self.inferences.read(inference_id);
            let mut output: Array<felt252> = array![];
            for i in 0..head.output_len {
                output.append(self.outputs.read((inference_id, i)));
            }
            InferenceRecord { head, output }
        }

        fn inference_count(self: @ContractState) -> u64 {
            self.inference_count.read()
        }
    }
}
