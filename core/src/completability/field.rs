//! Arithmetic in the prime field F_p, p = 2²⁴ − 3, with elements held either canonically
//! (`u64` in `0..p`) or as balanced residues in `f64` (integers of magnitude ≤ p/2 + 1).
//!
//! The balanced form is the FFLAS–FFPACK technique for exact linear algebra at floating-point
//! speed: a product of two balanced residues has magnitude below 2⁴⁶, so up to [`DELAY`] of
//! them can be summed (onto a balanced residue) exactly in a double (below 2⁵³) before one
//! reduction. Blocked elimination then runs its trailing updates through faer's `f64` matmul.

/// The modulus, the largest prime below 2²⁴.
pub(crate) const P: u64 = 16_777_213;
const PF: f64 = P as f64;
const P_INV: f64 = 1.0 / PF;
/// How many products of balanced residues may be accumulated before a reduction:
/// `DELAY · (p/2 + 1)² + p/2 + 1 < 2⁵³`.
pub(crate) const DELAY: usize = 64;
/// Adding and subtracting 1.5 · 2⁵² rounds a double of magnitude below 2⁵¹ to an integer.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `a · b mod p` for canonical `a`, `b`.
#[inline]
pub(crate) fn mul(a: u64, b: u64) -> u64 {
    a * b % P
}

/// `a + b mod p` for canonical `a`, `b`.
#[inline]
pub(crate) fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P { s - P } else { s }
}

/// `−a mod p` for canonical `a`.
#[inline]
pub(crate) fn neg(a: u64) -> u64 {
    if a == 0 { 0 } else { P - a }
}

/// `a⁻¹ mod p` for canonical `a ≠ 0` (Fermat: a^(p−2)).
pub(crate) fn inv(a: u64) -> u64 {
    debug_assert!(!a.is_multiple_of(P));
    let (mut base, mut exp, mut acc) = (a % P, P - 2, 1u64);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// The balanced residue of an integer-valued double of magnitude below 2⁵³: `x − p·q` with
/// `q` the nearest integer to `x/p` (up to the rounding of `x·(1/p)`, which can only move
/// the result by one period near ±p/2, so the magnitude stays ≤ p/2 + 1).
#[inline]
pub(crate) fn reduce(x: f64) -> f64 {
    let q = (x * P_INV + ROUND) - ROUND;
    x - q * PF
}

/// Canonical → balanced.
#[inline]
pub(crate) fn to_balanced(a: u64) -> f64 {
    if a > P / 2 { a as f64 - PF } else { a as f64 }
}

/// Balanced (any integer-valued double below 2⁵³) → canonical.
#[inline]
pub(crate) fn to_canonical(x: f64) -> u64 {
    (x as i64).rem_euclid(P as i64) as u64
}

/// `r × r` inverse by Gauss–Jordan, rows of `b` in `b[k·r..(k+1)·r]`; `None` if singular.
pub(crate) fn invert(b: &[u64], r: usize) -> Option<Vec<u64>> {
    let mut a = b.to_vec();
    let mut x: Vec<u64> = (0..r * r).map(|k| u64::from(k / r == k % r)).collect();
    for c in 0..r {
        let piv = (c..r).find(|&t| a[t * r + c] != 0)?;
        for k in 0..r {
            a.swap(c * r + k, piv * r + k);
            x.swap(c * r + k, piv * r + k);
        }
        let s = inv(a[c * r + c]);
        for k in 0..r {
            a[c * r + k] = mul(a[c * r + k], s);
            x[c * r + k] = mul(x[c * r + k], s);
        }
        for t in (0..r).filter(|&t| t != c) {
            let f = neg(a[t * r + c]);
            if f != 0 {
                for k in 0..r {
                    a[t * r + k] = add(a[t * r + k], mul(f, a[c * r + k]));
                    x[t * r + k] = add(x[t * r + k], mul(f, x[c * r + k]));
                }
            }
        }
    }
    Some(x)
}
