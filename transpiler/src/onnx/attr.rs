//! Typed, checked access to node attributes. The raw protobuf fields are read directly (never
//! through `AttributeProto::as_value`, which panics on a TENSOR or GRAPH attribute without a
//! payload).

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::AttributeProto;

use super::tensor::{read_tensor, ConstTensor};
use crate::error::{NodeCtx, TranspileError};

/// The attributes of one node.
pub struct Attrs<'a> {
    attrs: &'a [AttributeProto],
    ctx: &'a NodeCtx,
}

impl<'a> Attrs<'a> {
    /// Wraps a node's attributes.
    pub fn new(attrs: &'a [AttributeProto], ctx: &'a NodeCtx) -> Self {
        Attrs { attrs, ctx }
    }

    fn get(
        &self,
        name: &str,
        want: AttributeType,
    ) -> Result<Option<&'a AttributeProto>, TranspileError> {
        let Some(a) = self.attrs.iter().find(|a| a.name == name) else {
            return Ok(None);
        };
        if !a.ref_attr_name.is_empty() {
            return Err(self.ctx.attr(name, "attribute references (functions) are not supported"));
        }
        match a.type_.enum_value() {
            Ok(t) if t == want => Ok(Some(a)),
            Ok(t) => Err(self.ctx.attr(name, format!("expected type {want:?}, found {t:?}"))),
            Err(code) => Err(self.ctx.attr(name, format!("unknown attribute type code {code}"))),
        }
    }

    /// Names of all attributes present.
    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.attrs.iter().map(|a| a.name.as_str())
    }

    /// An INT attribute.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type.
    pub fn int(&self, name: &str) -> Result<Option<i64>, TranspileError> {
        Ok(self.get(name, AttributeType::INT)?.map(|a| a.i))
    }

    /// An INT attribute with a default.
    ///
    /// # Errors
    /// As [`Attrs::int`].
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, TranspileError> {
        Ok(self.int(name)?.unwrap_or(default))
    }

    /// A 0/1 INT attribute with a default.
    ///
    /// # Errors
    /// As [`Attrs::int`], or a value other than 0 and 1.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, TranspileError> {
        match self.int(name)? {
            None => Ok(default),
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            Some(v) => Err(self.ctx.attr(name, format!("must be 0 or 1, got {v}"))),
        }
    }

    /// An INTS attribute.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, TranspileError> {
        Ok(self.get(name, AttributeType::INTS)?.map(|a| a.ints.clone()))
    }

    /// A FLOAT attribute with a default.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type or is not finite.
    pub fn float_or(&self, name: &str, default: f64) -> Result<f64, TranspileError> {
        match self.get(name, AttributeType::FLOAT)? {
            None => Ok(default),
            Some(a) if a.f.is_finite() => Ok(f64::from(a.f)),
            Some(a) => Err(self.ctx.attr(name, format!("{} is not finite", a.f))),
        }
    }

    /// A FLOAT attribute, NaN and infinities included.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type.
    pub fn float_any(&self, name: &str) -> Result<Option<f64>, TranspileError> {
        Ok(self.get(name, AttributeType::FLOAT)?.map(|a| f64::from(a.f)))
    }

    /// A FLOATS attribute.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type.
    pub fn floats(&self, name: &str) -> Result<Option<Vec<f64>>, TranspileError> {
        Ok(self
            .get(name, AttributeType::FLOATS)?
            .map(|a| a.floats.iter().map(|&f| f64::from(f)).collect()))
    }

    /// A STRING attribute (UTF-8).
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type or is not UTF-8.
    pub fn string(&self, name: &str) -> Result<Option<String>, TranspileError> {
        match self.get(name, AttributeType::STRING)? {
            None => Ok(None),
            Some(a) => String::from_utf8(a.s.clone())
                .map(Some)
                .map_err(|_| self.ctx.attr(name, "not valid UTF-8")),
        }
    }

    /// A STRINGS attribute (each UTF-8).
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type or an entry is not UTF-8.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, TranspileError> {
        match self.get(name, AttributeType::STRINGS)? {
            None => Ok(None),
            Some(a) => a
                .strings
                .iter()
                .map(|b| {
                    String::from_utf8(b.clone()).map_err(|_| self.ctx.attr(name, "not valid UTF-8"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
        }
    }

    /// A FLOATS attribute or its `NAME_as_tensor` (double) form.
    ///
    /// # Errors
    /// As [`Attrs::floats`] and [`Attrs::tensor`]; both forms present.
    pub fn floats_or_tensor(&self, name: &str) -> Result<Option<Vec<f64>>, TranspileError> {
        let t = self.tensor(&format!("{name}_as_tensor"))?;
        match (self.floats(name)?, t) {
            (Some(_), Some(_)) => {
                Err(self.ctx.attr(name, format!("both {name} and {name}_as_tensor are set")))
            }
            (Some(v), None) => Ok(Some(v)),
            (None, Some(t)) => Ok(Some(t.data)),
            (None, None) => Ok(None),
        }
    }

    /// A TENSOR attribute.
    ///
    /// # Errors
    /// [`TranspileError::BadAttribute`] when it has another type or no payload;
    /// [`TranspileError::BadTensor`] when the tensor is malformed.
    pub fn tensor(&self, name: &str) -> Result<Option<ConstTensor>, TranspileError> {
        match self.get(name, AttributeType::TENSOR)? {
            None => Ok(None),
            Some(a) => match a.t.as_ref() {
                Some(t) => read_tensor(t, &format!("{}.{name}", self.ctx.name)).map(Some),
                None => Err(self.ctx.attr(name, "TENSOR attribute without a tensor")),
            },
        }
    }
}
