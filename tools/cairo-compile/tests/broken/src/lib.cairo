// Deliberately broken: a type error the compiler must report (used by the smoke test).
#[starknet::contract]
mod broken {
    #[storage]
    struct Storage {}

    #[external(v0)]
    fn oops(self: @ContractState) -> i64 {
        let x: felt252 = 1;
        x
    }
}
