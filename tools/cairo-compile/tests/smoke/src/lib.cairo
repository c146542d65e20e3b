// Smoke-test contract for starkml-cairo-compile: storage, an interface with a view doing i64
// arithmetic over a const fixed-size array, and an event with a key.

const W: [i64; 4] = [3, -2, 5, -7];

#[starknet::interface]
pub trait ISmoke<TContractState> {
    /// Dot product of `x` with `W` (`x` must have 4 elements), plus the stored bias.
    fn score(self: @TContractState, x: Span<i64>) -> i64;
    /// Stores a new bias and emits `BiasSet`.
    fn set_bias(ref self: TContractState, bias: i64);
}

#[starknet::contract]
pub mod smoke {
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::{ContractAddress, get_caller_address};
    use super::W;

    #[storage]
    struct Storage {
        bias: i64,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        BiasSet: BiasSet,
    }

    #[derive(Drop, starknet::Event)]
    pub struct BiasSet {
        #[key]
        pub by: ContractAddress,
        pub bias: i64,
    }

    #[constructor]
    fn constructor(ref self: ContractState, bias: i64) {
        self.bias.write(bias);
    }

    #[abi(embed_v0)]
    impl SmokeImpl of super::ISmoke<ContractState> {
        fn score(self: @ContractState, x: Span<i64>) -> i64 {
            let w = W.span();
            assert(x.len() == w.len(), 'bad input length');
            let mut acc: i64 = self.bias.read();
            let mut i: usize = 0;
            for wi in w {
                acc += *wi * *x.at(i);
                i += 1;
            }
            acc
        }

        fn set_bias(ref self: ContractState, bias: i64) {
            self.bias.write(bias);
            self.emit(BiasSet { by: get_caller_address(), bias });
        }
    }
}
