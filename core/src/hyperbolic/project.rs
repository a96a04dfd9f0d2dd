//! Projection onto the ball `‖x‖ ≤ max_norm::<T>()` and its vector-Jacobian product.
//!
//! `project(x) = x` when `‖x‖ ≤ m`, else `(m/‖x‖) x`, with `‖x‖` free of overflow for any
//! finite `x`. Outside, the Jacobian is `(m/‖x‖)(I − x̂x̂ᵀ)`.

use super::ball::{HyperbolicError, PoincareBall};
use super::batch::{map_vectors, VectorKernel};
use super::vectors::{Vectors, VectorsMut};
use super::lane::{Lane, TileLane};
use super::primitives::{norm, scaled};
use super::real::Real;
use super::shape::assert_width;
use faer::{MatMut, MatRef, Par};

/// `out ← project(x)` for one point or tile, onto norm at most `m`.
#[inline(always)]
pub(super) fn project<S: Lane, A: Vectors<S>>(x: A, m: f64, out: impl VectorsMut<S, A>) {
    let n = norm(x);
    let m = S::splat(m);
    scaled(S::select(m.lt(n), m / n, S::splat(1.0)), x, out);
}

/// Writes the gradient of `⟨g, project(x)⟩` to `gx`.
#[inline(always)]
pub(super) fn project_vjp<S: Lane, A: Vectors<S>>(x: A, m: f64, g: A, gx: impl VectorsMut<S, A>) {
    let n = norm(x);
    let outside = S::splat(m).lt(n);
    if !S::any(outside) {
        gx.set([], [g], #[inline(always)] |[], [g]| g);
        return;
    }
    // ⟨g, x̂⟩ with x̂ formed first, so that huge x do not overflow.
    let inv = S::splat(1.0) / S::select(outside, n, S::splat(1.0));
    let g_xhat = g.reduce2(x, [inv], #[inline(always)] |[inv], gi, xi, acc| gi.mul_add(xi * inv, acc));
    let k = S::select(outside, S::splat(m) * inv, S::splat(1.0));
    let g_xhat = S::select(outside, g_xhat, S::splat(0.0));
    gx.set([k, g_xhat, inv], [g, x], #[inline(always)] |[k, gx, inv], [g, x]| k * gx.mul_add(-(x * inv), g));
}

impl PoincareBall {
    /// Pulls every row of `x` (any finite vector) to norm at most `max_norm::<T>()`; rows
    /// already inside are copied unchanged.
    pub fn project<T: Real>(&self, x: MatRef<'_, T>, out: MatMut<'_, T>, par: Par) -> Result<(), HyperbolicError> {
        assert_width(x.ncols(), &[("out", out.ncols())]);
        self.check_finite("x", x)?;
        let m = self.max_norm::<T>();
        map_vectors([x], [out], par, ProjectTiles { m });
        Ok(())
    }

    /// Gradient of `Σᵢ ⟨gᵢ, project(xᵢ)⟩` with respect to `x`.
    pub fn project_vjp<T: Real>(
        &self,
        x: MatRef<'_, T>,
        grad: MatRef<'_, T>,
        grad_x: MatMut<'_, T>,
        par: Par,
    ) -> Result<(), HyperbolicError> {
        assert_width(x.ncols(), &[("grad", grad.ncols()), ("grad_x", grad_x.ncols())]);
        self.check_finite("x", x)?;
        self.check_finite("grad", grad)?;
        let m = self.max_norm::<T>();
        map_vectors([x, grad], [grad_x], par, ProjectVjpTiles { m });
        Ok(())
    }
}

struct ProjectTiles {
    m: f64,
}

impl VectorKernel<1, 1> for ProjectTiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [x]: [A; 1], [out]: [O; 1]) {
        project(x, self.m, out);
    }
}

struct ProjectVjpTiles {
    m: f64,
}

impl VectorKernel<2, 1> for ProjectVjpTiles {
    #[inline(always)]
    fn run<S: TileLane, A: Vectors<S>, O: VectorsMut<S, A>>(&self, [x, g]: [A; 2], [gx]: [O; 1]) {
        let &Self { m } = self;
        project_vjp(x, m, g, gx);
    }
}
