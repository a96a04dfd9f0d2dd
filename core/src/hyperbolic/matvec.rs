//! Möbius matrix-vector multiplication `M ⊗_c x` and its vector-Jacobian product.
//!
//! With `y = Mx`, `z = √c‖x‖`, `δ = 1 − c‖x‖²`, `a = artanh z` and `ρ = ‖y‖/‖x‖`:
//!
//! `M ⊗ x = q y`, `q = tanh(ρ a)/(√c‖y‖)`, and `M ⊗ x = 0` when `y = 0`
//! (`q → a/z` as `y → 0`, and `M ⊗ x → Mx` as `x → 0`).
//!
//! Gradients: `g_y = q g + (a sech²(ρa)/z − q)⟨g,ŷ⟩ŷ`, then `∇_x = Mᵀg_y + β x̂` with
//! `β = ρ sech²(ρa) (1/δ − a/z) ⟨g,ŷ⟩` (the dependence through `‖x‖`), and `∇_M = Σᵢ g_yᵢ xᵢᵀ`.
//!
//! Both passes run on tiles of eight points: each tile forms its `Mxᵢ` itself (four rows of `M`
//! per pass over the tile's coordinates), then the per-point part; the VJP's tiles also form
//! `∇_x = Mᵀg_y + βx` and store `g_y` (in the storage type: `f32` storage rounds `g_y` to
//! `f32` before the reduction). The reduction over points `∇_M = G_yᵀ X` is one faer product
//! in `f64` per fixed chunk of [`CHUNK`] points, the shares added in chunk order, so the result
//! does not depend on the thread count.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_tiles, Tile, TileKernel, CHUNK};
use super::lane::{Lane, TileLane};
use super::primitives::{axpy, clamp_norm, conformal_denominator, dot, lincomb, norm, scaled};
use super::real::Real;
use super::scalar_mul::Profile;
use super::shape::assert_width;
use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Rows whose `g_y` are held at once (bounds the `BLOCK × d_out` buffer).
const BLOCK: usize = 16 * CHUNK;

/// `out ← M ⊗_c x` for one point or tile, given `y = Mx` (unprojected). At `x = 0` or
/// `y = 0` the result is 0; those lanes compute with finite stand-ins for `‖x‖`, `δ`, `‖y‖`.
#[inline(always)]
pub(super) fn matvec<S: Lane>(c: f64, x: &[S], y: &[S], out: &mut [S]) {
    let zero = S::splat(0.0);
    let sqrt_c = S::splat(c.sqrt());
    let (nx, ny) = (norm(x), norm(y));
    let degenerate = S::not(S::and(zero.lt(nx), zero.lt(ny)));
    let nx = S::select(degenerate, S::splat(0.5 / c.sqrt()), nx);
    let ny = S::select(degenerate, S::splat(1.0), ny);
    let delta = S::select(degenerate, S::splat(0.75), conformal_denominator(c, x));
    let p = Profile::new(sqrt_c * nx, delta, ny / nx);
    scaled(S::select(degenerate, zero, p.t / (sqrt_c * ny)), y, out);
}

/// `y ← M x` for one point or tile, from `mt = Mᵀ` (column `k` is row `k` of `M`), four rows
/// of `M` at a time so that each coordinate of `x` is loaded once per four outputs.
#[inline(always)]
fn product<S: Lane>(mt: &Mat<f64>, x: &[S], y: &mut [S]) {
    const ROWS: usize = 4;
    let d_in = x.len();
    let done = y.len() / ROWS * ROWS;
    for (b, yb) in y.chunks_exact_mut(ROWS).enumerate() {
        let rows: [&[f64]; ROWS] = core::array::from_fn(|r| &mt.col_as_slice(b * ROWS + r)[..d_in]);
        let mut acc = [S::splat(0.0); ROWS];
        for (j, xj) in x.iter().enumerate() {
            for r in 0..ROWS {
                acc[r] = S::splat(rows[r][j]).mul_add(*xj, acc[r]);
            }
        }
        yb.copy_from_slice(&acc);
    }
    for (k, yk) in y.iter_mut().enumerate().skip(done) {
        *yk = x.iter().zip(mt.col_as_slice(k)).fold(S::splat(0.0), |acc, (xj, m)| S::splat(*m).mul_add(*xj, acc));
    }
}

