//! The path norm `φ_p` and the Path-SGD step (Neyshabur, Salakhutdinov, Srebro 2015,
//! "Path-SGD: path-normalized optimization in deep neural networks").
//!
//! For a chain (see [`super::chain`]) the path norm is
//! `φ_p(w) = (Σ_{paths u_0 → u_1 → … → u_L} Π_e |w_e|^p)^{1/p}`, the sum running over every
//! path that ends at an output unit and starts at an input unit or at the always-on bias unit
//! of any layer. One forward sweep over `|W_l|^p` (elementwise power) gives it:
//!
//! ```text
//! γ_in^0 = 1,   γ_in^l = |W_l|^p γ_in^{l−1} + |b_l|^p,   φ_p^p = Σ_j γ_in^L(j),
//! ```
//!
//! `γ_in(v)` being the sum over the paths into `v` of the products of `|w|^p`. The backward
//! sweep `γ_out^L = 1, γ_out^{l−1} = |W_l|^{pT} γ_out^l` gives the sum over the paths out of a
//! unit, so `γ_in(u)·γ_out(v)` is the sum over the paths through the edge `u → v` of the
//! products of `|w_e'|^p` over the other edges `e'`. Path-SGD divides each partial derivative
//! by the paper's
//!
//! ```text
//! κ_{u→v} = (γ_in(u) · γ_out(v))^{2/p}       (bias of v: κ = γ_out(v)^{2/p}),
//! w ← w − η · g / max(κ, MIN_POSITIVE).
//! ```
//!
//! For `p = 2` this is `½ ∂²φ_2²/∂w_e²`, the quantity the reference code obtains by
//! differentiating the squared-weights network; the exponent `2/p` is the one that makes the
//! step invariant under node rescaling for every `p` (an incoming edge of a unit scaled by `α`
//! has `g → g/α` and `κ → κ/α²`, so its step scales by `α` like the weight itself).
//!
//! Decisions, unlike the reference code: `κ` is recomputed from the current weights at every
//! step (the reference code never zeroes the gradients of its squared copy, so `κ`
//! accumulates over the steps), and no global step-size `ratio` is applied (pass the step
//! size you want as `η`). `κ = 0` happens only when no path goes through the edge with
//! non-zero weight (a dead unit); for a chain loss the gradient is then 0 as well, so the
//! floor `MIN_POSITIVE` (the smallest normal of the storage type) only turns `0/0` into 0.

use super::chain::{check_like, check_widths, shapes_mut, widths, Layer, LayerMut, PathError};
use super::{Float, Spec};
use crate::simd::clear_upper_state;
use faer::linalg::matmul::matmul;
use faer::prelude::ReborrowMut;
use faer::{Accum, Col, Mat, Par};

/// `|x|^p` with the two common exponents special-cased.
#[derive(Clone, Copy, Debug)]
enum Power<T> {
    One,
    Two,
    General(T),
}

impl<T: Float> Power<T> {
    fn new(p: f64) -> Self {
        if p == 1.0 {
            Self::One
        } else if p == 2.0 {
            Self::Two
        } else {
            Self::General(T::from_f64(p))
        }
    }

    #[inline(always)]
    fn of(self, x: T) -> T {
        match self {
            Self::One => x.fabs(),
            Self::Two => x * x,
            Self::General(p) => x.fabs().powf(p),
        }
    }
}

/// Workspace of the path-norm sweeps for one chain shape and one `p`: `|W_l|^p` for every
/// layer and the per-unit sums `γ_in`, `γ_out`. Every call recomputes everything from the
/// weights it is given; nothing carries over between calls, and no call allocates.
#[derive(Clone, Debug)]
pub struct PathNorm<T> {
    p: f64,
    power: Power<T>,
    /// `(γ_in γ_out)^{2/p} = γ_in^{2/p} γ_out^{2/p}`: `None` for `p = 2`.
    kappa_power: Option<T>,
    widths: Vec<usize>,
    powered: Vec<Mat<T>>,
    /// `γ_in^l`, `l = 0..=L` (`γ_in^0 = 1`).
    gamma_in: Vec<Col<T>>,
    /// `γ_out^l`, `l = 1..=L` at index `l` (`γ_out^L = 1`; index 0 is unused and empty).
    gamma_out: Vec<Col<T>>,
    par: Par,
}

