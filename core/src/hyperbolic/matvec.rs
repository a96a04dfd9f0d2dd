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
//! The forward pass runs on tiles of eight points: each tile forms its `Mxᵢ` itself (four rows
//! of `M` per pass over the tile's coordinates), then the per-point part. The VJP forms the
//! products by faer's matmul on blocks of rows, one call per fixed chunk of [`CHUNK`] points,
//! so the result does not depend on the thread count; `∇_X` gets `G_y M` and `∇_M` the chunk
//! shares `G_yᵀ X` as faer products, added in chunk order.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{dispatch, map_tiles, Tile, TileKernel, CHUNK};
use super::lane::{Lane, TileLane};
use super::primitives::{clamp_norm, conformal_denominator, dot, lincomb, norm, scaled};
use super::real::Real;
use super::scalar_mul::Profile;
use super::shape::assert_width;
use faer::linalg::matmul::matmul;
use faer::reborrow::ReborrowMut;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

/// Rows whose products `Mxᵢ` are held at once (bounds the `d_out × BLOCK` buffer).
const BLOCK: usize = 16 * CHUNK;

/// `(‖x‖, z, ‖y‖, profile at ρ = ‖y‖/‖x‖)`, or `None` at `x = 0`.
#[inline(always)]
fn parts(c: f64, x: &[f64], y: &[f64]) -> Option<(f64, f64, f64, Profile<f64>)> {
    let nx = norm(x);
    if nx == 0.0 {
        return None;
    }
    let (z, ny) = (c.sqrt() * nx, norm(y));
    Some((nx, z, ny, Profile::new(z, conformal_denominator(c, x), ny / nx)))
}

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

/// For one point with `y = Mx`: writes to `gy` the gradient of `⟨g, M ⊗_c x⟩` with respect to
/// `y`, and returns `β` such that the gradient with respect to `x` is `Mᵀ gy + β x`.
#[inline(always)]
pub(super) fn matvec_vjp(c: f64, x: &[f64], y: &[f64], g: &[f64], gy: &mut [f64]) -> f64 {
    let Some((nx, z, ny, p)) = parts(c, x, y) else {
        gy.copy_from_slice(g);
        return 0.0;
    };
    let a_z = p.a / z;
    if ny == 0.0 {
        scaled(a_z, g, gy);
        return 0.0;
    }
    let q = p.t / (c.sqrt() * ny);
    let g_yhat = dot(g, y) / ny;
    lincomb(q, g, (a_z * p.sech2 - q) * g_yhat / ny, y, gy);
    (ny / nx) * p.sech2 * (1.0 / p.delta - a_z) * g_yhat / nx
}

/// `Mᵀ` widened to `f64` (`d_in × d_out`, column `k` is row `k` of `M`, contiguous).
fn transposed_f64<T: Real>(m: MatRef<'_, T>) -> Mat<f64> {
    Mat::from_fn(m.ncols(), m.nrows(), |j, k| m.get(k, j).to_f64())
}

/// Calls `pass(first, yt)` for consecutive blocks of rows of `x`, where column `i` of `yt`
/// (`d_out × len`) is `M x_{first+i}` in `f64`.
fn for_blocks<T: Real>(mt: MatRef<'_, f64>, x: MatRef<'_, T>, par: Par, mut pass: impl FnMut(usize, &Mat<f64>)) {
    let (n, d_in) = (x.nrows(), x.ncols());
    let parallel = matches!(par, Par::Rayon(t) if t.get() > 1);
    let mut first = 0;
    while first < n {
        let len = BLOCK.min(n - first);
        let mut yt = Mat::<f64>::zeros(mt.ncols(), len);
        let job = |(k, y): (usize, MatMut<'_, f64>)| {
            let start = first + k * CHUNK;
            let xt = Mat::from_fn(d_in, y.ncols(), |j, i| x.get(start + i, j).to_f64());
            matmul(y, Accum::Replace, mt.transpose(), xt.as_ref(), 1.0, Par::Seq);
        };
        if parallel {
            yt.as_mut().par_col_chunks_mut(CHUNK).enumerate().for_each(job);
        } else {
            for k in 0..len.div_ceil(CHUNK) {
                let w = CHUNK.min(len - k * CHUNK);
                job((k, yt.as_mut().subcols_mut(k * CHUNK, w)));
            }
        }
        pass(first, &yt);
        first += len;
    }
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
        let mt = transposed_f64(m);
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
        let c = self.c;
        let mt = transposed_f64(m);
        let parallel = matches!(par, Par::Rayon(t) if t.get() > 1);
        let mut grad_x = grad_x;
        let mut total = Mat::<f64>::zeros(d_out, d_in);
        for_blocks(mt.as_ref(), x, par, |first, yt| {
            // Per fixed chunk: the per-point parts (g_y, β), then ∇_X = βx + G_y M and the
            // chunk's share G_yᵀ X of ∇_M as two products; shares are added in chunk order.
            let len = yt.ncols();
            let job = |k: usize| {
                let (start, w) = (first + k * CHUNK, CHUNK.min(len - k * CHUNK));
                let xt = Mat::from_fn(d_in, w, |j, i| x.get(start + i, j).to_f64());
                let gt = Mat::from_fn(d_out, w, |j, i| grad.get(start + i, j).to_f64());
                let (mut gyt, mut gxt) = (Mat::<f64>::zeros(d_out, w), Mat::<f64>::zeros(d_in, w));
                dispatch(
                    #[inline(always)]
                    || {
                        for i in 0..w {
                            let xi = xt.col_as_slice(i);
                            let beta = matvec_vjp(c, xi, yt.col_as_slice(k * CHUNK + i), gt.col_as_slice(i), gyt.col_as_slice_mut(i));
                            scaled(beta, xi, gxt.col_as_slice_mut(i));
                        }
                    },
                );
                matmul(gxt.as_mut(), Accum::Add, mt.as_ref(), gyt.as_ref(), 1.0, Par::Seq);
                let mut share = Mat::<f64>::zeros(d_out, d_in);
                matmul(share.as_mut(), Accum::Replace, gyt.as_ref(), xt.transpose(), 1.0, Par::Seq);
                (gxt, share)
            };
            let chunks = len.div_ceil(CHUNK);
            let parts: Vec<(Mat<f64>, Mat<f64>)> = if parallel {
                (0..chunks).into_par_iter().map(job).collect()
            } else {
                (0..chunks).map(job).collect()
            };
            for (k, (gxt, share)) in parts.iter().enumerate() {
                let start = first + k * CHUNK;
                for i in 0..gxt.ncols() {
                    for j in 0..d_in {
                        *grad_x.rb_mut().get_mut(start + i, j) = T::from_f64(gxt[(j, i)]);
                    }
                }
                total += share;
            }
        });
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
