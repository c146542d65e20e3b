//! Snapshots of every benchmark model's program text (and digest). A change in lowering,
//! quantisation or the text form shows up here in review; accept it with `cargo insta review`
//! or `INSTA_UPDATE=always cargo test -p starkml-tests --test snapshots`.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::ModelCase;

fn snap(name: &str) {
    let case = ModelCase::new(name);
    let text = format!("{}digest {}\n", case.program, case.program.digest());
    insta::assert_snapshot!(name, text);
}

#[test]
fn logreg_iris_program() {
    snap("logreg_iris");
}

#[test]
fn mlp_small_program() {
    snap("mlp_small");
}

#[test]
fn cnn_small_program() {
    snap("cnn_small");
}

#[test]
fn mlp_medium_program() {
    snap("mlp_medium");
}

#[test]
fn mlp_large_program() {
    snap("mlp_large");
}
