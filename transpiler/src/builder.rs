//! The graph walk: ONNX graph to [`IrGraph`], through the registry's builders.

use std::collections::{HashMap, HashSet};

use onnx_protobuf::{ModelProto, NodeProto};

use crate::error::{NodeCtx, TranspileError, UnsupportedNode};
use crate::graph::{Arg, Def, IrGraph, IrValue};
use crate::onnx::attr::Attrs;
use crate::onnx::{input_shape, read_tensor, ConstTensor, DType};
use crate::registry::lookup;

/// A builder lowers one ONNX node; it returns one operand per produced output.
pub type Builder = fn(&mut Ctx, &Node<'_>) -> Result<Vec<Arg>, TranspileError>;

/// A node being built: its context, attributes and resolved inputs.
pub struct Node<'a> {
    /// Name and op type, for errors.
    pub ctx: NodeCtx,
    /// Attributes.
    pub attrs: Attrs<'a>,
    /// Resolved inputs (`None` for omitted optional inputs).
    pub inputs: Vec<Option<Arg>>,
    /// ONNX names of the inputs.
    pub input_names: &'a [String],
    /// ONNX names of the outputs.
    pub outputs: &'a [String],
    /// Opset of the node's domain.
    pub opset: i64,
}

impl Node<'_> {
    /// Required input `i`.
    ///
    /// # Errors
    /// [`TranspileError::Shape`] when it is absent.
    pub fn input(&self, i: usize) -> Result<&Arg, TranspileError> {
        self.inputs
            .get(i)
            .and_then(|a| a.as_ref())
            .ok_or_else(|| self.ctx.shape(format!("required input #{i} is missing")))
    }

    /// Optional input `i`.
    pub fn opt_input(&self, i: usize) -> Option<&Arg> {
        self.inputs.get(i).and_then(|a| a.as_ref())
    }

    /// Input `i`, which must be a compile-time constant.
    ///
    /// # Errors
    /// [`TranspileError::Unsupported`] when it is computed at run time.
    pub fn const_input(&self, i: usize, what: &str) -> Result<&ConstTensor, TranspileError> {
        match self.input(i)? {
            Arg::Const(c) => Ok(c),
            Arg::Dyn(_) => {
                Err(self.ctx.unsupported(format!("input #{i} ({what}) must be a constant")))
            }
        }
    }

    /// Optional constant input `i`.
    ///
    /// # Errors
    /// As [`Node::const_input`] when present but computed at run time.
    pub fn opt_const(&self, i: usize, what: &str) -> Result<Option<&ConstTensor>, TranspileError> {
        match self.opt_input(i) {
            None => Ok(None),
            Some(_) => self.const_input(i, what).map(Some),
        }
    }

    /// Name for output `k` (or a derived name for intermediate values).
    pub fn out_name(&self, k: usize) -> String {
        self.outputs.get(k).cloned().unwrap_or_else(|| format!("{}:{k}", self.ctx.name))
    }

    /// Number of inputs given (including omitted trailing ones).
    pub fn arity(&self) -> usize {
        self.inputs.len()
    }
}

/// Build state shared by the builders.
pub struct Ctx {
    /// The graph built so far.
    pub graph: IrGraph,
    uses: HashMap<String, usize>,
    graph_outputs: HashSet<String>,
}

impl Ctx {
    /// True when the ONNX value `name` is read by exactly one node and is not a graph output
    /// (so its producer may be rewritten in place, for example to fold a batch norm).
    pub fn foldable(&self, name: &str, v: usize) -> bool {
        // The name must be the value's own: an alias (Identity, Dropout, Cast) shares the value
        // with other names whose readers would see the fold.
        self.sole_use(name) && self.graph.values.get(v).is_some_and(|x| x.name == name)
    }

    /// True when the ONNX value `name` is read by exactly one node and is not a graph output.
    pub fn sole_use(&self, name: &str) -> bool {
        self.uses.get(name).copied().unwrap_or(0) == 1 && !self.graph_outputs.contains(name)
    }
}

