// starkml fixed-point kernels for generated model contracts.
//
// Part of starkml (https://github.com/starkml/starkml), copied verbatim into every generated
// model project. Tensors are flat row-major `Span<felt252>`s holding signed integers at the
// tensor's scale (x mod p: negative values are p - |x|). Products and sums are computed in
// felt252, which is exact because the program's static bounds keep every value below 2^60 in
// absolute value once the inputs are checked (`check_input`). Comparisons and divisions go
// through `signed` (a checked conversion to i64) and `round_div`, the runtime's
// round-half-up rule, so results are bit-exact with `starkml run`.

// Window tables (`tables.cairo`, computed by the generator) hold, for every (output
// position, kernel position) pair of a convolution or pooling window, the input offset read,
// or one of these two markers.

/// Table entry of a window position that falls into the declared padding.
pub const PAD_INSIDE: u32 = 0xfffffffe;
/// Table entry of a window position beyond the padded extent (ceil-mode pooling).
pub const PAD_OUTSIDE: u32 = 0xffffffff;
const TWO_62: u128 = 0x4000000000000000;

/// The signed integer a felt stands for; panics outside the i64 range.
pub fn signed(x: felt252) -> i64 {
    x.try_into().expect('starkml: value exceeds i64')
}

/// Round-half-up division `floor((x + floor(d / 2)) / d)` for `1 <= d < 2^64`, exact for
/// |x| < 2^62 and panicking (never wrong) beyond.
pub fn round_div(x: felt252, d: u128) -> felt252 {
    let off: felt252 = (d * TWO_62).into();
    let half: felt252 = (d / 2).into();
    let t: u128 = (x + half + off).try_into().expect('starkml: division out of range');
    let q: felt252 = (t / d).into();
    q - TWO_62.into()
}

/// Checks `len` input values starting at `start` against the static bound `|x| <= bound`
/// and returns them.
pub fn check_input(input: Span<felt252>, start: u32, len: u32, bound: i64) -> Span<felt252> {
    let part = input.slice(start, len);
    for v in part {
        let s: Option<i64> = (*v).try_into();
        match s {
            Option::Some(s) => { assert(s <= bound && s >= -bound, 'starkml: input out of range'); },
            Option::None => { panic!("starkml: input out of range"); },
        }
    }
    part
}

/// Product of the entries (1 for an empty span).
pub fn product(dims: Span<u32>) -> u32 {
    let mut p: u32 = 1;
    for d in dims {
        p *= *d;
    }
    p
}

/// `out[i] = x[offset(i)]` where `offset` sums the coordinates of `i` in `dims` times
/// `strides`: broadcasting (stride 0 on broadcast axes) and transposition (permuted strides).
pub fn strided(x: Span<felt252>, dims: Span<u32>, strides: Span<u32>) -> Array<felt252> {
    let total = product(dims);
    let rank = dims.len();
    let mut out: Array<felt252> = array![];
    for i in 0..total {
        let mut rem = i;
        let mut off: u32 = 0;
        let mut d = rank;
        while d > 0 {
            d -= 1;
            let dim = *dims[d];
            off += (rem % dim) * *strides[d];
            rem = rem / dim;
        }
        out.append(*x[off]);
    }
    out
}

/// Element-wise `a + b` (same length).
pub fn add(a: Span<felt252>, b: Span<felt252>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for i in 0..a.len() {
        out.append(*a[i] + *b[i]);
    }
    out
}

/// Element-wise `a - b` (same length).
pub fn sub(a: Span<felt252>, b: Span<felt252>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for i in 0..a.len() {
        out.append(*a[i] - *b[i]);
    }
    out
}

/// Element-wise `a * b` (same length); the output scale is the sum of the input scales.
pub fn mul(a: Span<felt252>, b: Span<felt252>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for i in 0..a.len() {
        out.append(*a[i] * *b[i]);
    }
    out
}

