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

/// Clears the upper halves of the vector registers (`vzeroupper`) when the CPU has AVX.
///
/// faer's AVX-512 matrix kernels return with the upper register state dirty; on the Xeon this
/// project is measured on, every glibc `exp`/`expm1`/`log1p`/`tanh` called afterwards on the
/// same thread then runs 20–50 times slower (`exp`: 0.8 M/s instead of 44 M/s; see
/// `benches/src/bin/libm_after_gemm.rs`). Kernels that call libm in a loop call this first.
#[inline]
pub(crate) fn clear_upper_simd_state() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX was just detected; `vzeroupper` only zeroes the upper halves of the
        // vector registers, which hold no live value across this call.
        unsafe { core::arch::x86_64::_mm256_zeroupper() };
    }
}