/// For one point or tile with `y = Mx`: writes to `gy` the gradient of `⟨g, M ⊗_c x⟩` with
/// respect to `y` and returns `β`, the gradient with respect to `x` being `Mᵀ gy + β x`.
/// At `x = 0` (then also `y = 0`) `gy = g`; at `y = 0 ≠ x`, `gy = (a/z) g`; in both `β = 0`,
/// and those lanes compute with the forward pass's finite stand-ins.
#[inline(always)]
fn matvec_vjp<S: Lane>(c: f64, x: &[S], y: &[S], g: &[S], gy: &mut [S]) -> S {
    let (zero, one) = (S::splat(0.0), S::splat(1.0));
    let sqrt_c = S::splat(c.sqrt());
    let (nx, ny) = (norm(x), norm(y));
    let (at_origin, general) = (S::not(zero.lt(nx)), zero.lt(ny));
    let nx = S::select(at_origin, S::splat(0.5 / c.sqrt()), nx);
    let ny = S::select(general, ny, one);
    let delta = S::select(at_origin, S::splat(0.75), conformal_denominator(c, x));
    let z = sqrt_c * nx;
    let p = Profile::new(z, delta, ny / nx);
    let (a_z, q) = (p.a / z, p.t / (sqrt_c * ny));
    let g_yhat = dot(g, y) / ny;
    let along = S::select(general, (a_z * p.sech2 - q) * g_yhat / ny, zero);
    let across = S::select(general, q, S::select(at_origin, one, a_z));
    lincomb(across, g, along, y, gy);
    S::select(general, (ny / nx) * p.sech2 * (one / p.delta - a_z) * g_yhat / nx, zero)
}

/// `m` itself when it is `f64`, else widened into `staged`.
fn in_f64<'a, T: Real>(m: MatRef<'a, T>, staged: &'a mut Option<Mat<f64>>) -> MatRef<'a, f64> {
    match T::as_f64_ref(m) {
        Some(m) => m,
        None => staged.insert(Mat::from_fn(m.nrows(), m.ncols(), |i, j| m.get(i, j).to_f64())).as_ref(),
    }
}

/// `M` widened to `f64`, and `Mᵀ` (`d_in × d_out`, column `k` is row `k` of `M`).
fn widened_f64<T: Real>(m: MatRef<'_, T>) -> (Mat<f64>, Mat<f64>) {
    let mw = Mat::from_fn(m.nrows(), m.ncols(), |k, j| m.get(k, j).to_f64());
    let mt = mw.transpose().to_owned();
    (mw, mt)
}

impl PoincareBall {
    /// Möbius matrix-vector product `out = M ⊗_c xᵢ` for every row (`m`: `d_out × d_in`,
    /// `x`: `n × d_in`, `out`: `n × d_out`).
    pub fn mobius_matvec<T: Real>(
        &self,
        m: MatRef<'_, T>,
        x: MatRef<'_, T>,
        out: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(m.ncols(), &[("x", x.ncols())]);
        assert_width(m.nrows(), &[("out", out.ncols())]);
        assert_eq!(x.nrows(), out.nrows(), "`x` and `out` must have the same number of rows");
        self.check_finite("m", m)?;
        self.check_points("x", x)?;
        let (c, max_norm) = (self.c, self.max_norm::<T>());
        let (_, mt) = widened_f64(m);
        map_tiles([x], [out], m.nrows(), par, MatvecTiles { c, max_norm, mt: &mt });
        Ok(())
    }