/// Batched `a[M, K] x b[K, N]`: batch `i` reads `a` from `a_offs[i]` and `b` from
/// `b_offs[i]` (element offsets).
pub fn matmul(
    a: Span<felt252>, b: Span<felt252>, a_offs: Span<u32>, b_offs: Span<u32>, m: u32, k: u32,
    n: u32,
) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for bi in 0..a_offs.len() {
        let pa = *a_offs[bi];
        let pb = *b_offs[bi];
        for i in 0..m {
            let row = a.slice(pa + i * k, k);
            for j in 0..n {
                let mut acc: felt252 = 0;
                let mut idx = pb + j;
                for x in row {
                    acc += *x * *b[idx];
                    idx += n;
                }
                out.append(acc);
            }
        }
    }
    out
}

/// Batched `a[M, K] x b[K, N]` with `b` stored transposed (`bt[N, K]`, one row per output
/// column): batch `i` reads `a` from `a_offs[i]`; each output is a contiguous dot product.
pub fn matmul_bt(
    a: Span<felt252>, bt: Span<felt252>, a_offs: Span<u32>, m: u32, k: u32, n: u32,
) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for bi in 0..a_offs.len() {
        let pa = *a_offs[bi];
        for i in 0..m {
            let row = a.slice(pa + i * k, k);
            let mut cols = bt;
            for _j in 0..n {
                let mut ws = cols.slice(0, k);
                cols = cols.slice(k, cols.len() - k);
                let mut xs = row;
                let mut acc: felt252 = 0;
                while let Option::Some(x) = xs.pop_front() {
                    acc += *x * *ws.pop_front().unwrap();
                }
                out.append(acc);
            }
        }
    }
    out
}

/// Grouped convolution of `x: [batch, c_in, in_sp]` with `w: [m, c_per, k_sp]` over the
/// window `table`, plus `bias: [m]` when not empty.
pub fn conv(
    x: Span<felt252>, w: Span<felt252>, bias: Span<felt252>, table: Span<u32>, batch: u32,
    c_in: u32, in_sp: u32, m: u32, c_per: u32, k_sp: u32, out_sp: u32, group: u32,
) -> Array<felt252> {
    let m_per = m / group;
    let mut out: Array<felt252> = array![];
    for b in 0..batch {
        for oc in 0..m {
            let g = oc / m_per;
            let b0: felt252 = if bias.len() > 0 {
                *bias[oc]
            } else {
                0
            };
            let x_base = (b * c_in + g * c_per) * in_sp;
            let w_base = oc * c_per * k_sp;
            for o in 0..out_sp {
                let mut acc = b0;
                let row = table.slice(o * k_sp, k_sp);
                for c in 0..c_per {
                    let xs = x.slice(x_base + c * in_sp, in_sp);
                    let mut ws = w.slice(w_base + c * k_sp, k_sp);
                    let mut offs = row;
                    while let Option::Some(off) = offs.pop_front() {
                        let wv = *ws.pop_front().unwrap();
                        if *off < PAD_INSIDE {
                            acc += *xs[*off] * wv;
                        }
                    }
                }
                out.append(acc);
            }
        }
    }
    out
}

/// Max pooling of `planes` planes of `in_sp` values over the window `table` (0 for a window
/// without input positions).
pub fn max_pool(
    x: Span<felt252>, table: Span<u32>, planes: u32, in_sp: u32, out_sp: u32, k_sp: u32,
) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for pl in 0..planes {
        let base = pl * in_sp;
        for o in 0..out_sp {
            let mut best: Option<i64> = Option::None;
            for off in table.slice(o * k_sp, k_sp) {
                let off = *off;
                if off < PAD_INSIDE {
                    let v = signed(*x[base + off]);
                    best =
                        match best {
                            Option::None => Option::Some(v),
                            Option::Some(b) => if v > b {
                                Option::Some(v)
                            } else {
                                Option::Some(b)
                            },
                        };
                }
            }
            let r: felt252 = match best {
                Option::None => 0,
                Option::Some(b) => b.into(),
            };
            out.append(r);
        }
    }
    out
}

/// Round-half-up average pooling; padded positions count when `count_include_pad`.
pub fn avg_pool(
    x: Span<felt252>, table: Span<u32>, planes: u32, in_sp: u32, out_sp: u32, k_sp: u32,
    count_include_pad: bool,
) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for pl in 0..planes {
        let base = pl * in_sp;
        for o in 0..out_sp {
            let mut sum: felt252 = 0;
            let mut count: u128 = 0;
            for off in table.slice(o * k_sp, k_sp) {
                let off = *off;
                if off < PAD_INSIDE {
                    sum += *x[base + off];
                    count += 1;
                } else if off == PAD_INSIDE && count_include_pad {
                    count += 1;
                }
            }
            if count == 0 {
                count = 1;
            }
            out.append(round_div(sum, count));
        }
    }
    out
}

