//! f-divergences as variational objectives (Nowozin, Cseke, Tomioka 2016, "f-GAN: training
//! generative neural samplers using variational divergence minimization", Tables 1–2).
//!
//! `D_f(P‖Q) = ∫ q(x) f(p(x)/q(x)) dx` for a convex generator `f`, and for any function `T`
//! with values in the domain of the convex conjugate `f*(t) = sup_u (tu − f(u))`,
//!
//! ```text
//! D_f(P‖Q) ≥ E_P[T(x)] − E_Q[f*(T(x))],   with equality at T(x) = f′(p(x)/q(x)).
//! ```
//!
//! A network gives a raw output `V(x) ∈ ℝ` and `T = g_f(V)` with the output activation `g_f`
//! of the paper's Table 2 mapping `ℝ` into `dom f*`. The objective of a batch is
//! `F = mean_P g_f(V) − mean_Q f*(g_f(V))` ([`objective`], [`objective_grad`]): the
//! variational function ascends it, the sampler descends it.
//!
//! | divergence | `f(u)` | `g_f(v)` | `dom f*` | `f*(t)` | `f*(g_f(v))` |
//! |---|---|---|---|---|---|
//! | Kullback–Leibler | `u ln u` | `v` | `ℝ` | `e^{t−1}` | `e^{v−1}` |
//! | reverse KL | `−ln u` | `−e^{−v}` | `t < 0` | `−1 − ln(−t)` | `v − 1` |
//! | Pearson χ² | `(u − 1)²` | `v` | `ℝ` | `t²/4 + t` | `v²/4 + v` |
//! | Neyman χ² | `(1 − u)²/u` | `1 − e^{−v}` | `t < 1` | `2 − 2√(1 − t)` | `2 − 2e^{−v/2}` |
//! | squared Hellinger | `(√u − 1)²` | `1 − e^{−v}` | `t < 1` | `t/(1 − t)` | `e^{v} − 1` |
//! | Jensen–Shannon | `u ln u − (u + 1) ln((u + 1)/2)` | `ln 2 − softplus(−v)` | `t < ln 2` | `−ln(2 − e^t)` | `softplus(v) − ln 2` |
//! | GAN | `u ln u − (u + 1) ln(u + 1)` | `−softplus(−v)` | `t < 0` | `−ln(1 − e^t)` | `softplus(v)` |
//!
//! The right-hand column is evaluated in that fused form (with `expm1`, `ln_1p` and
//! `softplus(x) = max(x, 0) + ln(1 + e^{−|x|})`), never as `f*` of a rounded `g_f(v)`: nothing
//! overflows or cancels where the true value is finite. All kernels compute in `f64` whatever
//! the storage type. Pearson's conjugate is that of `(u − 1)²` on all of `ℝ` (as in the paper);
//! every other generator is taken on `u > 0`. Both kernels start with `vzeroupper` (see
//! [`crate::simd::clear_upper_state`]): they call libm in a loop, typically right after
//! a faer matrix product. For every row but GAN `f(1) = 0`; GAN's
//! `f(1) = −ln 4` (it is `2·JS − ln 4`), so its objective at `P = Q` is `−ln 4`, not 0.

use crate::simd::clear_upper_state;
use super::Float;
use core::f64::consts::LN_2;
use faer::{ColMut, ColRef};

/// The f-divergences of the f-GAN paper's Table 2 with a closed-form conjugate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Divergence {
    KullbackLeibler,
    ReverseKl,
    Pearson,
    Neyman,
    SquaredHellinger,
    JensenShannon,
    Gan,
}

/// What can be wrong with the input of an f-divergence objective.
#[derive(Debug, Clone, PartialEq)]
pub enum FdivError {
    /// A batch (`"v_p"` or `"v_q"`) has no sample.
    EmptyBatch { what: &'static str },
    /// A gradient output whose length differs from its batch.
    LengthMismatch { what: &'static str, expected: usize, got: usize },
}

impl core::fmt::Display for FdivError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::EmptyBatch { what } => write!(f, "batch `{what}` is empty"),
            Self::LengthMismatch { what, expected, got } => {
                write!(f, "`{what}` has length {got}, expected {expected}")
            }
        }
    }
}

impl std::error::Error for FdivError {}

