//! Shared by every test crate: seeded random points and tangent vectors, two-thread runs.
#![allow(dead_code)]

use faer::Mat;
use std::num::NonZeroUsize;

/// xorshift64 stream of uniforms in [0, 1).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * core::f64::consts::PI * v).cos()
    }
}

/// `n × d` points of the ball of curvature −c, isotropic directions, norms uniform in
/// `[0, max_frac/√c)`.
pub fn points(n: usize, d: usize, c: f64, max_frac: f64, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    let mut m = Mat::from_fn(n, d, |_, _| rng.normal());
    for i in 0..n {
        let norm = (0..d).map(|j| m[(i, j)] * m[(i, j)]).sum::<f64>().sqrt();
        let r = rng.uniform() * max_frac / c.sqrt();
        for j in 0..d {
            m[(i, j)] *= r / norm;
        }
    }
    m
}

/// `n × d` points all at norm exactly `radius_frac/√c` (as exactly as f64 allows).
pub fn points_at_norm(n: usize, d: usize, c: f64, radius_frac: f64, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    let mut m = Mat::from_fn(n, d, |_, _| rng.normal());
    for i in 0..n {
        let norm = (0..d).map(|j| m[(i, j)] * m[(i, j)]).sum::<f64>().sqrt();
        for j in 0..d {
            m[(i, j)] *= radius_frac / c.sqrt() / norm;
        }
    }
    m
}

/// `n × d` standard normal entries times `scale`.
pub fn vectors(n: usize, d: usize, scale: f64, seed: u64) -> Mat<f64> {
    let mut rng = Rng::new(seed);
    Mat::from_fn(n, d, |_, _| scale * rng.normal())
}

/// Double-double references.
pub mod dd;

/// Two threads for `Par`-taking routines.
pub fn rayon2() -> faer::Par {
    faer::Par::Rayon(NonZeroUsize::new(2).unwrap())
}

/// Runs `f` inside a dedicated 2-thread rayon pool.
pub fn in_two_threads<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(f)
}