/// `round_div(x, d)` of every element (a rescale when `d` is a power of two).
pub fn rescale(x: Span<felt252>, d: u128) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for v in x {
        out.append(round_div(*v, d));
    }
    out
}

/// `max(x, 0)`.
pub fn relu(x: Span<felt252>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for v in x {
        if signed(*v) < 0 {
            out.append(0);
        } else {
            out.append(*v);
        }
    }
    out
}

/// `x` when `x >= 0`, else `round_div(x * alpha, d)`.
pub fn leaky_relu(x: Span<felt252>, alpha: felt252, d: u128) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for v in x {
        if signed(*v) < 0 {
            out.append(round_div(*v * alpha, d));
        } else {
            out.append(*v);
        }
    }
    out
}

/// Saturation to `[lo, hi]` (each bound optional).
pub fn clip(x: Span<felt252>, lo: Option<i64>, hi: Option<i64>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for v in x {
        let mut s = signed(*v);
        if let Option::Some(l) = lo {
            if s < l {
                s = l;
            }
        }
        if let Option::Some(h) = hi {
            if s > h {
                s = h;
            }
        }
        out.append(s.into());
    }
    out
}

/// Index of the largest element along an axis of length `len` for a tensor viewed as
/// `[outer, len, inner]` (first index on ties, last with `select_last`).
pub fn argmax(x: Span<felt252>, outer: u32, len: u32, inner: u32, select_last: bool) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for o in 0..outer {
        for i in 0..inner {
            let mut best: u32 = 0;
            let mut best_v = signed(*x[o * len * inner + i]);
            for j in 1..len {
                let v = signed(*x[(o * len + j) * inner + i]);
                if v > best_v || (select_last && v == best_v) {
                    best = j;
                    best_v = v;
                }
            }
            out.append(best.into());
        }
    }
    out
}

/// Gather along an axis of length `len` for a tensor viewed as `[outer, len, inner]`.
pub fn gather(x: Span<felt252>, outer: u32, len: u32, inner: u32, indices: Span<u32>) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for o in 0..outer {
        for idx in indices {
            let base = (o * len + *idx) * inner;
            for v in x.slice(base, inner) {
                out.append(*v);
            }
        }
    }
    out
}

/// Concatenation: for each of `outer` blocks, `chunks[i]` values of `parts[i]` in turn.
pub fn concat(parts: Span<Span<felt252>>, chunks: Span<u32>, outer: u32) -> Array<felt252> {
    let mut out: Array<felt252> = array![];
    for o in 0..outer {
        for p in 0..parts.len() {
            let c = *chunks[p];
            for v in (*parts[p]).slice(o * c, c) {
                out.append(*v);
            }
        }
    }
    out
}

/// Index of the largest value (first on ties): the predicted class of a score vector.
pub fn top_class(x: Span<felt252>) -> u32 {
    let mut best: u32 = 0;
    let mut best_v = signed(*x[0]);
    for j in 1..x.len() {
        let v = signed(*x[j]);
        if v > best_v {
            best = j;
            best_v = v;
        }
    }
    best
}

/// Appends all values of `src` to `dst`.
pub fn extend(ref dst: Array<felt252>, src: Span<felt252>) {
    for v in src {
        dst.append(*v);
    }
}

/// Appends `src`, a `[rows, cols]` matrix stored row-major, in column-major order (the
/// program order of a weight stored transposed).
pub fn extend_transposed(ref dst: Array<felt252>, src: Span<felt252>, rows: u32, cols: u32) {
    for i in 0..cols {
        for j in 0..rows {
            dst.append(*src[j * cols + i]);
        }
    }
}

/// Appends all values of `src` to `dst`.
pub fn extend_u32(ref dst: Array<u32>, src: Span<u32>) {
    for v in src {
        dst.append(*v);
    }
}
