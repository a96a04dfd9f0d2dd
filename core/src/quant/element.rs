//! The element types of the quantiser: `f32` and `f64`. A bucket's scale is stored in the
//! input's own type (32 or 64 bits in the stream); probabilities and dequantised values are
//! computed in `f64` for both.

/// `f32` or `f64` (sealed).
pub trait Element: Copy + PartialEq + core::fmt::Debug + Send + Sync + private::Sealed + 'static {
    /// Element type code of the stream header (1: f32, 2: f64).
    const CODE: u8;
    /// `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// Bits of a scale in the stream.
    const BITS: u32;
    const ZERO: Self;
    fn to_f64(self) -> f64;
    /// Rounds to nearest.
    fn from_f64(x: f64) -> Self;
    fn to_bits64(self) -> u64;
    fn from_bits64(bits: u64) -> Self;
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! element {
    ($t:ty, $bits_t:ty, $code:expr, $name:expr, $bits:expr) => {
        impl Element for $t {
            const CODE: u8 = $code;
            const NAME: &'static str = $name;
            const BITS: u32 = $bits;
            const ZERO: Self = 0.0;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_bits64(self) -> u64 {
                self.to_bits() as u64
            }
            #[inline]
            fn from_bits64(bits: u64) -> Self {
                <$t>::from_bits(bits as $bits_t)
            }
        }
    };
}

element!(f32, u32, 1, "f32", 32);
element!(f64, u64, 2, "f64", 64);