/// `ln(1 + e^x)` without overflow or loss of small values.
#[inline(always)]
pub(crate) fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The logistic function `1/(1 + e^{−x})`, accurate in both tails.
#[inline(always)]
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `u ln u` with its limit 0 at `u = 0`.
fn xlogx(u: f64) -> f64 {
    if u == 0.0 {
        0.0
    } else {
        u * u.ln()
    }
}

impl Divergence {
    /// Every divergence, in the order of the table.
    pub const ALL: [Self; 7] = [
        Self::KullbackLeibler,
        Self::ReverseKl,
        Self::Pearson,
        Self::Neyman,
        Self::SquaredHellinger,
        Self::JensenShannon,
        Self::Gan,
    ];

    /// A short name (`"kl"`, `"reverse-kl"`, `"pearson"`, `"neyman"`, `"hellinger"`, `"js"`, `"gan"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::KullbackLeibler => "kl",
            Self::ReverseKl => "reverse-kl",
            Self::Pearson => "pearson",
            Self::Neyman => "neyman",
            Self::SquaredHellinger => "hellinger",
            Self::JensenShannon => "js",
            Self::Gan => "gan",
        }
    }

    /// The generator `f(u)` (`u ≥ 0`; any real `u` for Pearson).
    pub fn generator(self, u: f64) -> f64 {
        match self {
            Self::KullbackLeibler => xlogx(u),
            Self::ReverseKl => -u.ln(),
            Self::Pearson => (u - 1.0) * (u - 1.0),
            Self::Neyman => (1.0 - u) * (1.0 - u) / u,
            Self::SquaredHellinger => (u.sqrt() - 1.0) * (u.sqrt() - 1.0),
            Self::JensenShannon => xlogx(u) - (u + 1.0) * ((u + 1.0) / 2.0).ln(),
            Self::Gan => xlogx(u) - xlogx(u + 1.0),
        }
    }

    /// `f′(u)`, the optimal variational function at density ratio `u = p/q`.
    pub fn generator_derivative(self, u: f64) -> f64 {
        match self {
            Self::KullbackLeibler => u.ln() + 1.0,
            Self::ReverseKl => -1.0 / u,
            Self::Pearson => 2.0 * (u - 1.0),
            Self::Neyman => 1.0 - 1.0 / (u * u),
            Self::SquaredHellinger => 1.0 - 1.0 / u.sqrt(),
            Self::JensenShannon => (2.0 * u / (u + 1.0)).ln(),
            Self::Gan => (u / (u + 1.0)).ln(),
        }
    }

    /// The supremum of `dom f*` (`+∞` when it is all of `ℝ`); the domain is the open
    /// interval below it.
    pub fn conjugate_domain_sup(self) -> f64 {
        match self {
            Self::KullbackLeibler | Self::Pearson => f64::INFINITY,
            Self::ReverseKl | Self::Gan => 0.0,
            Self::Neyman | Self::SquaredHellinger => 1.0,
            Self::JensenShannon => LN_2,
        }
    }

    /// The conjugate `f*(t)`; `+∞` outside its domain.
    pub fn conjugate(self, t: f64) -> f64 {
        if t >= self.conjugate_domain_sup() {
            return f64::INFINITY;
        }
        match self {
            Self::KullbackLeibler => (t - 1.0).exp(),
            Self::ReverseKl => -1.0 - (-t).ln(),
            Self::Pearson => t * t / 4.0 + t,
            Self::Neyman => 2.0 - 2.0 * (1.0 - t).sqrt(),
            Self::SquaredHellinger => t / (1.0 - t),
            Self::JensenShannon => -(2.0 - t.exp()).ln(),
            Self::Gan => -(-t.exp_m1()).ln(),
        }
    }

    /// The output activation `g_f(v)`, mapping `ℝ` into `dom f*`.
    #[inline(always)]
    pub fn activation(self, v: f64) -> f64 {
        match self {
            Self::KullbackLeibler | Self::Pearson => v,
            Self::ReverseKl => -(-v).exp(),
            Self::Neyman | Self::SquaredHellinger => -(-v).exp_m1(),
            Self::JensenShannon => LN_2 - softplus(-v),
            Self::Gan => -softplus(-v),
        }
    }

    /// `g_f′(v)`.
    #[inline(always)]
    pub fn activation_derivative(self, v: f64) -> f64 {
        match self {
            Self::KullbackLeibler | Self::Pearson => 1.0,
            Self::ReverseKl | Self::Neyman | Self::SquaredHellinger => (-v).exp(),
            Self::JensenShannon | Self::Gan => sigmoid(-v),
        }
    }

    /// `f*(g_f(v))` in its fused, stable form.
    #[inline(always)]
    pub fn conjugate_of_activation(self, v: f64) -> f64 {
        match self {
            Self::KullbackLeibler => (v - 1.0).exp(),
            Self::ReverseKl => v - 1.0,
            Self::Pearson => v * (v / 4.0 + 1.0),
            Self::Neyman => -2.0 * (-v / 2.0).exp_m1(),
            Self::SquaredHellinger => v.exp_m1(),
            Self::JensenShannon => softplus(v) - LN_2,
            Self::Gan => softplus(v),
        }
    }

    /// `d/dv f*(g_f(v))`.
    #[inline(always)]
    pub fn conjugate_of_activation_derivative(self, v: f64) -> f64 {
        match self {
            Self::KullbackLeibler => (v - 1.0).exp(),
            Self::ReverseKl => 1.0,
            Self::Pearson => v / 2.0 + 1.0,
            Self::Neyman => (-v / 2.0).exp(),
            Self::SquaredHellinger => v.exp(),
            Self::JensenShannon | Self::Gan => sigmoid(v),
        }
    }
}

