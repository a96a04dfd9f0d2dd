//! Optimisers: the update of the parameters from a gradient.
//!
//! An optimiser sees the whole parameter buffer and the spec that lays it out, so one that
//! scales each parameter by a function of all layers' weights (Path-SGD's `κ`, then
//! `w ← w − η g/κ`) implements the same [`Optimiser`] trait as the elementwise ones here. Its
//! state is allocated when it is made; [`Optimiser::step`] allocates nothing.

use super::{Float, NnError, PathNorm, Spec};
use crate::simd::dispatch;
use faer::Par;

/// An update rule `θ ← θ − step(∂L/∂θ, state)`. Implement [`Self::step`] for a rule that
/// needs the whole gradient, or [`Self::elementwise`] for one that updates each parameter from
/// its own gradient and state (the other methods then follow).
pub trait Optimiser<T: Float>: Send {
    /// Updates `params` in place from `grad` (both laid out as `spec` says).
    fn step(&mut self, spec: &Spec, params: &mut [T], grad: &[T]) {
        self.step_parallel(spec, params, grad, 1)
    }

    /// [`Self::step`] with up to `parts` threads of the current rayon pool. Elementwise
    /// optimisers cut the buffers into `parts` chunks (same bits as one thread); other rules
    /// run [`Self::step`].
    fn step_parallel(&mut self, spec: &Spec, params: &mut [T], grad: &[T], parts: usize) {
        match self.elementwise() {
            Some(e) => {
                e.begin_step();
                e.update(0, params, grad, parts);
            }
            None => self.step(spec, params, grad),
        }
    }

    /// The rule as an [`Elementwise`] update, if it is one: a training step then updates each
    /// layer as soon as its gradient is complete, while gradient and weights are still in
    /// cache, instead of in a pass over the whole buffer afterwards.
    fn elementwise(&mut self) -> Option<&mut dyn Elementwise<T>> {
        None
    }
}

/// An update that treats every parameter on its own, so a step can be applied range by range.
/// One step is [`Self::begin_step`] then [`Self::update`] on ranges that cover each parameter
/// exactly once, in any order: the same bits as one update of the whole buffer.
pub trait Elementwise<T: Float>: Send {
    /// Starts a step (advances the step count of rules that have one).
    fn begin_step(&mut self);

    /// Updates `params`, the parameters `offset..offset + params.len()`, from `grad`, their
    /// gradient, on up to `parts` threads of the current rayon pool.
    fn update(&mut self, offset: usize, params: &mut [T], grad: &[T], parts: usize);
}

/// `f(p, a, b, g)` on `parts` equal chunks of equal-length slices (`b` may be empty), on a
/// binary tree of `rayon::join` (jobs on the stack: nothing is allocated).
fn in_chunks<T: Float>(parts: usize, p: &mut [T], a: &mut [T], b: &mut [T], g: &[T], f: &(impl Fn(&mut [T], &mut [T], &mut [T], &[T]) + Sync)) {
    if parts <= 1 || p.len() < 2 {
        return f(p, a, b, g);
    }
    let left = parts / 2;
    let at = p.len() * left / parts;
    let (p0, p1) = p.split_at_mut(at);
    let (a0, a1) = a.split_at_mut(at);
    let (b0, b1) = b.split_at_mut(at.min(b.len()));
    let (g0, g1) = g.split_at(at);
    rayon::join(|| in_chunks(left, p0, a0, b0, g0, f), || in_chunks(parts - left, p1, a1, b1, g1, f));
}

fn check_rate(name: &'static str, v: f64) -> Result<(), NnError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(NnError::InvalidParameter { name, value: v, requirement: "finite and positive" })
    }
}

fn check_fraction(name: &'static str, v: f64) -> Result<(), NnError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(NnError::InvalidParameter { name, value: v, requirement: "in [0, 1)" })
    }
}

/// Stochastic gradient descent with (heavy-ball) momentum, in the form of PyTorch:
/// `v ← μ v + g`, `θ ← θ − η v` (`v₀ = 0`; `μ = 0` is plain SGD).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdOptions {
    /// `η`; default 0.01.
    pub learning_rate: f64,
    /// `μ ∈ [0, 1)`; default 0.9.
    pub momentum: f64,
}

impl Default for SgdOptions {
    fn default() -> Self {
        Self { learning_rate: 0.01, momentum: 0.9 }
    }
}

pub struct Sgd<T> {
    options: SgdOptions,
    velocity: Vec<T>,
}

impl<T: Float> Sgd<T> {
    pub fn new(spec: &Spec, options: SgdOptions) -> Result<Self, NnError> {
        check_rate("learning_rate", options.learning_rate)?;
        check_fraction("momentum", options.momentum)?;
        Ok(Self { options, velocity: vec![T::ZERO; spec.num_params()] })
    }
}

impl<T: Float> Optimiser<T> for Sgd<T> {
    fn elementwise(&mut self) -> Option<&mut dyn Elementwise<T>> {
        Some(self)
    }
}

impl<T: Float> Elementwise<T> for Sgd<T> {
    fn begin_step(&mut self) {}

