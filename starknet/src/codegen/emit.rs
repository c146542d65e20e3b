//! Cairo expressions for the ops of a program.

use runtime::shape::{broadcast, broadcast_index_map, strides};
use runtime::{Op, OpNode, PoolParams, Program, TensorId, TensorKind};

use crate::error::StarknetError;

/// Cairo expression of a tensor as a `Span<felt252>`.
pub(crate) fn arg(program: &Program, id: TensorId) -> String {
    match program.tensor(id).map(|t| &t.kind) {
        Some(TensorKind::Const(_)) => format!("weights::c{}()", id.0),
        _ => format!("t{}", id.0),
    }
}

fn shape(program: &Program, id: TensorId) -> &[usize] {
    program.tensor(id).map_or(&[], |t| t.shape.as_slice())
}

/// `array![a, b, c].span()` of unsigned integers.
pub(crate) fn span_u32(values: &[usize]) -> String {
    let items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("array![{}].span()", items.join(", "))
}

fn product(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// `x` broadcast to `out`, or `x` itself when the shapes are equal.
fn broadcast_to(x: String, in_shape: &[usize], out: &[usize]) -> String {
    // Same element count: broadcasting only added or removed axes of size 1, so the
    // row-major layout is unchanged.
    if product(in_shape) == product(out) {
        return x;
    }
    let rank = out.len();
    let offset = rank - in_shape.len().min(rank);
    let in_strides = strides(in_shape);
    let eff: Vec<usize> = (0..rank)
        .map(|i| if i < offset || in_shape[i - offset] == 1 { 0 } else { in_strides[i - offset] })
        .collect();
    format!("ops::strided({x}, {}, {}).span()", span_u32(out), span_u32(&eff))
}

fn pow2(bits: u8) -> String {
    format!("0x{:x}_u128", 1u128 << bits)
}

/// What the op emitter shares across ops: the constants stored transposed (computed once
/// per program) and the window tables it has registered.
pub(crate) struct EmitCtx {
    /// Tensor ids of weights stored transposed ([`super::transposed_weights`]).
    pub transposed: std::collections::BTreeSet<u32>,
    /// `(op index, entries)` of every convolution or pooling window table.
    pub tables: Vec<(usize, Vec<u32>)>,
}

/// Registers the window table of op `k` and returns the Cairo expression reading it.
fn window_table(
    tables: &mut Vec<(usize, Vec<u32>)>,
    k: usize,
    p: &PoolParams,
    in_dims: &[usize],
    out_dims: &[usize],
) -> Option<String> {
    tables.push((k, super::window::table(p, in_dims, out_dims)?));
    Some(format!("tables::w{k}()"))
}

/// The Cairo statement computing `node`'s output `t{id}` (a `Span<felt252>`).
/// Window tables of convolutions and pooling ops are added to `ctx.tables`.
pub(crate) fn op(
    program: &Program,
    k: usize,
    node: &OpNode,
    ctx: &mut EmitCtx,
) -> Result<String, StarknetError> {
    let tables = &mut ctx.tables;
    let unsupported = |reason: &str| StarknetError::Unsupported {
        op: k,
        name: node.op.name(),
        origin: node.origin.clone(),
        reason: reason.to_string(),
    };
    let input = |i: usize| node.inputs.get(i).copied().ok_or_else(|| unsupported("missing input"));
    let out_shape = shape(program, node.output);
    let x = arg(program, input(0)?);
    let x_shape = shape(program, input(0)?);
    let expr = match &node.op {
        Op::MatMul => {
            let b = input(1)?;
            let a_shape: Vec<usize> =
                if x_shape.len() == 1 { vec![1, x_shape[0]] } else { x_shape.to_vec() };
            let b_shape0 = shape(program, b);
            let b_shape: Vec<usize> =
                if b_shape0.len() == 1 { vec![b_shape0[0], 1] } else { b_shape0.to_vec() };
            if a_shape.len() < 2 || b_shape.len() < 2 {
                return Err(unsupported("operands of rank 0"));
            }
            let (m, kk) = (a_shape[a_shape.len() - 2], a_shape[a_shape.len() - 1]);
            let n = b_shape[b_shape.len() - 1];
            let batch_a = &a_shape[..a_shape.len() - 2];
            let batch_b = &b_shape[..b_shape.len() - 2];
            let batch =
                broadcast(batch_a, batch_b).ok_or_else(|| unsupported("batch shapes differ"))?;
            let a_offs: Vec<usize> =
                broadcast_index_map(batch_a, &batch).iter().map(|i| i * m * kk).collect();
            let b_offs: Vec<usize> =
                broadcast_index_map(batch_b, &batch).iter().map(|i| i * kk * n).collect();
            let mm = if ctx.transposed.contains(&b.0) {
                format!(
                    "ops::matmul_bt({x}, {}, {}, {m}, {kk}, {n}).span()",
                    arg(program, b),
                    span_u32(&a_offs)
                )
            } else {
                format!(
                    "ops::matmul({x}, {}, {}, {}, {m}, {kk}, {n}).span()",
                    arg(program, b),
                    span_u32(&a_offs),
                    span_u32(&b_offs)
                )
            };
            match node.inputs.get(2) {
                None => mm,
                Some(&bias) => {
                    let bias_expr =
                        broadcast_to(arg(program, bias), shape(program, bias), out_shape);
                    let t = node.output.0;
                    format!("{mm};\n    let t{t} = ops::add(t{t}, {bias_expr}).span()")
                }
            }
        }
        Op::Conv(p) => {
            let w = input(1)?;
            let w_shape = shape(program, w);
            if x_shape.len() < 3
                || w_shape.len() != x_shape.len()
                || out_shape.len() != x_shape.len()
            {
                return Err(unsupported("convolution operands of unexpected rank"));
            }
            let table = window_table(
                tables,
                k,
                &PoolParams {
                    kernel: w_shape[2..].to_vec(),
                    strides: p.strides.clone(),
                    pads: p.pads.clone(),
                    dilations: p.dilations.clone(),
                    ceil_mode: false,
                },
                &x_shape[2..],
                &out_shape[2..],
            )
            .ok_or_else(|| unsupported("window offsets beyond 32 bits"))?;
            let bias = match node.inputs.get(2) {
                Some(&b) => arg(program, b),
                None => "array![].span()".to_string(),
            };
            format!(
                "ops::conv({x}, {}, {bias}, {table}, {}, {}, {}, {}, {}, {}, {}, {}).span()",
                arg(program, w),
                x_shape[0],
                x_shape[1],
                product(&x_shape[2..]),
                w_shape[0],
                w_shape[1],
                product(&w_shape[2..]),
                product(&out_shape[2..]),
                p.group
            )
        }
        Op::Add | Op::Sub | Op::Mul => {
            let b = input(1)?;
            let a_expr = broadcast_to(x, x_shape, out_shape);
            let b_expr = broadcast_to(arg(program, b), shape(program, b), out_shape);
            let f = match node.op {
                Op::Add => "add",
                Op::Sub => "sub",
                _ => "mul",
            };
            format!("ops::{f}({a_expr}, {b_expr}).span()")
        }
        Op::Rescale { shift } => {
            if *shift > 62 {
                return Err(unsupported("shift above 62 bits"));
            }
            format!("ops::rescale({x}, {}).span()", pow2(*shift))
        }
        Op::Relu => format!("ops::relu({x}).span()"),
        Op::LeakyRelu { alpha, alpha_shift } => {
            if *alpha_shift > 62 {
                return Err(unsupported("slope with more than 62 fractional bits"));
            }
            format!("ops::leaky_relu({x}, {alpha}, {}).span()", pow2(*alpha_shift))
        }
        Op::Clip { min, max } => {
            let opt = |v: &Option<i64>| match v {
                Some(v) => format!("Option::Some({v})"),
                None => "Option::None".to_string(),
            };
            format!("ops::clip({x}, {}, {}).span()", opt(min), opt(max))
        }
        Op::MaxPool(p) | Op::AvgPool { pool: p, .. } => {
            if x_shape.len() < 3 {
                return Err(unsupported("pooling input of rank below 3"));
            }
            let table = window_table(tables, k, p, &x_shape[2..], &out_shape[2..])
                .ok_or_else(|| unsupported("window offsets beyond 32 bits"))?;
            let dims = format!(
                "{}, {}, {}, {}",
                x_shape[0] * x_shape[1],
                product(&x_shape[2..]),
                product(&out_shape[2..]),
                product(&p.kernel)
            );
            match &node.op {
                Op::AvgPool { count_include_pad, .. } => {
                    format!("ops::avg_pool({x}, {table}, {dims}, {count_include_pad}).span()")
                }
                _ => format!("ops::max_pool({x}, {table}, {dims}).span()"),
            }
        }
        Op::ArgMax { axis, select_last, .. } => {
            let axis = *axis;
            if axis >= x_shape.len() || x_shape[axis] == 0 {
                return Err(unsupported("argmax over an empty or missing axis"));
            }
            format!(
                "ops::argmax({x}, {}, {}, {}, {select_last}).span()",
                product(&x_shape[..axis]),
                x_shape[axis],
                product(&x_shape[axis + 1..])
            )
        }
        Op::Reshape => x,
        Op::Transpose { perm } => {
            let in_strides = strides(x_shape);
            let dims: Vec<usize> = perm.iter().map(|&p| x_shape[p]).collect();
            let src: Vec<usize> = perm.iter().map(|&p| in_strides[p]).collect();
            format!("ops::strided({x}, {}, {}).span()", span_u32(&dims), span_u32(&src))
        }
        Op::Gather { axis, indices, .. } => {
            let axis = *axis;
            if axis >= x_shape.len() {
                return Err(unsupported("gather axis out of range"));
            }
            format!(
                "ops::gather({x}, {}, {}, {}, {}).span()",
                product(&x_shape[..axis]),
                x_shape[axis],
                product(&x_shape[axis + 1..]),
                span_u32(indices)
            )
        }
        Op::Table { .. } | Op::Div { .. } | Op::Sqrt { .. } => {
            return Err(unsupported(
                "table lookups (smooth activations), divisions by run-time values and square roots are not \
                 generated for Cairo yet",
            ))
        }
        Op::Concat { axis } => {
            let axis = *axis;
            let parts: Vec<String> = node.inputs.iter().map(|&i| arg(program, i)).collect();
            let chunks: Vec<usize> =
                node.inputs.iter().map(|&i| product(&shape(program, i)[axis..])).collect();
            format!(
                "ops::concat(array![{}].span(), {}, {}).span()",
                parts.join(", "),
                span_u32(&chunks),
                product(&x_shape[..axis])
            )
        }
    };
    Ok(format!("let t{} = {expr};", node.output.0))
}