fn check_batches<T>(v_p: ColRef<'_, T>, v_q: ColRef<'_, T>) -> Result<(), FdivError> {
    if v_p.nrows() == 0 {
        return Err(FdivError::EmptyBatch { what: "v_p" });
    }
    if v_q.nrows() == 0 {
        return Err(FdivError::EmptyBatch { what: "v_q" });
    }
    Ok(())
}

fn mean<T: Float>(v: ColRef<'_, T>, term: impl Fn(f64) -> f64) -> f64 {
    v.iter().map(|x| term(x.to_f64())).sum::<f64>() * (1.0 / v.nrows() as f64)
}

/// `F = mean_P g_f(V) − mean_Q f*(g_f(V))` of raw outputs `v_p` on samples of `P` and `v_q`
/// on samples of `Q`.
pub fn objective<T: Float>(div: Divergence, v_p: ColRef<'_, T>, v_q: ColRef<'_, T>) -> Result<f64, FdivError> {
    check_batches(v_p, v_q)?;
    clear_upper_state();
    Ok(mean(v_p, |v| div.activation(v)) - mean(v_q, |v| div.conjugate_of_activation(v)))
}

/// [`objective`] and its gradient: `grad_p[i] = ∂F/∂v_p[i] = g_f′(v_p[i])/n_P` and
/// `grad_q[j] = ∂F/∂v_q[j] = −(f*∘g_f)′(v_q[j])/n_Q`.
pub fn objective_grad<T: Float>(
    div: Divergence,
    v_p: ColRef<'_, T>,
    v_q: ColRef<'_, T>,
    mut grad_p: ColMut<'_, T>,
    mut grad_q: ColMut<'_, T>,
) -> Result<f64, FdivError> {
    check_batches(v_p, v_q)?;
    for (what, expected, got) in [("grad_p", v_p.nrows(), grad_p.nrows()), ("grad_q", v_q.nrows(), grad_q.nrows())] {
        if expected != got {
            return Err(FdivError::LengthMismatch { what, expected, got });
        }
    }
    clear_upper_state();
    let (wp, wq) = (1.0 / v_p.nrows() as f64, 1.0 / v_q.nrows() as f64);
    let mut sum_p = 0.0;
    for i in 0..v_p.nrows() {
        let v = v_p[i].to_f64();
        sum_p += div.activation(v);
        grad_p[i] = T::from_f64(wp * div.activation_derivative(v));
    }
    let mut sum_q = 0.0;
    for j in 0..v_q.nrows() {
        let v = v_q[j].to_f64();
        sum_q += div.conjugate_of_activation(v);
        grad_q[j] = T::from_f64(-wq * div.conjugate_of_activation_derivative(v));
    }
    Ok(sum_p * wp - sum_q * wq)
}