fn node_name(n: &NodeProto, index: usize) -> String {
    if n.name.is_empty() {
        format!("{}_{index}", n.op_type)
    } else {
        n.name.clone()
    }
}

/// Builds the float graph of a parsed model.
///
/// # Errors
/// [`TranspileError::UnsupportedOps`] listing every node without a builder, then the first
/// error of any builder, input or output.
pub fn build_graph(
    model: &ModelProto,
    bind: &[(String, ConstTensor)],
    select: Option<&[String]>,
    batch: usize,
) -> Result<IrGraph, TranspileError> {
    let invalid = |reason: &str| TranspileError::InvalidModel { reason: reason.to_string() };
    let Some(g) = model.graph.as_ref() else {
        return Err(invalid("the model has no graph"));
    };
    let mut opsets: HashMap<&str, i64> = HashMap::new();
    for o in &model.opset_import {
        let d = if o.domain == "ai.onnx" { "" } else { o.domain.as_str() };
        opsets.insert(d, o.version);
    }
    // 0 ----- the outputs asked for, and the nodes they need
    let outputs: Vec<&onnx_protobuf::ValueInfoProto> = match select {
        None => g.output.iter().collect(),
        Some(names) => {
            let mut out = Vec::new();
            for name in names {
                let o = g.output.iter().find(|o| o.name == *name).ok_or_else(|| {
                    let have: Vec<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
                    TranspileError::BadGraphOutput {
                        name: name.clone(),
                        reason: format!("is not a graph output (outputs: {})", have.join(", ")),
                    }
                })?;
                out.push(o);
            }
            out
        }
    };
    let needed = needed_nodes(g, &outputs);
    // Every known domain a needed node uses is imported (a model of `ai.onnx.ml` ops only
    // need not import the default domain); nodes of other domains are listed as unsupported.
    for (i, n) in g.node.iter().enumerate().filter(|(i, _)| needed[*i]) {
        let d = if n.domain == "ai.onnx" { "" } else { n.domain.as_str() };
        if (d.is_empty() || d == "ai.onnx.ml") && !opsets.contains_key(d) {
            let domain = if d.is_empty() { "the default ONNX domain" } else { d };
            return Err(invalid(&format!(
                "node {} ({}) uses {domain}, for which the model imports no opset",
                node_name(n, i),
                n.op_type
            )));
        }
    }
    // 1 ----- every unsupported node, all at once
    let unsupported: Vec<UnsupportedNode> = g
        .node
        .iter()
        .enumerate()
        .filter(|(i, _)| needed[*i])
        .filter_map(|(i, n)| {
            let d = if n.domain == "ai.onnx" { "" } else { n.domain.as_str() };
            let opset = opsets.get(d).copied().unwrap_or(0);
            lookup(&n.op_type, &n.domain, opset).is_none().then(|| UnsupportedNode {
                name: node_name(n, i),
                op_type: n.op_type.clone(),
                domain: n.domain.clone(),
                opset,
            })
        })
        .collect();
    if !unsupported.is_empty() {
        return Err(TranspileError::UnsupportedOps { nodes: unsupported });
    }
    if !g.sparse_initializer.is_empty() {
        return Err(invalid("sparse initializers are not supported"));
    }
    // 2 ----- initializers and graph inputs
    let mut uses: HashMap<String, usize> = HashMap::new();
    for n in &g.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *uses.entry(i.clone()).or_insert(0) += 1;
        }
    }
    let graph_outputs = g.output.iter().map(|o| o.name.clone()).collect();
    let mut ctx = Ctx {
        graph: IrGraph { name: g.name.clone(), batch, ..IrGraph::default() },
        uses,
        graph_outputs,
    };
    let mut env: HashMap<String, Arg> = HashMap::new();
    for t in &g.initializer {
        env.insert(t.name.clone(), Arg::Const(read_tensor(t, &t.name)?));
    }
    for v in &g.input {
        if env.contains_key(&v.name) {
            continue;
        }
        let (dtype, shape) = input_shape(v, batch)?;
        if let Some((_, c)) = bind.iter().find(|(n, _)| *n == v.name) {
            if c.shape != shape {
                return Err(TranspileError::BadGraphInput {
                    name: v.name.clone(),
                    reason: format!("bound constant has shape {:?}, the input {shape:?}", c.shape),
                });
            }
            env.insert(v.name.clone(), Arg::Const(c.clone()));
            continue;
        }
        if dtype != DType::Float {
            return Err(TranspileError::BadGraphInput {
                name: v.name.clone(),
                reason: format!(
                    "{dtype:?} inputs are not supported; only float inputs are quantised"
                ),
            });
        }
        ctx.graph.values.push(IrValue { name: v.name.clone(), shape, def: Def::Input });
        let id = ctx.graph.values.len() - 1;
        ctx.graph.inputs.push(id);
        env.insert(v.name.clone(), Arg::Dyn(id));
    }
    // 3 ----- nodes, in order
    for (i, n) in g.node.iter().enumerate() {
        if !needed[i] {
            continue;
        }
        let nctx = NodeCtx { name: node_name(n, i), op_type: n.op_type.clone() };
        let d = if n.domain == "ai.onnx" { "" } else { n.domain.as_str() };
        let opset = opsets.get(d).copied().unwrap_or(0);
        let Some(builder) = lookup(&n.op_type, &n.domain, opset) else {
            continue; // unreachable: unsupported nodes were rejected above
        };
        let mut inputs = Vec::with_capacity(n.input.len());
        for name in &n.input {
            if name.is_empty() {
                inputs.push(None);
            } else {
                let a = env.get(name).cloned().ok_or_else(|| TranspileError::UndefinedInput {
                    node: nctx.name.clone(),
                    op_type: n.op_type.clone(),
                    input: name.clone(),
                })?;
                inputs.push(Some(a));
            }
        }
        let node = Node {
            attrs: Attrs::new(&n.attribute, &nctx),
            ctx: nctx.clone(),
            inputs,
            input_names: &n.input,
            outputs: &n.output,
            opset,
        };
        let produced = builder(&mut ctx, &node)?;
        for (k, out) in n.output.iter().enumerate() {
            if out.is_empty() {
                continue;
            }
            match produced.get(k) {
                Some(a) => {
                    env.insert(out.clone(), a.clone());
                }
                None if ctx.uses.contains_key(out) || ctx.graph_outputs.contains(out) => {
                    return Err(nctx.unsupported(format!("output #{k} ('{out}') is not supported")));
                }
                None => {}
            }
        }
    }
    // 4 ----- graph outputs
    for o in outputs {
        let bad = |reason: &str| TranspileError::BadGraphOutput {
            name: o.name.clone(),
            reason: reason.to_string(),
        };
        match env.get(&o.name) {
            Some(a) => ctx.graph.outputs.push((o.name.clone(), a.clone())),
            None => return Err(bad("is not produced by any node")),
        }
    }
    if ctx.graph.outputs.is_empty() {
        return Err(invalid("the graph has no outputs"));
    }
    Ok(ctx.graph)
}

/// Nodes some selected output depends on (backwards from the outputs).
fn needed_nodes(
    g: &onnx_protobuf::GraphProto,
    outputs: &[&onnx_protobuf::ValueInfoProto],
) -> Vec<bool> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for o in &n.output {
            producer.insert(o.as_str(), i);
        }
    }
    let mut needed = vec![false; g.node.len()];
    let mut stack: Vec<&str> = outputs.iter().map(|o| o.name.as_str()).collect();
    while let Some(v) = stack.pop() {
        if let Some(&i) = producer.get(v) {
            if !needed[i] {
                needed[i] = true;
                stack.extend(g.node[i].input.iter().map(String::as_str).filter(|s| !s.is_empty()));
            }
        }
    }
    needed
}
