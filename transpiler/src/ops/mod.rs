//! Op builders, one file per family. Each builder checks its node's attributes and inputs,
//! folds constants where it can and appends semantic ops to the float graph.

pub mod activation;
pub mod compare;
pub mod composite;
pub mod conv_transpose;
pub mod division;
pub mod elementwise;
pub mod linalg;
pub mod ml;
pub mod movement;
pub mod nn;
pub mod normalization;
pub mod resize;
pub mod shape;
pub mod smooth;
pub mod svm;
pub mod tree;

use crate::builder::{Ctx, Node};
use crate::graph::{Arg, IrOp};

/// Appends an op producing output 0 of `node`.
pub(crate) fn emit(
    ctx: &mut Ctx,
    node: &Node<'_>,
    shape: Vec<usize>,
    op: IrOp,
    args: Vec<Arg>,
) -> Arg {
    ctx.graph.push(node.out_name(0), shape, op, args, &node.ctx.name)
}

/// Appends an intermediate op of `node`, named after its output with a suffix.
pub(crate) fn emit_tmp(
    ctx: &mut Ctx,
    node: &Node<'_>,
    suffix: &str,
    shape: Vec<usize>,
    op: IrOp,
    args: Vec<Arg>,
) -> Arg {
    ctx.graph.push(format!("{}/{suffix}", node.out_name(0)), shape, op, args, &node.ctx.name)
}
