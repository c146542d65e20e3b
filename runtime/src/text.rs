//! The stable, human-readable text form of a program (an assembly listing).
//!
//! One line per tensor declaration (inputs and constants) and per op, with shapes, scales
//! (`sN` = N fractional bits) and static bounds visible; constants are summarised by a digest
//! of their integers. The format is stable: snapshot tests pin it.

use std::fmt;

use crate::op::{ConvParams, Op, PoolParams};
use crate::program::{Program, TensorKind};

fn dims(s: &[usize]) -> String {
    let inner: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("[{}]", inner.join(","))
}

fn list(v: &[usize]) -> String {
    dims(v)
}

fn conv_attrs(p: &ConvParams) -> String {
    format!(
        " strides={} pads={} dilations={} group={}",
        list(&p.strides),
        list(&p.pads),
        list(&p.dilations),
        p.group
    )
}

fn pool_attrs(p: &PoolParams) -> String {
    format!(
        " kernel={} strides={} pads={} dilations={}{}",
        list(&p.kernel),
        list(&p.strides),
        list(&p.pads),
        list(&p.dilations),
        if p.ceil_mode { " ceil" } else { "" }
    )
}

/// Parameters of an op as shown in the listing (empty for parameterless ops).
pub fn op_attrs(op: &Op) -> String {
    match op {
        Op::Conv(p) => conv_attrs(p),
        Op::Rescale { shift } => format!(" shift={shift}"),
        Op::LeakyRelu { alpha, alpha_shift } => format!(" alpha={alpha}/2^{alpha_shift}"),
        Op::Clip { min, max } => {
            let f = |v: &Option<i64>| v.map_or("none".to_string(), |x| x.to_string());
            format!(" min={} max={}", f(min), f(max))
        }
        Op::MaxPool(p) => pool_attrs(p),
        Op::AvgPool { pool, count_include_pad } => {
            format!(
                "{}{}",
                pool_attrs(pool),
                if *count_include_pad { " count_include_pad" } else { "" }
            )
        }
        Op::ArgMax { axis, keepdims, select_last } => format!(
            " axis={axis}{}{}",
            if *keepdims { " keepdims" } else { "" },
            if *select_last { " last" } else { "" }
        ),
        Op::Transpose { perm } => format!(" perm={}", list(perm)),
        Op::Concat { axis } => format!(" axis={axis}"),
        Op::Gather { axis, indices, indices_shape } => {
            format!(" axis={axis} indices={}{}", dims(indices_shape), list(indices))
        }
        Op::Div { shift } | Op::Sqrt { shift } => format!(" shift={shift}"),
        Op::Table { lo, values, out_scale } => format!(
            " from={lo} entries={} out_scale={out_scale} values={}",
            values.len(),
            const_digest(values)
        ),
        Op::MatMul | Op::Add | Op::Sub | Op::Mul | Op::Relu | Op::Reshape => String::new(),
    }
}

/// Short digest of constant data: the first 8 hex digits of Blake3 over little-endian `i64`s.
pub fn const_digest(data: &[i64]) -> String {
    let mut h = blake3::Hasher::new();
    for v in data {
        h.update(&v.to_le_bytes());
    }
    h.finalize().to_hex()[..8].to_string()
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "program \"{}\"", self.name.escape_debug())?;
        for (i, t) in self.tensors.iter().enumerate() {
            let head = format!(
                "%{i} \"{}\": {} s{} |x|<={}",
                t.name.escape_debug(),
                dims(&t.shape),
                t.scale,
                t.bound
            );
            match &t.kind {
                TensorKind::Input { lo, hi } => writeln!(f, "input  {head} range=[{lo}, {hi}]")?,
                TensorKind::Const(d) => writeln!(f, "const  {head} blake3={}", const_digest(d))?,
                TensorKind::Value => {}
            }
        }
        let mut declared = vec![false; self.tensors.len()];
        for t in crate::bounds::declared_bounds(self).unwrap_or_default() {
            declared[t.0 as usize] = true;
        }
        for node in &self.ops {
            let t = &self.tensors[node.output.0 as usize];
            let mark = if declared[node.output.0 as usize] { " (declared)" } else { "" };
            let args: Vec<String> = node.inputs.iter().map(|i| i.to_string()).collect();
            writeln!(
                f,
                "{} = {}{} {} : {} s{} |x|<={}{mark}  # {}",
                node.output,
                node.op.name(),
                op_attrs(&node.op),
                args.join(", "),
                dims(&t.shape),
                t.scale,
                t.bound,
                node.origin.escape_debug()
            )?;
        }
        let outs: Vec<String> = self.outputs.iter().map(|o| o.to_string()).collect();
        writeln!(f, "output {}", outs.join(", "))
    }
}
