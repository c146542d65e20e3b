//! Data movement: `Reshape`, `Transpose`, `Gather`, `Concat` are address maps, no rows.

use runtime::shape::{positions, strides};
use runtime::Op;

use super::builder::{Builder, Cx};

/// A new address map for the output (no rows).
pub(super) fn remap(b: &mut Builder<'_>, cx: &Cx<'_>) -> Result<(), String> {
    let node = cx.node;
    let out = cx.out;
    let srcs: Vec<Vec<u32>> = node.inputs.iter().map(|t| b.on_bus(*t)).collect::<Result<_, _>>()?;
    let in_shape = b.shape(node.inputs[0]).to_vec();
    let map: Vec<u32> = match &node.op {
        Op::Reshape => srcs[0].clone(),
        Op::Transpose { perm } => {
            let st = strides(&in_shape);
            positions(&cx.out_shape)
                .iter()
                .map(|pos| srcs[0][pos.iter().zip(perm).map(|(x, &ax)| x * st[ax]).sum::<usize>()])
                .collect()
        }
        Op::Gather { axis, indices, .. } => {
            let outer: usize = in_shape[..*axis].iter().product();
            let len = in_shape[*axis];
            let inner: usize = in_shape[axis + 1..].iter().product();
            let mut m = Vec::new();
            for o in 0..outer {
                for &i in indices {
                    let base = (o * len + i) * inner;
                    m.extend_from_slice(&srcs[0][base..base + inner]);
                }
            }
            m
        }
        Op::Concat { axis } => {
            let outer: usize = in_shape[..*axis].iter().product();
            let mut m = Vec::new();
            for o in 0..outer {
                for (src, t) in srcs.iter().zip(&node.inputs) {
                    let chunk: usize = b.shape(*t)[*axis..].iter().product();
                    m.extend_from_slice(&src[o * chunk..(o + 1) * chunk]);
                }
            }
            m
        }
        _ => Vec::new(),
    };
    b.addr[out.0 as usize] = Some(map);
    Ok(())
}
