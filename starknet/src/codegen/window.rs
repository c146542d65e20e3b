//! Sliding-window tables, computed at generation time: for every (output position, kernel
//! position) pair of a convolution or pooling window, the input offset it reads, or a padding
//! marker. Embedding them as constants saves the contract the index arithmetic (about half of
//! a small convolution's gas when computed on chain).

use runtime::shape::{in_padded_extent, positions, strides, window_offset};
use runtime::PoolParams;

/// Entry of a window position inside the declared padding (counted by average pooling with
/// `count_include_pad`). Equal to `ops::PAD_INSIDE` in Cairo.
pub const PAD_INSIDE: u32 = 0xffff_fffe;
/// Entry of a window position beyond the padded extent (ceil-mode pooling). Equal to
/// `ops::PAD_OUTSIDE` in Cairo.
pub const PAD_OUTSIDE: u32 = 0xffff_ffff;

/// The window table over spatial `in_dims` for output spatial `out_dims`: `out * kernel`
/// entries, output position major. Offsets follow the runtime's `window_offset`; padding is
/// classified exactly as the runtime's pooling kernel does.
pub fn table(p: &PoolParams, in_dims: &[usize], out_dims: &[usize]) -> Option<Vec<u32>> {
    let in_strides = strides(in_dims);
    let kpos = positions(&p.kernel);
    let mut out = Vec::with_capacity(out_dims.iter().product::<usize>() * kpos.len());
    for opos in positions(out_dims) {
        for kp in &kpos {
            let entry = match window_offset(
                &opos,
                kp,
                &p.strides,
                &p.dilations,
                &p.pads,
                in_dims,
                &in_strides,
            ) {
                Some(off) => u32::try_from(off).ok().filter(|&o| o < PAD_INSIDE)?,
                None => {
                    let inside =
                        in_padded_extent(&opos, kp, &p.strides, &p.dilations, &p.pads, in_dims);
                    if inside {
                        PAD_INSIDE
                    } else {
                        PAD_OUTSIDE
                    }
                }
            };
            out.push(entry);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_classified_like_the_runtime() {
        // 1-D input of 3, kernel 2, stride 2, pads 1/0, ceil mode: 2 windows.
        let p = PoolParams {
            kernel: vec![2],
            strides: vec![2],
            pads: vec![1, 0],
            dilations: vec![1],
            ceil_mode: true,
        };
        // Window 0 reads [pad, x0]; window 1 reads [x1, x2].
        assert_eq!(table(&p, &[3], &[2]), Some(vec![PAD_INSIDE, 0, 1, 2]));
        // One more window reaches past the padded extent.
        assert_eq!(
            table(&p, &[3], &[3]),
            Some(vec![PAD_INSIDE, 0, 1, 2, PAD_OUTSIDE, PAD_OUTSIDE])
        );
    }
}
