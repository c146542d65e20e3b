//! Errors of the transpiler. Every variant names the node, tensor or field at fault.

use std::fmt;

/// One ONNX node the registry has no builder for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedNode {
    /// Node name (or `#index` when the node has none).
    pub name: String,
    /// ONNX op type.
    pub op_type: String,
    /// Operator domain (`""` is the default ONNX domain).
    pub domain: String,
    /// Opset version of that domain imported by the model.
    pub opset: i64,
}

impl fmt::Display for UnsupportedNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = if self.domain.is_empty() { "ai.onnx" } else { &self.domain };
        write!(f, "{} ({} from {} opset {})", self.name, self.op_type, domain, self.opset)
    }
}

fn list(nodes: &[UnsupportedNode]) -> String {
    nodes.iter().map(|n| format!("\n  - {n}")).collect()
}

/// Everything that can go wrong turning ONNX bytes into a program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TranspileError {
    /// The bytes are not a valid ONNX protobuf (truncated, corrupted, not ONNX).
    #[error("not a valid ONNX model: {reason}")]
    Parse {
        /// Decoder message.
        reason: String,
    },
    /// The model has no graph, no default-domain opset, or another structural defect.
    #[error("invalid ONNX model: {reason}")]
    InvalidModel {
        /// What is wrong.
        reason: String,
    },
    /// Nodes whose op type (in its domain and opset) has no builder; all are listed.
    #[error("unsupported operators in {} node(s):{}", nodes.len(), list(nodes))]
    UnsupportedOps {
        /// Every unsupported node of the graph.
        nodes: Vec<UnsupportedNode>,
    },
    /// A supported op used in a way the transpiler does not handle (for example a dynamic
    /// weight tensor).
    #[error("node {node} ({op_type}): unsupported: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Op type.
        op_type: String,
        /// What is not supported.
        reason: String,
    },
    /// An attribute is missing, has the wrong type or a value out of its domain.
    #[error("node {node} ({op_type}): attribute '{attr}': {reason}")]
    BadAttribute {
        /// Node name.
        node: String,
        /// Op type.
        op_type: String,
        /// Attribute name.
        attr: String,
        /// What is wrong.
        reason: String,
    },
    /// A node reads a value that no input, initializer, Constant or earlier node defines.
    #[error("node {node} ({op_type}): input '{input}' is not defined by any graph input, initializer or earlier node")]
    UndefinedInput {
        /// Node name.
        node: String,
        /// Op type.
        op_type: String,
        /// Missing value name.
        input: String,
    },
    /// A node's inputs have incompatible shapes or the wrong count.
    #[error("node {node} ({op_type}): {reason}")]
    Shape {
        /// Node name.
        node: String,
        /// Op type.
        op_type: String,
        /// What does not fit.
        reason: String,
    },
    /// An initializer or constant tensor is malformed.
    #[error("tensor '{name}': {reason}")]
    BadTensor {
        /// Tensor name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A graph input has an unsupported element type or shape.
    #[error("graph input '{name}': {reason}")]
    BadGraphInput {
        /// Input name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A graph output is undefined or not computed from the inputs.
    #[error("graph output '{name}': {reason}")]
    BadGraphOutput {
        /// Output name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A batch of a model exported with a fixed batch of one does not compute its samples
    /// independently (or does not compile at that size).
    #[error("batch: {reason}")]
    Batch {
        /// What is wrong, with the hint to export a dynamic batch axis.
        reason: String,
    },
    /// A test set, or the evaluation program asked of a model, is malformed or does not fit.
    #[error("test set: {reason}")]
    TestSet {
        /// What is wrong.
        reason: String,
    },
    /// Calibration data does not fit the model.
    #[error("calibration: {reason}")]
    Calibration {
        /// What is wrong.
        reason: String,
    },
    /// At every scale tried, the caller's check ([`crate::TranspileOptions::accept`]) refused
    /// the program.
    #[error("no scale from {max_scale} down to 1 passes the check: {reason} (at scale 1)")]
    NotAccepted {
        /// Largest scale tried.
        max_scale: u8,
        /// The check's refusal at the smallest scale.
        reason: String,
    },
    /// No scale fits the bound budget, or the built program is invalid.
    #[error("quantisation at scale {scale}: {source}")]
    Quantize {
        /// Scale tried (fractional bits).
        scale: u8,
        /// The runtime's reason.
        #[source]
        source: runtime::RuntimeError,
    },
}

/// Context of the node being built, used to make errors.
#[derive(Debug, Clone)]
pub struct NodeCtx {
    /// Node name.
    pub name: String,
    /// Op type.
    pub op_type: String,
}

impl NodeCtx {
    /// A [`TranspileError::Unsupported`] for this node.
    pub fn unsupported(&self, reason: impl Into<String>) -> TranspileError {
        TranspileError::Unsupported {
            node: self.name.clone(),
            op_type: self.op_type.clone(),
            reason: reason.into(),
        }
    }
    /// A [`TranspileError::Shape`] for this node.
    pub fn shape(&self, reason: impl Into<String>) -> TranspileError {
        TranspileError::Shape {
            node: self.name.clone(),
            op_type: self.op_type.clone(),
            reason: reason.into(),
        }
    }
    /// A [`TranspileError::BadAttribute`] for this node.
    pub fn attr(&self, attr: &str, reason: impl Into<String>) -> TranspileError {
        TranspileError::BadAttribute {
            node: self.name.clone(),
            op_type: self.op_type.clone(),
            attr: attr.to_string(),
            reason: reason.into(),
        }
    }
}
