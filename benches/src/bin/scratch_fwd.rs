use faer::{Mat, MatMut, MatRef};
use std::time::Instant;
/// dst (c x r col-major) = src^T, src r x c col-major contiguous
fn tiled<const BR: usize, const BC: usize>(dst: &mut [f32], src: &[f32], r: usize, c: usize) {
    let mut j0 = 0;
    while j0 < c {
        let jn = BC.min(c - j0);
        let mut i0 = 0;
        while i0 < r {
            let im = BR.min(r - i0);
            if jn == BC && im == BR {
                let mut t = [[0f32; BC]; BR];
                for j in 0..BC {
                    let col = &src[(j0 + j) * r + i0..][..BR];
                    for i in 0..BR { t[i][j] = col[i]; }
                }
                for i in 0..BR {
                    dst[(i0 + i) * c + j0..][..BC].copy_from_slice(&t[i]);
                }
            } else {
                for j in j0..j0 + jn { for i in i0..i0 + im { dst[i * c + j] = src[j * r + i]; } }
            }
            i0 += BR;
        }
        j0 += BC;
    }
}
fn main() {
    for &(r, c) in &[(1024usize, 256usize), (784, 256), (1000, 256)] {
        let x = Mat::<f32>::from_fn(r, c, |i, j| (i * 3 + j) as f32);
        let xs: Vec<f32> = (0..r * c).map(|k| x[(k % r, k / r)]).collect();
        let mut buf = vec![0f32; r * c];
        let mut want = vec![0f32; r * c];
        MatMut::from_column_major_slice_mut(&mut want, c, r).copy_from(x.transpose());
        let variants: [(&str, &dyn Fn(&mut [f32])); 4] = [
            ("faer copy_from", &|b: &mut [f32]| MatMut::from_column_major_slice_mut(b, c, r).copy_from(x.transpose())),
            ("tiled 16x8", &|b: &mut [f32]| tiled::<16, 8>(b, &xs, r, c)),
            ("tiled 16x16", &|b: &mut [f32]| tiled::<16, 16>(b, &xs, r, c)),
            ("tiled 32x8", &|b: &mut [f32]| tiled::<32, 8>(b, &xs, r, c)),
        ];
        let mut t = vec![Vec::new(); variants.len()];
        for k in 0..800 {
            let v = k % variants.len();
            let s = Instant::now();
            (variants[v].1)(&mut buf);
            if k >= 40 { t[v].push(s.elapsed().as_secs_f64() * 1e6); }
            assert!(buf == want, "{}", variants[v].0);
        }
        for ((name, _), mut v) in variants.iter().zip(t) {
            v.sort_by(f64::total_cmp);
            println!("{r}x{c} {name}: p10 {:.0} median {:.0} us", v[v.len() / 10], v[v.len() / 2]);
        }
    }
}
