//! The two storage precisions of the ball operations.
//!
//! Every kernel computes in `f64` (with compensated reductions where cancellation matters);
//! `f32` data is widened on load and rounded on store. What differs per precision is only how
//! far inside the boundary a computed point must be pulled so that, once rounded to the storage
//! type, it still lies strictly inside the ball.

/// A storage scalar of the ball operations: `f32` or `f64`.
pub trait Real: Copy + Send + Sync + PartialEq + core::fmt::Debug + 'static {
    /// Relative boundary margin: computed points are kept at `‖x‖ ≤ (1 − MARGIN)/√c`.
    ///
    /// `f64`: `1e-15` (about 4.5 ulp of 1, so the largest distance from the origin is
    /// `ln(2/1e-15)/√c ≈ 35.2/√c`). `f32`: `2^-21 ≈ 4.8e-7` (four ulp of 1, distance cap
    /// `≈ 15.2/√c`). geoopt uses 1e-5 and 4e-3 (caps 12.2/√c and 6.2/√c).
    const MARGIN: f64;
    /// Name used in messages and docs.
    const NAME: &'static str;
    /// Whether `Self` is `f64` (rows can then be used in place).
    const IS_F64: bool;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    /// The view itself when the storage is already `f64`.
    fn as_f64_ref(m: faer::MatRef<'_, Self>) -> Option<faer::MatRef<'_, f64>>;
    /// The view itself when the storage is already `f64`.
    fn as_f64_mut(m: faer::MatMut<'_, Self>) -> Option<faer::MatMut<'_, f64>>;
}

impl Real for f64 {
    const MARGIN: f64 = 1e-15;
    const NAME: &'static str = "f64";
    const IS_F64: bool = true;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    fn as_f64_ref(m: faer::MatRef<'_, Self>) -> Option<faer::MatRef<'_, f64>> {
        Some(m)
    }
    fn as_f64_mut(m: faer::MatMut<'_, Self>) -> Option<faer::MatMut<'_, f64>> {
        Some(m)
    }
}

impl Real for f32 {
    const MARGIN: f64 = 4.76837158203125e-7; // 2^-21
    const NAME: &'static str = "f32";
    const IS_F64: bool = false;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn as_f64_ref(_: faer::MatRef<'_, Self>) -> Option<faer::MatRef<'_, f64>> {
        None
    }
    fn as_f64_mut(_: faer::MatMut<'_, Self>) -> Option<faer::MatMut<'_, f64>> {
        None
    }
}