impl<T: Float> PathNorm<T> {
    /// A workspace for chains of widths `d_0, …, d_L` (`L ≥ 1`, all non-zero) and a finite
    /// `p ≥ 1`; `par` is the parallelism of the matrix-vector products.
    pub fn new(widths: &[usize], p: f64, par: Par) -> Result<Self, PathError> {
        if !(p >= 1.0 && p.is_finite()) {
            return Err(PathError::InvalidExponent { name: "p", value: p });
        }
        if widths.len() < 2 || widths.contains(&0) {
            return Err(PathError::EmptyChain);
        }
        let depth = widths.len() - 1;
        let gamma_out = (0..=depth)
            .map(|l| match l {
                0 => Col::zeros(0),
                l if l == depth => Col::from_fn(widths[l], |_| T::one_impl()),
                l => Col::zeros(widths[l]),
            })
            .collect();
        Ok(Self {
            p,
            power: Power::new(p),
            kappa_power: (p != 2.0).then(|| T::from_f64(2.0 / p)),
            widths: widths.to_vec(),
            powered: (0..depth).map(|l| Mat::zeros(widths[l + 1], widths[l])).collect(),
            gamma_in: (0..=depth)
                .map(|l| if l == 0 { Col::from_fn(widths[0], |_| T::one_impl()) } else { Col::zeros(widths[l]) })
                .collect(),
            gamma_out,
            par,
        })
    }

