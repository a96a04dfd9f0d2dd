//! The two precisions of the network engine and of the path-norm and f-divergence routines.

use faer::traits::RealField;

/// A parameter and activation scalar: `f32` or `f64`.
///
/// Products go through faer in this type; elementwise work is done in it too, except the
/// transcendental activations and the loss, which are evaluated in `f64` (so that the `f32`
/// engine rounds a nearly correctly rounded value once).
pub trait Float:
    RealField + Copy + Send + Sync + PartialOrd + core::fmt::Debug + core::ops::Neg<Output = Self> + 'static
{
    /// Name used in messages and docs.
    const NAME: &'static str;
    /// Precision code of the parameter file format: 1 = `f32`, 2 = `f64`.
    const DTYPE: u32;
    /// Bytes per value.
    const BYTES: usize;
    const ZERO: Self;
    const ONE: Self;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn sqrt(self) -> Self;
    fn is_finite(self) -> bool;
    /// Appends the little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
    /// Reads from the first [`Self::BYTES`] little-endian bytes.
    fn get_le(b: &[u8]) -> Self;
    /// The smallest positive normal number.
    const MIN_POSITIVE: Self;
    fn fabs(self) -> Self;
    fn powf(self, e: Self) -> Self;
}

macro_rules! float {
    ($t:ty, $name:literal, $code:literal) => {
        impl Float for $t {
            const NAME: &'static str = $name;
            const DTYPE: u32 = $code;
            const BYTES: usize = core::mem::size_of::<$t>();
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(b: &[u8]) -> Self {
                <$t>::from_le_bytes(b[..Self::BYTES].try_into().expect("enough bytes"))
            }
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;
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
float!(f32, "f32", 1);
float!(f64, "f64", 2);
