//! Protobuf wire-format scanning for the program decoder's fast paths: the top-level fields of
//! a message, and packed `sint64` bodies (a program's weights) decoded into a vector sized once.
//! Every function answers `None` on input it does not take apart; callers then hand the bytes to
//! prost whole, so malformed input always gets prost's own error.

/// One top-level field of a message: its key (`tag << 3 | wire type`), its whole encoding (key
/// included) and its body (the bytes after the length of a length-delimited field, else the
/// value's bytes).
pub(crate) struct Field<'a> {
    pub key: u64,
    pub raw: &'a [u8],
    pub body: &'a [u8],
}

/// The top-level fields of `msg` in order; `None` when it is not a sequence of well-formed
/// varint, 64-bit, length-delimited and 32-bit fields (groups included).
pub(crate) fn fields(msg: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    let mut buf = msg;
    while !buf.is_empty() {
        let start = buf;
        let key = varint(&mut buf)?;
        let body = match key & 7 {
            0 => {
                let before = buf;
                varint(&mut buf)?;
                before.get(..before.len() - buf.len())?
            }
            1 => take(&mut buf, 8)?,
            2 => {
                let len = usize::try_from(varint(&mut buf)?).ok()?;
                take(&mut buf, len)?
            }
            5 => take(&mut buf, 4)?,
            _ => return None,
        };
        out.push(Field { key, raw: start.get(..start.len() - buf.len())?, body });
    }
    Some(out)
}

fn take<'a>(buf: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = (buf.get(..n)?, buf.get(n..)?);
    *buf = tail;
    Some(head)
}

/// One varint (at most 10 bytes, the tenth at most 1, as prost reads them).
fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return None;
        }
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *buf = buf.get(i + 1..)?;
            return Some(v);
        }
    }
    None
}

fn unzigzag(z: u64) -> i64 {
    (z >> 1) as i64 ^ -((z & 1) as i64)
}

/// Appends the values of a packed `sint64` body to `out`, reserving their exact count first
/// (the bytes below 0x80, one per varint), so that a weight tensor of tens of MB is written once
/// instead of grown by doubling. `None` (with `out` in an unspecified state) when the body is
/// not a sequence of well-formed varints.
pub(crate) fn packed_sint64(body: &[u8], out: &mut Vec<i64>) -> Option<()> {
    if body.last().is_some_and(|&b| b >= 0x80) {
        return None;
    }
    out.reserve(body.iter().filter(|&&b| b < 0x80).count());
    let mut i = 0;
    // Quantised weights are mostly one or two bytes long: those take no loop.
    while let Some(&[b0, b1]) = body.get(i..i + 2) {
        if b0 < 0x80 {
            out.push(unzigzag(u64::from(b0)));
            i += 1;
        } else if b1 < 0x80 {
            out.push(unzigzag(u64::from(b0 & 0x7f) | u64::from(b1) << 7));
            i += 2;
        } else {
            let mut rest = body.get(i..)?;
            let before = rest.len();
            out.push(unzigzag(varint(&mut rest)?));
            i += before - rest.len();
        }
    }
    if let Some(&b) = body.get(i) {
        out.push(unzigzag(u64::from(b)));
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[derive(Clone, PartialEq, Message)]
    struct Packed {
        #[prost(sint64, repeated, tag = "1")]
        v: Vec<i64>,
    }

    fn body(v: &[i64]) -> Vec<u8> {
        let bytes = Packed { v: v.to_vec() }.encode_to_vec();
        let f = fields(&bytes).unwrap();
        assert_eq!(f.len(), usize::from(!v.is_empty()));
        f.first().map(|f| f.body.to_vec()).unwrap_or_default()
    }

    #[test]
    fn packed_values_of_every_length_decode_as_prost_encodes_them() {
        let mut v: Vec<i64> = vec![0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, -8193];
        for k in 0..64 {
            v.push(1i64 << k);
            v.push((1i64 << k).wrapping_neg());
            v.push((1i64 << k).wrapping_sub(1));
        }
        v.extend([i64::MAX, i64::MIN, 5, -7]);
        let mut out = Vec::new();
        assert_eq!(packed_sint64(&body(&v), &mut out), Some(()));
        assert_eq!(out, v);
        assert_eq!(out.capacity(), v.len());
        let mut none = Vec::new();
        assert_eq!(packed_sint64(&[], &mut none), Some(()));
        assert!(none.is_empty());
    }

    #[test]
    fn malformed_varints_are_refused() {
        let mut out = Vec::new();
        // A body ending inside a varint.
        assert_eq!(packed_sint64(&[0x02, 0x80], &mut out), None);
        // Eleven bytes, and a tenth byte above 1 (more than 64 bits).
        assert_eq!(packed_sint64(&[0xff; 11], &mut out), None);
        let mut long = vec![0xff; 9];
        long.push(0x02);
        assert_eq!(packed_sint64(&long, &mut out), None);
        long[9] = 0x01;
        out.clear();
        assert_eq!(packed_sint64(&long, &mut out), Some(()));
        assert_eq!(out, vec![i64::MIN]);
        // Fields: a length past the end, an unknown wire type.
        assert!(fields(&[0x0a, 0x05, 0x01]).is_none());
        assert!(fields(&[0x0f]).is_none());
    }
}
