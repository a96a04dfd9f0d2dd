//! What the SIMD kernels of every module share: runtime selection of the instruction set
//! ([`dispatch`]), the [`lane::Lane`] number type and the vectorised elementary functions
//! written over it ([`elementary`]).
//!
//! A kernel is written once as plain `#[inline(always)]` Rust over slices or lanes and run
//! through [`dispatch`], which calls it inside a function compiled for AVX-512 (when the CPU
//! has AVX-512F/DQ), else AVX2+FMA, else the baseline target. The feature tests of
//! `is_x86_feature_detected!` are cached by the standard library after the first call.

pub mod elementary;
pub mod lane;
#[cfg(target_arch = "x86_64")]
pub mod zmm;

/// An instruction set a kernel can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// The baseline of the build target (SSE2 on x86-64).
    Portable,
    /// AVX2 and FMA.
    Avx2,
    /// AVX-512 F, DQ and VL (with AVX2 and FMA).
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU offers (in core's unit tests, at most the one set
    /// by [`with_isa_cap`]).
    #[inline(always)]
    pub fn detected() -> Isa {
        #[cfg(test)]
        {
            let cap = ISA_CAP.with(|c| c.get());
            if cap < Isa::Avx512 {
                return Isa::cpu().min(cap);
            }
        }
        Isa::cpu()
    }

    /// The widest instruction set this CPU offers.
    #[inline(always)]
    fn cpu() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
            {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }

    /// Every instruction set this CPU can run, narrowest first (for tests that compare them).
    #[cfg(test)]
    pub fn available() -> impl Iterator<Item = Isa> {
        [Isa::Portable, Isa::Avx2, Isa::Avx512].into_iter().filter(|&i| i <= Isa::cpu())
    }
}

#[cfg(test)]
thread_local! {
    static ISA_CAP: core::cell::Cell<Isa> = const { core::cell::Cell::new(Isa::Avx512) };
}

/// Runs `f` with [`Isa::detected`] capped at `cap` on this thread (unit tests that compare
/// the code paths of every instruction set).
#[cfg(test)]
pub fn with_isa_cap<R>(cap: Isa, f: impl FnOnce() -> R) -> R {
    let old = ISA_CAP.with(|c| c.replace(cap));
    let r = f();
    ISA_CAP.with(|c| c.set(old));
    r
}

/// A computation written once for every eight-lane type (see [`dispatch_lanes`]).
pub trait WithLanes {
    type Output;
    fn run<S: lane::TileLane>(self) -> Self::Output;
}

/// Runs `f` with the lane type of the widest instruction set the CPU offers: [`zmm::Z`] in
/// code compiled for AVX-512, else [`lane::V`] in code compiled for AVX2+FMA or the baseline.
/// Both give the same bits: `Z` performs `V`'s operations lane by lane, in the same order.
#[inline(always)]
pub fn dispatch_lanes<F: WithLanes>(f: F) -> F::Output {
    let isa = Isa::detected();
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 {
        // SAFETY: the features were detected.
        return unsafe { with_avx512(#[inline(always)] || f.run::<zmm::Z>()) };
    }
    dispatch_to(isa, #[inline(always)] || f.run::<lane::V>())
}

/// Runs `f` compiled for the widest SIMD instruction set the CPU offers. `f` and what it
/// calls must be `#[inline(always)]` for the target features to reach them.
#[inline(always)]
pub fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    dispatch_to(Isa::detected(), f)
}

/// Runs `f` compiled for `isa`, which must be one of [`Isa::available`] (a wider one falls back
/// to the widest available).
#[inline(always)]
pub fn dispatch_to<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        let isa = isa.min(Isa::cpu());
        if isa == Isa::Avx512 {
            // SAFETY: the features were detected.
            return unsafe { with_avx512(f) };
        }
        if isa == Isa::Avx2 {
            // SAFETY: the features were detected.
            return unsafe { with_avx2(f) };
        }
    }
    let _ = isa;
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
unsafe fn with_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Clears the upper halves of the vector registers (`vzeroupper`) when the CPU has AVX.
///
/// faer's AVX-512 matrix kernels return with the upper register state dirty; on the Xeon this
/// project is measured on, every glibc `exp`/`expm1`/`log1p`/`tanh`/`powf` called afterwards on
/// the same thread then runs 20–50 times slower (`exp`: 0.8 M/s instead of 44 M/s; see
/// `benches/src/bin/libm_after_gemm.rs`). Kernels that call libm in a loop call this first.
#[inline]
pub fn clear_upper_state() {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: AVX was just detected; `vzeroupper` only zeroes the upper halves of the
        // vector registers, which hold no live value across this call.
        unsafe { core::arch::x86_64::_mm256_zeroupper() };
    }
}
