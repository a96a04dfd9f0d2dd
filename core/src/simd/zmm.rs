//! [`Z`]: eight `f64` lanes as one AVX-512 register, for kernels run under
//! [`Isa::Avx512`](super::Isa::Avx512).
//!
//! [`V`](super::lane::V) is an array that LLVM's SLP vectorizer turns into vector
//! instructions, and it does so unreliably (whole kernels end up in two- and four-lane pieces
//! joined by shuffles). `Z` spells every operation as the AVX-512 intrinsic, so the kernel is
//! one `zmm` instruction per operation whatever the optimiser decides. It has the layout of
//! `V`, so a tile of `V` is read as a tile of `Z` in place ([`TileLane`]).
//!
//! Its methods are `#[inline(always)]` and call AVX-512 F/DQ intrinsics: they may only run on
//! a CPU that has those features, which is what the `unsafe` blocks below rely on. The type is
//! private to the crate, and [`dispatch_lanes`](super::dispatch_lanes) is the one place that
//! runs code on it, after detecting the features and inside a function compiled for them.

use super::lane::{fast_two_sum, two_sum, vertical_reduce2, Lane, TileLane, MAGIC, V, W};
use core::arch::x86_64::*;
use core::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// Eight `f64` lanes in one `zmm` register.
#[derive(Clone, Copy, Debug)]
#[repr(transparent)]
pub struct Z(pub __m512d);

// `Z` and `V` are both 64 bytes, 64-byte aligned, eight `f64` in lane order.
const _: () = assert!(core::mem::size_of::<Z>() == core::mem::size_of::<V>());
const _: () = assert!(core::mem::align_of::<Z>() == core::mem::align_of::<V>());

impl TileLane for Z {
    #[inline(always)]
    fn tile(v: &[V]) -> &[Z] {
        // SAFETY: same size, alignment and bit validity (any bits are a valid `f64`).
        unsafe { core::slice::from_raw_parts(v.as_ptr().cast(), v.len()) }
    }
    #[inline(always)]
    fn tile_mut(v: &mut [V]) -> &mut [Z] {
        // SAFETY: as for `tile`, and the borrow is unique.
        unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), v.len()) }
    }
    #[inline(always)]
    fn to_array(self) -> [f64; W] {
        // SAFETY: `__m512d` is eight `f64` in lane order.
        unsafe { core::mem::transmute::<__m512d, [f64; W]>(self.0) }
    }
}

/// Integer lanes of a `Z` (the exponent-bit operations).
#[inline(always)]
fn bits(a: Z) -> __m512i {
    // SAFETY: AVX-512 F is present wherever `Z` runs (module docs).
    unsafe { _mm512_castpd_si512(a.0) }
}

#[inline(always)]
fn from_bits(a: __m512i) -> Z {
    // SAFETY: as for `bits`.
    Z(unsafe { _mm512_castsi512_pd(a) })
}

#[inline(always)]
fn splat_bits(b: u64) -> __m512i {
    // SAFETY: as for `bits`.
    unsafe { _mm512_set1_epi64(b as i64) }
}

macro_rules! binary {
    ($($tr:ident $f:ident $atr:ident $af:ident $intr:ident),*) => {$(
        impl $tr for Z {
            type Output = Z;
            #[inline(always)]
            fn $f(self, o: Z) -> Z {
                // SAFETY: AVX-512 F is present wherever `Z` runs (module docs).
                Z(unsafe { $intr(self.0, o.0) })
            }
        }
        impl $atr for Z {
            #[inline(always)]
            fn $af(&mut self, o: Z) {
                *self = $tr::$f(*self, o);
            }
        }
    )*};
}
binary!(
    Add add AddAssign add_assign _mm512_add_pd,
    Sub sub SubAssign sub_assign _mm512_sub_pd,
    Mul mul MulAssign mul_assign _mm512_mul_pd
);

impl Div for Z {
    type Output = Z;
    #[inline(always)]
    fn div(self, o: Z) -> Z {
        // SAFETY: as above.
        Z(unsafe { _mm512_div_pd(self.0, o.0) })
    }
}

impl Neg for Z {
    type Output = Z;
    #[inline(always)]
    fn neg(self) -> Z {
        from_bits(
            // SAFETY: as above.
            unsafe { _mm512_xor_si512(bits(self), splat_bits(1 << 63)) },
        )
    }
}