    /// Gradients of `Σᵢ ⟨gᵢ, M ⊗_c xᵢ⟩` with respect to `M` (`d_out × d_in`, summed over
    /// points in a fixed order) and `x`.
    pub fn mobius_matvec_vjp<T: Real>(
        &self,
        m: MatRef<'_, T>,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_m: MatMut<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        let (d_out, d_in) = (m.nrows(), m.ncols());
        assert_width(d_in, &[("x", x.ncols()), ("grad_x", grad_x.ncols()), ("grad_m", grad_m.ncols())]);
        assert_width(d_out, &[("grad", grad.ncols())]);
        assert_eq!(grad_m.nrows(), d_out, "`grad_m` must have the shape of `m`");
        self.check_finite("m", m)?;
        self.check_points("x", x)?;
        self.check_finite("grad", grad)?;
        let (n, c) = (x.nrows(), self.c);
        let (mw, mt) = widened_f64(m);
        let parallel = matches!(par, Par::Rayon(t) if t.get() > 1);
        let mut grad_x = grad_x;
        let mut gy = Mat::from_fn(BLOCK.min(n), d_out, |_, _| T::from_f64(0.0));
        let mut total = Mat::<f64>::zeros(d_out, d_in);
        let mut first = 0;
        while first < n {
            let len = BLOCK.min(n - first);
            let (x, mut gy) = (x.subrows(first, len), gy.subrows_mut(0, len));
            let outputs = [grad_x.rb_mut().subrows_mut(first, len), gy.rb_mut()];
            map_tiles([x, grad.subrows(first, len)], outputs, d_out, par, MatvecVjpTiles { c, mt: &mt, m: &mw });
            let gy = gy.rb();
            let share = |k: usize| {
                let (start, w) = (k * CHUNK, CHUNK.min(len - k * CHUNK));
                let (mut gy_f64, mut x_f64) = (None, None);
                let gy = in_f64(gy.subrows(start, w), &mut gy_f64);
                let x = in_f64(x.subrows(start, w), &mut x_f64);
                let mut share = Mat::<f64>::zeros(d_out, d_in);
                matmul(share.as_mut(), Accum::Replace, gy.transpose(), x, 1.0, Par::Seq);
                share
            };
            let chunks = len.div_ceil(CHUNK);
            let shares: Vec<Mat<f64>> = if parallel {
                (0..chunks).into_par_iter().map(share).collect()
            } else {
                (0..chunks).map(share).collect()
            };
            for s in &shares {
                total += s;
            }
            first += len;
        }
        let mut grad_m = grad_m;
        for k in 0..d_out {
            for j in 0..d_in {
                *grad_m.rb_mut().get_mut(k, j) = T::from_f64(total[(k, j)]);
            }
        }
        Ok(())
    }
}

struct MatvecTiles<'a> {
    c: f64,
    max_norm: f64,
    mt: &'a Mat<f64>,
}

impl TileKernel<1, 1> for MatvecTiles<'_> {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 1, 1>) {
        let [x] = p.inputs;
        let [out] = p.outputs;
        let y = &mut p.scratch[..out.len()];
        product(self.mt, x, y);
        matvec(self.c, x, y, out);
        clamp_norm(out, self.max_norm);
    }
}

struct MatvecVjpTiles<'a> {
    c: f64,
    mt: &'a Mat<f64>,
    m: &'a Mat<f64>,
}

impl TileKernel<2, 2> for MatvecVjpTiles<'_> {
    #[inline(always)]
    fn run<S: TileLane>(&self, p: Tile<'_, S, 2, 2>) {
        let [x, g] = p.inputs;
        let [gx, gy] = p.outputs;
        let y = &mut p.scratch[..gy.len()];
        product(self.mt, x, y);
        let beta = matvec_vjp(self.c, x, y, g, gy);
        product(self.m, gy, gx);
        axpy(beta, x, gx);
    }
}
