//! The two storage precisions of the path-norm and f-divergence routines.

/// A storage scalar: `f32` or `f64`. The path-norm sweeps run in the storage type (they are
/// matrix-vector products through faer); the f-divergence kernels widen to `f64`.
pub trait Float: faer::traits::RealField + Copy + Send + Sync + core::fmt::Debug + 'static {
    /// The smallest positive normal number.
    const MIN_POSITIVE: Self;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn fabs(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

macro_rules! float_impl {
    ($t:ty) => {
        impl Float for $t {
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn fabs(self) -> Self {
                self.abs()
            }
            #[inline(always)]
            fn powf(self, e: Self) -> Self {
                <$t>::powf(self, e)
            }
        }
    };
}

float_impl!(f32);
float_impl!(f64);
