//! Storage layouts: the batch driver stages points into tiles of eight (in-register transposes
//! for contiguous rows, vector loads for contiguous columns, element by element otherwise), or,
//! for the row-form kernels under AVX-512 (`logmap0`, `project`, `egrad_to_rgrad`,
//! `transport_*_origin` and their VJPs, contiguous rows of a multiple of 8), works on the rows
//! in place.
//! Whatever the layout, the results must be bitwise equal; widths that are and are not
//! multiples of 8 and batches with a partial last tile are used.

use crate::common::{points, points_at_norm, vectors};
use faer::{Mat, MatMut, MatRef, Par};
use tessera::hyperbolic::{HyperbolicError, PoincareBall, Real};

/// `m` stored row-major (each row contiguous), as a view through a transposed matrix.
fn row_major<T: Real>(m: &Mat<f64>) -> Mat<T> {
    Mat::from_fn(m.ncols(), m.nrows(), |j, i| T::from_f64(m[(i, j)]))
}

fn col_major<T: Real>(m: &Mat<f64>) -> Mat<T> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]))
}

type Binary<T> = fn(&PoincareBall, MatRef<'_, T>, MatRef<'_, T>, MatMut<'_, T>, Par) -> Result<(), HyperbolicError>;

/// The op on column-major, row-major and row-major-with-padding storage (output in the same
/// layout as the inputs), as column-major results.
fn in_layouts<T: Real + PartialEq>(ball: &PoincareBall, op: Binary<T>, a: &Mat<f64>, b: &Mat<f64>, out_cols: usize) -> [Mat<T>; 3] {
    let n = a.nrows();
    let zero = T::from_f64(0.0);
    let mut cm = Mat::from_fn(n, out_cols, |_, _| zero);
    op(ball, col_major::<T>(a).as_ref(), col_major::<T>(b).as_ref(), cm.as_mut(), Par::Seq).unwrap();
    let mut rm = Mat::from_fn(out_cols, n, |_, _| zero);
    op(ball, row_major::<T>(a).as_ref().transpose(), row_major::<T>(b).as_ref().transpose(), rm.as_mut().transpose_mut(), Par::Seq)
        .unwrap();
    // Rows contiguous but further apart than their width.
    let pad = |m: &Mat<f64>| {
        let mut p = Mat::from_fn(m.ncols() + 3, n, |_, _| T::from_f64(9.0));
        for i in 0..n {
            for j in 0..m.ncols() {
                p[(j, i)] = T::from_f64(m[(i, j)]);
            }
        }
        p
    };
    let (pa, pb) = (pad(a), pad(b));
    let mut pm = Mat::from_fn(out_cols + 3, n, |_, _| zero);
    op(
        ball,
        pa.as_ref().subrows(0, a.ncols()).transpose(),
        pb.as_ref().subrows(0, b.ncols()).transpose(),
        pm.as_mut().subrows_mut(0, out_cols).transpose_mut(),
        Par::Seq,
    )
    .unwrap();
    [cm, Mat::from_fn(n, out_cols, |i, j| rm[(j, i)]), Mat::from_fn(n, out_cols, |i, j| pm[(j, i)])]
}

fn check_layouts<T: Real + PartialEq>(what: &str) {
    let c = 0.8;
    let ball = PoincareBall::new(c).unwrap();
    for &(n, d) in &[(37, 8), (21, 16), (19, 19), (5, 24)] {
        let x = points(n, d, c, 0.97, 11);
        let y = points(n, d, c, 0.97, 12);
        let u = vectors(n, d, 1.0, 13);
        // Norms around the radius: project keeps some rows and clamps the others.
        let w = vectors(n, d, 0.3, 14);
        let cases: [(&str, Binary<T>, &Mat<f64>, &Mat<f64>, usize); 8] = [
            ("mobius_add", PoincareBall::mobius_add, &x, &y, d),
            ("dist", PoincareBall::dist, &x, &y, 1),
            ("expmap", PoincareBall::expmap, &x, &u, d),
            ("logmap", PoincareBall::logmap, &x, &y, d),
            ("logmap0_vjp", PoincareBall::logmap0_vjp, &x, &u, d),
            ("egrad_to_rgrad", PoincareBall::egrad_to_rgrad, &x, &u, d),
            ("transport_to_origin", PoincareBall::transport_to_origin, &x, &u, d),
            ("project_vjp", PoincareBall::project_vjp, &w, &u, d),
        ];
        for (name, op, a, b, w) in cases {
            let [cm, rm, pm] = in_layouts::<T>(&ball, op, a, b, w);
            assert!(cm == rm, "{what} {name} n={n} d={d}: row-major differs from column-major");
            assert!(cm == pm, "{what} {name} n={n} d={d}: padded rows differ from column-major");
        }
        let [cm, rm] = two_output_layouts::<T>(&ball, &x, &u, &y);
        assert!(cm == rm, "{what} egrad_to_rgrad_vjp n={n} d={d}: row-major differs from column-major");
        let log0 = |b: &PoincareBall, a: MatRef<'_, T>, _: MatRef<'_, T>, out: MatMut<'_, T>, par: Par| b.logmap0(a, out, par);
        let project = |b: &PoincareBall, a: MatRef<'_, T>, _: MatRef<'_, T>, out: MatMut<'_, T>, par: Par| b.project(a, out, par);
        for (name, op, a) in [("logmap0", log0 as Binary<T>, &x), ("project", project, &w)] {
            let [cm, rm, pm] = in_layouts::<T>(&ball, op, a, a, d);
            assert!(cm == rm && cm == pm, "{what} {name} n={n} d={d}: layouts differ");
        }
        // Every third row at the boundary (the rows' compensated sums, one by one on rows).
        let frac = if core::mem::size_of::<T>() == 4 { 1.0 - 1e-6 } else { 1.0 - 1e-12 };
        let near = points_at_norm(n, d, c, frac, 15);
        let mixed = Mat::from_fn(n, d, |i, j| if i % 3 == 1 { near[(i, j)] } else { x[(i, j)] });
        let cases: [(&str, Binary<T>); 4] = [
            ("logmap0", log0),
            ("logmap0_vjp", PoincareBall::logmap0_vjp),
            ("egrad_to_rgrad", PoincareBall::egrad_to_rgrad),
            ("transport_to_origin", PoincareBall::transport_to_origin),
        ];
        for (name, op) in cases {
            let [cm, rm, pm] = in_layouts::<T>(&ball, op, &mixed, &u, d);
            assert!(cm == rm && cm == pm, "{what} {name} near the boundary n={n} d={d}: layouts differ");
        }
        let [cm, rm] = two_output_layouts::<T>(&ball, &mixed, &u, &y);
        assert!(cm == rm, "{what} egrad_to_rgrad_vjp near the boundary n={n} d={d}: layouts differ");
    }
}

/// `egrad_to_rgrad_vjp` (three inputs, two outputs) on column-major and row-major storage, as
/// column-major results.
fn two_output_layouts<T: Real + PartialEq>(ball: &PoincareBall, x: &Mat<f64>, g: &Mat<f64>, grad: &Mat<f64>) -> [[Mat<T>; 2]; 2] {
    let (n, d) = (x.nrows(), x.ncols());
    let zero = T::from_f64(0.0);
    let (mut cx, mut cg) = (Mat::from_fn(n, d, |_, _| zero), Mat::from_fn(n, d, |_, _| zero));
    let (a, b, c) = (col_major::<T>(x), col_major::<T>(g), col_major::<T>(grad));
    ball.egrad_to_rgrad_vjp(a.as_ref(), b.as_ref(), c.as_ref(), cx.as_mut(), cg.as_mut(), Par::Seq).unwrap();
    let (mut rx, mut rg) = (Mat::from_fn(d, n, |_, _| zero), Mat::from_fn(d, n, |_, _| zero));
    let (a, b, c) = (row_major::<T>(x), row_major::<T>(g), row_major::<T>(grad));
    let (a, b, c) = (a.as_ref().transpose(), b.as_ref().transpose(), c.as_ref().transpose());
    ball.egrad_to_rgrad_vjp(a, b, c, rx.as_mut().transpose_mut(), rg.as_mut().transpose_mut(), Par::Seq).unwrap();
    let back = |m: &Mat<T>| Mat::from_fn(n, d, |i, j| m[(j, i)]);
    [[cx, cg], [back(&rx), back(&rg)]]
}

#[test]
fn every_layout_gives_the_same_bits_f64() {
    check_layouts::<f64>("f64");
}

#[test]
fn every_layout_gives_the_same_bits_f32() {
    check_layouts::<f32>("f32");
}

/// Outputs of 8 MiB or more are written with non-temporal stores when their rows are whole,
/// aligned cache lines (row-major, d = 16): the results must still be the column-major ones, on
/// one thread and on two (the stores are fenced before a chunk is handed back).
fn check_streamed_outputs<T: Real + PartialEq>(what: &str) {
    let (c, n, d) = (0.8, 140_003, 16);
    let ball = PoincareBall::new(c).unwrap();
    let x = points(n, d, c, 0.97, 21);
    let y = points(n, d, c, 0.97, 22);
    let cases: [(&str, Binary<T>); 3] =
        [("mobius_add", PoincareBall::mobius_add), ("logmap", PoincareBall::logmap), ("logmap0_vjp", PoincareBall::logmap0_vjp)];
    for (name, op) in cases {
        let zero = T::from_f64(0.0);
        let mut cm = Mat::from_fn(n, d, |_, _| zero);
        op(&ball, col_major::<T>(&x).as_ref(), col_major::<T>(&y).as_ref(), cm.as_mut(), Par::Seq).unwrap();
        let (xr, yr) = (row_major::<T>(&x), row_major::<T>(&y));
        for par in [Par::Seq, Par::rayon(2)] {
            let mut rm = Mat::from_fn(d, n, |_, _| zero);
            // The streaming precondition (64-byte aligned rows of whole lines) holds here.
            let line = |i: usize| rm.as_ptr().wrapping_add(i * rm.col_stride() as usize) as usize % 64 == 0;
            assert!(line(0) && line(1), "{what}: rows not 64-byte aligned, the streamed path is not exercised");
            op(&ball, xr.as_ref().transpose(), yr.as_ref().transpose(), rm.as_mut().transpose_mut(), par).unwrap();
            assert!((0..n).all(|i| (0..d).all(|j| cm[(i, j)] == rm[(j, i)])), "{what} {name} {par:?}: streamed row-major output differs");
        }
    }
}

#[test]
fn streamed_outputs_give_the_same_bits() {
    check_streamed_outputs::<f64>("f64");
    check_streamed_outputs::<f32>("f32");
}

/// Row-major outputs of 8 MiB or more that start off a cache line (by `offset` elements, as
/// `malloc`'s 16-byte blocks and NumPy's arrays do) or whose rows are not whole lines (d = 10)
/// may only take the streamed path where its stores are aligned (a misaligned one faults): the
/// results must still be the column-major ones and the elements on either side of the output
/// untouched, on one thread and on two.
fn check_misaligned_streamed_outputs<T: Real + PartialEq>(what: &str) {
    let c = 0.8;
    let ball = PoincareBall::new(c).unwrap();
    let guard = T::from_f64(7.0);
    // mobius_add runs on staged tiles, logmap0_vjp (d = 16) on the rows in place.
    let cases: [(&str, Binary<T>); 2] = [("mobius_add", PoincareBall::mobius_add), ("logmap0_vjp", PoincareBall::logmap0_vjp)];
    for ((name, op), d) in cases.into_iter().flat_map(|case| [(case, 16), (case, 10)]) {
        let n = (8 << 20) / (d * core::mem::size_of::<T>()) + 5;
        let x = points(n, d, c, 0.97, 31);
        let y = points(n, d, c, 0.97, 32);
        let mut cm = Mat::from_fn(n, d, |_, _| T::from_f64(0.0));
        op(&ball, col_major::<T>(&x).as_ref(), col_major::<T>(&y).as_ref(), cm.as_mut(), Par::Seq).unwrap();
        let (xr, yr) = (row_major::<T>(&x), row_major::<T>(&y));
        for (offset, par) in [(1, Par::Seq), (2, Par::rayon(2)), (3, Par::Seq), (0, Par::rayon(2))] {
            let mut buf = vec![guard; n * d + 32];
            // `offset` elements past the buffer's first cache line (0: on it, streamed for d = 16).
            let start = buf.as_ptr().align_offset(64) + offset;
            let out = MatMut::from_row_major_slice_mut(&mut buf[start..start + n * d], n, d);
            op(&ball, xr.as_ref().transpose(), yr.as_ref().transpose(), out, par).unwrap();
            let (head, rest) = buf.split_at(start);
            let (body, tail) = rest.split_at(n * d);
            let label = format!("{what} {name} d={d} offset={offset} {par:?}");
            assert!(head.iter().chain(tail).all(|&v| v == guard), "{label}: an element outside the output was written");
            assert!((0..n).all(|i| (0..d).all(|j| body[i * d + j] == cm[(i, j)])), "{label}: streamed output differs");
        }
    }
}

#[test]
fn misaligned_streamed_outputs_give_the_same_bits() {
    check_misaligned_streamed_outputs::<f64>("f64");
    check_misaligned_streamed_outputs::<f32>("f32");
}

/// `m` column-major and row-major (as the transpose of its transpose's storage).
fn both_layouts(m: &Mat<f64>) -> [(&'static str, Mat<f64>); 2] {
    [("column-major", col_major(m)), ("row-major", row_major(m))]
}

fn view<'a>((name, m): &'a (&'static str, Mat<f64>)) -> MatRef<'a, f64> {
    if *name == "row-major" { m.as_ref().transpose() } else { m.as_ref() }
}

#[test]
fn validation_finds_the_bad_row_in_every_layout() {
    let c = 1.0;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (45, 16);
    for bad in [0, 7, 8, 30, 44] {
        let mut x = points(n, d, c, 0.9, 21);
        x[(bad, 3)] = 1.5;
        let y = points(n, d, c, 0.9, 22);
        for xs in &both_layouts(&x) {
            let name = xs.0;
            let mut out = Mat::<f64>::from_fn(n, 1, |_, _| 7.0);
            let err = ball.dist(view(xs), y.as_ref(), out.as_mut(), Par::Seq).unwrap_err();
            assert!(matches!(err, HyperbolicError::OutsideBall { input: "x", row, .. } if row == bad), "{name}: {err:?}");
            assert!((0..n).all(|i| out[(i, 0)] == 7.0), "{name}: output untouched");
        }
    }
}

#[test]
fn validation_reports_the_first_of_several_bad_rows_of_a_tile() {
    // The screen tests eight rows at a time: a second bad row in the same tile (and one in
    // the tail tile) must not hide the first one, whatever its kind.
    let ball = PoincareBall::new(1.0).unwrap();
    let (n, d) = (45, 16);
    let set_norm = |x: &mut Mat<f64>, i: usize, r: f64| {
        let s = r / (0..d).map(|j| x[(i, j)] * x[(i, j)]).sum::<f64>().sqrt();
        (0..d).for_each(|j| x[(i, j)] *= s);
    };
    for bad in [0, 5, 9, 38, 41] {
        let mut u = vectors(n, d, 1.0, 23);
        u[(bad, 5)] = f64::NAN;
        u[(bad + 1, 0)] = f64::INFINITY;
        u[(n - 1, 2)] = f64::NEG_INFINITY;
        // Row `bad` just outside the ball (fails the exact test), the next one inside but
        // nearer the boundary than the screen's margin (passes the exact test only).
        let mut x = points(n, d, 1.0, 0.9, 24);
        set_norm(&mut x, bad, 1.0 + 1e-12);
        set_norm(&mut x, bad + 1, 1.0 - 1e-13);
        let mut inside = x.clone();
        set_norm(&mut inside, bad, 1.0 - 1e-13);
        for (u, (x, inside)) in both_layouts(&u).iter().zip(both_layouts(&x).iter().zip(&both_layouts(&inside))) {
            let label = format!("{} row {bad}", u.0);
            let mut out = Mat::<f64>::from_fn(n, d, |_, _| 7.0);
            let err = ball.expmap0(view(u), out.as_mut(), Par::Seq).unwrap_err();
            assert_eq!(err, HyperbolicError::NonFinite { input: "u", row: bad }, "{label}");
            let err = ball.logmap0(view(x), out.as_mut(), Par::Seq).unwrap_err();
            assert!(matches!(err, HyperbolicError::OutsideBall { input: "y", row, .. } if row == bad), "{label}: {err:?}");
            assert!((0..n).all(|i| (0..d).all(|j| out[(i, j)] == 7.0)), "{label}: output untouched");
            ball.logmap0(view(inside), out.as_mut(), Par::Seq).expect("points near the boundary are inside");
        }
    }
}