    fn update(&mut self, offset: usize, params: &mut [T], grad: &[T], parts: usize) {
        let eta = T::from_f64(self.options.learning_rate);
        let mu = T::from_f64(self.options.momentum);
        let velocity = &mut self.velocity[offset..offset + params.len()];
        in_chunks(parts, params, velocity, &mut [], grad, &|params, v, _, grad| {
            dispatch(
                #[inline(always)]
                || {
                    for ((p, v), &g) in params.iter_mut().zip(v.iter_mut()).zip(grad) {
                        *v = mu * *v + g;
                        *p -= eta * *v;
                    }
                },
            )
        })
    }
}

/// Adam (Kingma & Ba 2015, Algorithm 1): `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `θ ← θ − α m̂/(√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`
/// at step `t = 1, 2, …`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamOptions {
    /// `α`; default 0.001.
    pub learning_rate: f64,
    /// `β₁`; default 0.9.
    pub beta1: f64,
    /// `β₂`; default 0.999.
    pub beta2: f64,
    /// `ε`; default 1e-8.
    pub epsilon: f64,
}

impl Default for AdamOptions {
    fn default() -> Self {
        Self { learning_rate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }
    }
}

pub struct Adam<T> {
    options: AdamOptions,
    t: i32,
    m: Vec<T>,
    v: Vec<T>,
}

impl<T: Float> Adam<T> {
    pub fn new(spec: &Spec, options: AdamOptions) -> Result<Self, NnError> {
        check_rate("learning_rate", options.learning_rate)?;
        check_rate("epsilon", options.epsilon)?;
        check_fraction("beta1", options.beta1)?;
        check_fraction("beta2", options.beta2)?;
        Ok(Self { options, t: 0, m: vec![T::ZERO; spec.num_params()], v: vec![T::ZERO; spec.num_params()] })
    }
}

impl<T: Float> Optimiser<T> for Adam<T> {
    fn elementwise(&mut self) -> Option<&mut dyn Elementwise<T>> {
        Some(self)
    }
}

impl<T: Float> Elementwise<T> for Adam<T> {
    fn begin_step(&mut self) {
        self.t = self.t.saturating_add(1);
    }

    fn update(&mut self, offset: usize, params: &mut [T], grad: &[T], parts: usize) {
        let o = self.options;
        // θ − α m̂/(√v̂ + ε) = θ − (α/c₁) m/(√v/√c₂ + ε), c = 1 − βᵗ.
        let step = T::from_f64(o.learning_rate / (1.0 - o.beta1.powi(self.t)));
        let inv_sqrt_c2 = T::from_f64(1.0 / (1.0 - o.beta2.powi(self.t)).sqrt());
        let (b1, b2, eps) = (T::from_f64(o.beta1), T::from_f64(o.beta2), T::from_f64(o.epsilon));
        let (c1, c2) = (T::from_f64(1.0 - o.beta1), T::from_f64(1.0 - o.beta2));
        let range = offset..offset + params.len();
        in_chunks(parts, params, &mut self.m[range.clone()], &mut self.v[range], grad, &|params, m, v, grad| {
            dispatch(
                #[inline(always)]
                || {
                    for (((p, m), v), &g) in params.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(grad) {
                        *m = b1 * *m + c1 * g;
                        *v = b2 * *v + c2 * g * g;
                        *p -= step * *m / (v.sqrt() * inv_sqrt_c2 + eps);
                    }
                },
            )
        })
    }
}

/// Path-SGD (Neyshabur, Salakhutdinov & Srebro 2015): `w ← w − η g / κ(w)` for every weight
/// and bias, with the path-norm scaling `κ` of [`PathNorm`] recomputed from the current
/// weights at every step (two sweeps of matrix-vector products over `|W|^p`). Biases are
/// edges from an always-on unit, as in the paper's code. No momentum and no global `ratio`
/// (see [`super::path_norm`] for the decisions against the reference code).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PathSgdOptions {
    /// `η`; default 0.01 (the reference code's SGD learning rate).
    pub learning_rate: f64,
    /// The path norm's exponent `p ≥ 1` (finite); default 2, the paper's choice.
    pub p: f64,
}

impl Default for PathSgdOptions {
    fn default() -> Self {
        Self { learning_rate: 0.01, p: 2.0 }
    }
}

pub struct PathSgd<T> {
    eta: T,
    norm: PathNorm<T>,
}

impl<T: Float> PathSgd<T> {
    pub fn new(spec: &Spec, options: PathSgdOptions) -> Result<Self, NnError> {
        check_rate("learning_rate", options.learning_rate)?;
        if !(options.p >= 1.0 && options.p.is_finite()) {
            return Err(NnError::InvalidParameter { name: "p", value: options.p, requirement: "finite and at least 1" });
        }
        let widths: Vec<usize> = core::iter::once(spec.inputs()).chain(spec.layers().iter().map(|d| d.outputs)).collect();
        let norm = PathNorm::new(&widths, options.p, Par::Seq).expect("a validated spec has non-zero widths");
        Ok(Self { eta: T::from_f64(options.learning_rate), norm })
    }
}

impl<T: Float> Optimiser<T> for PathSgd<T> {
    fn step(&mut self, spec: &Spec, params: &mut [T], grad: &[T]) {
        self.norm.step_buffer(spec, params, grad, self.eta);
    }
}