    /// A workspace shaped like `layers`.
    pub fn for_chain(layers: &[Layer<'_, T>], p: f64, par: Par) -> Result<Self, PathError> {
        Self::new(&widths(layers)?, p, par)
    }

    /// The exponent `p`.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// `φ_p(w)`, by the forward sweep (summed in `f64`).
    pub fn norm(&mut self, layers: &[Layer<'_, T>]) -> Result<f64, PathError> {
        check_widths(layers, &self.widths)?;
        self.forward(|l| layers[l]);
        let last = self.gamma_in.last().expect("depth ≥ 1");
        let total: f64 = last.iter().map(|g| g.to_f64()).sum();
        Ok(total.powf(1.0 / self.p))
    }

    /// Writes the Path-SGD scaling `κ` of every weight and bias of `layers` into `kappa`
    /// (same shapes, biases where `layers` has them).
    pub fn kappa(&mut self, layers: &[Layer<'_, T>], kappa: &mut [LayerMut<'_, T>]) -> Result<(), PathError> {
        check_widths(layers, &self.widths)?;
        check_like(layers, shapes_mut(kappa), "kappa")?;
        self.sweeps(|l| layers[l]);
        for (l, out) in kappa.iter_mut().enumerate() {
            let (gi, go) = (&self.gamma_in[l], &self.gamma_out[l + 1]);
            for u in 0..out.weight.ncols() {
                let s = gi[u];
                faer::zip!(out.weight.rb_mut().col_mut(u), go.as_ref()).for_each(|faer::unzip!(k, g)| *k = *g * s);
            }
            if let Some(b) = out.bias.as_mut() {
                b.copy_from(go);
            }
        }
        Ok(())
    }

    /// One Path-SGD step in place: `w ← w − η g / max(κ(w), MIN_POSITIVE)` for every weight
    /// and bias, `κ` computed from the weights before the step.
    pub fn step(&mut self, layers: &mut [LayerMut<'_, T>], grads: &[Layer<'_, T>], eta: T) -> Result<(), PathError> {
        check_widths(grads, &self.widths)?;
        check_like(grads, shapes_mut(layers), "layers")?;
        self.sweeps(|l| layers[l].rb());
        let floor = T::MIN_POSITIVE;
        for (l, (layer, grad)) in layers.iter_mut().zip(grads).enumerate() {
            let (gi, go) = (&self.gamma_in[l], &self.gamma_out[l + 1]);
            for u in 0..layer.weight.ncols() {
                let s = gi[u];
                faer::zip!(layer.weight.rb_mut().col_mut(u), grad.weight.col(u), go.as_ref())
                    .for_each(|faer::unzip!(w, g, o)| *w -= eta * *g / max(*o * s, floor));
            }
            if let (Some(b), Some(gb)) = (layer.bias.as_mut(), grad.bias) {
                faer::zip!(b.rb_mut(), gb, go.as_ref()).for_each(|faer::unzip!(w, g, o)| *w -= eta * *g / max(*o, floor));
            }
        }
        Ok(())
    }

    /// [`Self::step`] on a network's parameter buffer (laid out as `spec` says, every layer
    /// with its bias) and a gradient laid out the same way; allocates nothing. The workspace
    /// must have been made for the widths of `spec` (checked by the caller, [`super::PathSgd`]).
    pub(super) fn step_buffer(&mut self, spec: &Spec, params: &mut [T], grad: &[T], eta: T) {
        // Layer l: `rows × cols` weights at `at`, column-major, then `rows` biases.
        let layout = |l: usize| (spec.weights_offset(l), spec.layers()[l].outputs, spec.layers()[l].inputs);
        {
            let params: &[T] = params;
            self.sweeps(|l| {
                let (at, rows, cols) = layout(l);
                let weight = faer::MatRef::from_column_major_slice(&params[at..at + rows * cols], rows, cols);
                let bias = faer::ColRef::from_slice(&params[at + rows * cols..at + rows * (cols + 1)]);
                Layer::new(weight, Some(bias))
            });
        }
        let floor = T::MIN_POSITIVE;
        for l in 0..spec.layers().len() {
            let (at, rows, cols) = layout(l);
            let (gi, go) = (&self.gamma_in[l], &self.gamma_out[l + 1]);
            let go = go.as_ref().try_as_col_major().expect("contiguous").as_slice();
            let w = &mut params[at..at + rows * (cols + 1)];
            let g = &grad[at..at + rows * (cols + 1)];
            for (u, (wc, gc)) in w.chunks_exact_mut(rows).zip(g.chunks_exact(rows)).enumerate() {
                // Columns 0..cols are the weights out of input unit u; the last is the bias.
                let s = if u < cols { gi[u] } else { T::one_impl() };
                for ((w, &g), &o) in wc.iter_mut().zip(gc).zip(go) {
                    *w -= eta * g / max(o * s, floor);
                }
            }
        }
    }

    /// Both sweeps, then `γ ← γ^{2/p}` so that `κ_{u→v} = γ_in(u) γ_out(v)`.
    fn sweeps<'b>(&mut self, layer: impl Fn(usize) -> Layer<'b, T>)
    where
        T: 'b,
    {
        self.forward(&layer);
        let depth = self.powered.len();
        for l in (1..depth).rev() {
            let (lo, hi) = self.gamma_out.split_at_mut(l + 1);
            matmul(lo[l].as_mut(), Accum::Replace, self.powered[l].transpose(), hi[0].as_ref(), T::one_impl(), self.par);
        }
        if let Some(e) = self.kappa_power {
            clear_upper_state(); // libm powf right after faer products
            for g in self.gamma_in[1..].iter_mut().chain(self.gamma_out[1..depth].iter_mut()) {
                faer::zip!(g.as_mut()).for_each(|faer::unzip!(x)| *x = x.powf(e));
            }
        }
    }

    /// `|W_l|^p` into the workspace and `γ_in^l = |W_l|^p γ_in^{l−1} + |b_l|^p`, `l = 1..=L`.
    fn forward<'b>(&mut self, layer: impl Fn(usize) -> Layer<'b, T>)
    where
        T: 'b,
    {
        let power = self.power;
        for l in 0..self.powered.len() {
            let Layer { weight, bias } = layer(l);
            if let Power::General(_) = power {
                clear_upper_state(); // libm powf right after faer products
            }
            let powered = &mut self.powered[l];
            faer::zip!(powered.as_mut(), weight).for_each(|faer::unzip!(q, w)| *q = power.of(*w));
            let (lo, hi) = self.gamma_in.split_at_mut(l + 1);
            let next = &mut hi[0];
            matmul(next.as_mut(), Accum::Replace, powered.as_ref(), lo[l].as_ref(), T::one_impl(), self.par);
            if let Some(b) = bias {
                faer::zip!(next.as_mut(), b).for_each(|faer::unzip!(g, b)| *g += power.of(*b));
            }
        }
    }
}

#[inline(always)]
fn max<T: Float>(a: T, b: T) -> T {
    if a > b {
        a
    } else {
        b
    }
}