/// `_mm512_cmp_pd_mask` with predicate `P`.
#[inline(always)]
fn cmp<const P: i32>(a: Z, b: Z) -> __mmask8 {
    // SAFETY: as above.
    unsafe { _mm512_cmp_pd_mask::<P>(a.0, b.0) }
}

impl Lane for Z {
    type Mask = __mmask8;
    #[inline(always)]
    fn splat(v: f64) -> Self {
        // SAFETY: as above.
        Z(unsafe { _mm512_set1_pd(v) })
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        // SAFETY: as above.
        Z(unsafe { _mm512_fmadd_pd(self.0, a.0, b.0) })
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        // SAFETY: as above.
        Z(unsafe { _mm512_sqrt_pd(self.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: as above.
        from_bits(unsafe { _mm512_and_si512(bits(self), splat_bits(!(1 << 63))) })
    }
    /// `self > o ? self : o` per lane, as [`V::max`](Lane::max) (and `vmaxpd`).
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: as above.
        Z(unsafe { _mm512_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn copysign(self, s: Self) -> Self {
        let sign = splat_bits(1 << 63);
        // SAFETY: as above. 0xCA = sign ? s : self, bit by bit (operands a, b, c: bit 4a + 2b + c of 0xCA).
        from_bits(unsafe { _mm512_ternarylogic_epi64::<0xCA>(sign, bits(s), bits(self)) })
    }
    #[inline(always)]
    fn lt(self, o: Self) -> __mmask8 {
        cmp::<_CMP_LT_OQ>(self, o)
    }
    #[inline(always)]
    fn le(self, o: Self) -> __mmask8 {
        cmp::<_CMP_LE_OQ>(self, o)
    }
    #[inline(always)]
    fn eq(self, o: Self) -> __mmask8 {
        cmp::<_CMP_EQ_OQ>(self, o)
    }
    #[inline(always)]
    fn is_finite(self) -> __mmask8 {
        self.abs().lt(Z::splat(f64::INFINITY))
    }
    #[inline(always)]
    fn and(a: __mmask8, b: __mmask8) -> __mmask8 {
        a & b
    }
    #[inline(always)]
    fn not(a: __mmask8) -> __mmask8 {
        !a
    }
    #[inline(always)]
    fn any(m: __mmask8) -> bool {
        m != 0
    }
    #[inline(always)]
    fn select(m: __mmask8, a: Self, b: Self) -> Self {
        // SAFETY: as above. The blend takes its second operand where the mask is set.
        Z(unsafe { _mm512_mask_blend_pd(m, b.0, a.0) })
    }
    #[inline(always)]
    fn pow2i(k: Self) -> Self {
        let magic = Z::splat(MAGIC);
        // SAFETY: as above. Same bit steps as the `f64` lane.
        unsafe {
            let i = _mm512_sub_epi64(bits(k + magic), bits(magic));
            from_bits(_mm512_slli_epi64::<52>(_mm512_add_epi64(i, splat_bits(1023))))
        }
    }
    #[inline(always)]
    fn split_sqrt2(self) -> (Self, Self) {
        let sqrt_half = super::lane::SQRT_HALF_BITS;
        // SAFETY: as above. Same bit steps as the `f64` lane.
        unsafe {
            let u = _mm512_add_epi64(bits(self), splat_bits(0x3ff0_0000_0000_0000 - sqrt_half));
            let m = _mm512_add_epi64(_mm512_and_si512(u, splat_bits(0x000f_ffff_ffff_ffff)), splat_bits(sqrt_half));
            let k = _mm512_sub_epi64(_mm512_srli_epi64::<52>(u), splat_bits(1023));
            let k = from_bits(_mm512_add_epi64(bits(Z::splat(MAGIC)), k)) - Z::splat(MAGIC);
            (from_bits(m), k)
        }
    }
    #[inline(always)]
    fn reduce2(a: &[Z], b: &[Z], term: impl Fn(Z, Z, Z) -> Z) -> Z {
        vertical_reduce2(a, b, term)
    }
    /// The terms of [`vertical_dot2`](super::lane::vertical_dot2) in the same order (so the same bits), in one loop: on
    /// `Z` nothing is left to the SLP vectorizer, and the fused loop is faster (in cache,
    /// `gyration` 26 M/s against 17 with the two loops, `mobius_add` +7%).
    #[inline(always)]
    fn dot2(a: &[Z], b: &[Z]) -> (Z, Z) {
        debug_assert_eq!(a.len(), b.len());
        let mut errors = Z::splat(0.0);
        let (mut hi, mut lo) = (Z::splat(0.0), Z::splat(0.0));
        for (x, y) in a.iter().zip(b) {
            let p = *x * *y;
            errors += x.mul_add(*y, -p);
            let (s, e) = two_sum(hi, p);
            hi = s;
            lo += e;
        }
        fast_two_sum(hi, lo + errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Edge values in every lane position: signed zeros, subnormals, infinities, NaN, values
    /// around the exponent-bit steps.
    fn samples() -> Vec<[f64; W]> {
        let edge = [
            0.0, -0.0, 1.0, -1.0, 0.5, 1.5, f64::MIN_POSITIVE, 4e-320, -4e-320, f64::MAX, -f64::MAX, f64::INFINITY,
            f64::NEG_INFINITY, f64::NAN, -f64::NAN, core::f64::consts::SQRT_2, core::f64::consts::FRAC_1_SQRT_2, 3.7e-200,
            -2.5e150, 1e-8, 123.0, -1022.0, 1023.0, 7.0,
        ];
        (0..edge.len()).map(|r| core::array::from_fn(|l| edge[(r * 5 + l * 3) % edge.len()])).collect()
    }

    fn same(a: [f64; W], b: [f64; W]) -> bool {
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn z_performs_the_operations_of_v() {
        if !crate::simd::Isa::available().any(|i| i == crate::simd::Isa::Avx512) {
            return;
        }
        crate::simd::dispatch_to(crate::simd::Isa::Avx512, || {
            let mask = |m: __mmask8| -> [bool; W] { core::array::from_fn(|l| m >> l & 1 == 1) };
            for a in samples() {
                for b in samples() {
                    let (va, vb) = (V(a), V(b));
                    let (za, zb) = (Z::tile(&[va])[0], Z::tile(&[vb])[0]);
                    let pairs: [(V, Z); 10] = [
                        (va + vb, za + zb),
                        (va - vb, za - zb),
                        (va * vb, za * zb),
                        (va / vb, za / zb),
                        (-va, -za),
                        (va.mul_add(vb, va), za.mul_add(zb, za)),
                        (va.sqrt(), za.sqrt()),
                        (va.abs(), za.abs()),
                        (va.max(vb), za.max(zb)),
                        (va.copysign(vb), za.copysign(zb)),
                    ];
                    for (k, (v, z)) in pairs.into_iter().enumerate() {
                        assert!(same(v.0, z.to_array()), "operation {k} on {a:?}, {b:?}");
                    }
                    assert_eq!(va.lt(vb), mask(za.lt(zb)));
                    assert_eq!(va.le(vb), mask(za.le(zb)));
                    assert_eq!(va.eq(vb), mask(za.eq(zb)));
                    assert_eq!(va.is_finite(), mask(za.is_finite()));
                    let m = va.lt(vb);
                    assert!(same(V::select(m, va, vb).0, Z::select(za.lt(zb), za, zb).to_array()));
                }
                // The exponent-bit operations on their domains.
                let k = V(a.map(|v| if v.is_finite() { v.trunc().clamp(-1022.0, 1023.0) } else { 0.0 }));
                assert!(same(V::pow2i(k).0, Z::pow2i(Z::tile(&[k])[0]).to_array()));
                let pos = V(a.map(|v| if v.is_finite() && v.abs() >= f64::MIN_POSITIVE { v.abs() } else { 1.0 }));
                let (vm, vk) = pos.split_sqrt2();
                let (zm, zk) = Z::tile(&[pos])[0].split_sqrt2();
                assert!(same(vm.0, zm.to_array()) && same(vk.0, zk.to_array()));
            }
            // Reductions over a tile of coordinates.
            let rows: Vec<V> = samples().into_iter().filter(|r| r.iter().all(|v| v.is_finite() && v.abs() < 1e100)).map(V).collect();
            let zs = Z::tile(&rows);
            assert!(same(V::reduce2(&rows, &rows, |x, y, s| x.mul_add(y, s)).0, Z::reduce2(zs, zs, |x, y, s| x.mul_add(y, s)).to_array()));
            let ((vh, vl), (zh, zl)) = (V::dot2(&rows, &rows), Z::dot2(zs, zs));
            assert!(same(vh.0, zh.to_array()) && same(vl.0, zl.to_array()));
        });
    }
}
