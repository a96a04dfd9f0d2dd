//! Möbius addition: gyrogroup identities and the VJP against central differences.

use crate::common::points;
use faer::{Mat, Par};
use tessera::hyperbolic::PoincareBall;

#[test]
fn identities() {
    let c = 0.7;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (200, 5);
    let x = points(n, d, c, 0.99, 1);
    let y = points(n, d, c, 0.99, 2);
    let neg_x = -&x;
    let zero = Mat::<f64>::zeros(n, d);
    let mut out = Mat::zeros(n, d);
    ball.mobius_add(x.as_ref(), zero.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert!((&out - &x).norm_max() <= 1e-15);
    ball.mobius_add(neg_x.as_ref(), x.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert!(out.norm_max() <= 1e-15);
    let mut xy = Mat::zeros(n, d);
    ball.mobius_add(x.as_ref(), y.as_ref(), xy.as_mut(), Par::Seq).unwrap();
    ball.mobius_add(neg_x.as_ref(), xy.as_ref(), out.as_mut(), Par::Seq).unwrap();
    assert!((&out - &y).norm_max() <= 1e-11, "left cancellation {}", (&out - &y).norm_max());
}

#[test]
fn vjp_matches_central_differences() {
    let c = 1.3;
    let ball = PoincareBall::new(c).unwrap();
    let (n, d) = (20, 4);
    let x = points(n, d, c, 0.9, 3);
    let y = points(n, d, c, 0.9, 4);
    let g = points(n, d, 1.0, 1.0, 5);
    let (mut gx, mut gy) = (Mat::zeros(n, d), Mat::zeros(n, d));
    ball.mobius_add_vjp(x.as_ref(), y.as_ref(), g.as_ref(), gx.as_mut(), gy.as_mut(), Par::Seq).unwrap();
    let f = |x: &Mat<f64>, y: &Mat<f64>| {
        let mut out = Mat::zeros(n, d);
        ball.mobius_add(x.as_ref(), y.as_ref(), out.as_mut(), Par::Seq).unwrap();
        (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| g[(i, j)] * out[(i, j)]).sum::<f64>()
    };
    let h = 1e-6;
    for i in 0..n {
        for j in 0..d {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[(i, j)] += h;
            xm[(i, j)] -= h;
            let fd = (f(&xp, &y) - f(&xm, &y)) / (2.0 * h);
            assert!((fd - gx[(i, j)]).abs() <= 1e-7 * (1.0 + fd.abs()), "d/dx {fd} vs {}", gx[(i, j)]);
            let (mut yp, mut ym) = (y.clone(), y.clone());
            yp[(i, j)] += h;
            ym[(i, j)] -= h;
            let fd = (f(&x, &yp) - f(&x, &ym)) / (2.0 * h);
            assert!((fd - gy[(i, j)]).abs() <= 1e-7 * (1.0 + fd.abs()), "d/dy {fd} vs {}", gy[(i, j)]);
        }
    }
}
