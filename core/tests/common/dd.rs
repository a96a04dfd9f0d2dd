//! Double-double arithmetic (about 106 bits) and high-precision references for the ball's
//! distance and logarithm, computed from the exact `f64` inputs.
//!
//! The references use the textbook formulas: `d = arcosh(1 + 2c‖x−y‖²/(δ_x δ_y))/√c`, Ungar's
//! Möbius addition for `w = (−x) ⊕ y`, and his gyro-norm identity
//! `1 − c‖w‖² = δ_x δ_y / (1 − 2c⟨x,y⟩ + c²‖x‖²‖y‖²)` (even 106 bits are not enough to take
//! `1 − c‖w‖²` from `‖w‖` when it is 1e-26). Gradients are fourth-order central differences
//! in double-double.
#![allow(dead_code)]

use core::ops::{Add, Div, Mul, Neg, Sub};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DD {
    pub hi: f64,
    pub lo: f64,
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

fn fast_two_sum(a: f64, b: f64) -> DD {
    let s = a + b;
    DD { hi: s, lo: b - (s - a) }
}

impl DD {
    pub const fn new(v: f64) -> Self {
        Self { hi: v, lo: 0.0 }
    }
    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
    pub fn sqrt(self) -> Self {
        if self.hi == 0.0 {
            return DD::new(0.0);
        }
        let y = DD::new(self.hi.sqrt());
        y + (self - y * y) / (y * 2.0)
    }
    pub fn abs(self) -> Self {
        if self.hi < 0.0 {
            -self
        } else {
            self
        }
    }
    /// `eˣ`: `2ᵏ (e^{r/1024})^1024` with a Taylor series for `e^{r/1024}`.
    pub fn exp(self) -> Self {
        const LN2: DD = DD { hi: core::f64::consts::LN_2, lo: 2.3190468138462996e-17 };
        let k = (self.hi / LN2.hi).round();
        let r = (self - LN2 * k) * (1.0 / 1024.0);
        let (mut sum, mut term) = (DD::new(1.0), DD::new(1.0));
        for i in 1..30 {
            term = term * r / (i as f64);
            sum = sum + term;
        }
        for _ in 0..10 {
            sum = sum * sum;
        }
        sum * 2f64.powi(k as i32)
    }
    /// `ln x` by Newton's iteration on `exp`.
    pub fn ln(self) -> Self {
        let mut y = DD::new(self.hi.ln());
        for _ in 0..2 {
            y = y + self * (-y).exp() - DD::new(1.0);
        }
        y
    }
    /// `ln(1 + x)`, accurate for small `x` through `2 artanh(x/(2+x))`.
    pub fn ln_1p(self) -> Self {
        if self.hi.abs() > 1e-2 {
            return (self + 1.0).ln();
        }
        let u = self / (self + 2.0);
        let u2 = u * u;
        let (mut sum, mut pow) = (DD::new(0.0), u);
        for k in 0..40 {
            sum = sum + pow / (2 * k + 1) as f64;
            pow = pow * u2;
        }
        sum * 2.0
    }
    /// `arcosh(1 + t)`, `t ≥ 0`.
    pub fn arcosh1p(self) -> Self {
        (self + (self * (self + 2.0)).sqrt()).ln_1p()
    }
}

impl Add for DD {
    type Output = DD;
    fn add(self, b: DD) -> DD {
        let (s, e) = two_sum(self.hi, b.hi);
        let (t, f) = two_sum(self.lo, b.lo);
        let r = fast_two_sum(s, e + t);
        fast_two_sum(r.hi, r.lo + f)
    }
}
impl Add<f64> for DD {
    type Output = DD;
    fn add(self, b: f64) -> DD {
        self + DD::new(b)
    }
}
impl Neg for DD {
    type Output = DD;
    fn neg(self) -> DD {
        DD { hi: -self.hi, lo: -self.lo }
    }
}
impl Sub for DD {
    type Output = DD;
    fn sub(self, b: DD) -> DD {
        self + (-b)
    }
}
impl Mul for DD {
    type Output = DD;
    fn mul(self, b: DD) -> DD {
        let p = self.hi * b.hi;
        let e = self.hi.mul_add(b.hi, -p);
        fast_two_sum(p, e + (self.hi * b.lo + self.lo * b.hi))
    }
}
impl Mul<f64> for DD {
    type Output = DD;
    fn mul(self, b: f64) -> DD {
        self * DD::new(b)
    }
}
impl Div for DD {
    type Output = DD;
    fn div(self, b: DD) -> DD {
        let q1 = self.hi / b.hi;
        let r = self - b * q1;
        let q2 = r.hi / b.hi;
        let r = r - b * q2;
        let q3 = r.hi / b.hi;
        fast_two_sum(q1, q2) + q3
    }
}
impl Div<f64> for DD {
    type Output = DD;
    fn div(self, b: f64) -> DD {
        self / DD::new(b)
    }
}

pub fn widen(x: &[f64]) -> Vec<DD> {
    x.iter().map(|&v| DD::new(v)).collect()
}

pub fn dot(a: &[DD], b: &[DD]) -> DD {
    a.iter().zip(b).fold(DD::new(0.0), |s, (x, y)| s + *x * *y)
}

/// `1 − c‖x‖²`.
pub fn delta(c: f64, x: &[DD]) -> DD {
    DD::new(1.0) - dot(x, x) * c
}

/// `d_c(x, y) = arcosh(1 + 2c‖x−y‖²/(δ_x δ_y))/√c`.
pub fn dist(c: f64, x: &[DD], y: &[DD]) -> DD {
    let e: Vec<DD> = x.iter().zip(y).map(|(a, b)| *a - *b).collect();
    let t = dot(&e, &e) * (2.0 * c) / (delta(c, x) * delta(c, y));
    t.arcosh1p() / DD::new(c).sqrt()
}

/// `log_x(y) = δ_x artanh(√c‖w‖) w/(√c‖w‖)`, `w = (−x) ⊕ y` by Ungar's formula.
pub fn logmap(c: f64, x: &[DD], y: &[DD]) -> Vec<DD> {
    let (xy, x2, y2) = (dot(x, y), dot(x, x), dot(y, y));
    let one = DD::new(1.0);
    let a = one - xy * (2.0 * c) + y2 * c;
    let b = one - x2 * c;
    let den = one - xy * (2.0 * c) + x2 * y2 * c * c;
    let w: Vec<DD> = x.iter().zip(y).map(|(xi, yi)| (b * *yi - a * *xi) / den).collect();
    let dw = delta(c, x) * delta(c, y) / den;
    let z = dot(&w, &w).sqrt() * DD::new(c).sqrt();
    let scale = if z.hi == 0.0 {
        b
    } else {
        // artanh z = ½ log1p(2z/(1 − z)), 1 − z = δ_w/(1 + z).
        b * (z * 2.0 * (z + 1.0) / dw).ln_1p() * 0.5 / z
    };
    w.iter().map(|wi| *wi * scale).collect()
}

/// `∇_k Σ_j g_j f_j(args)` for every argument `k`, by fourth-order central differences with
/// step `h` in double-double.
pub fn gradient(f: impl Fn(&[Vec<DD>]) -> Vec<DD>, args: &[Vec<DD>], g: &[f64], h: f64) -> Vec<Vec<f64>> {
    let loss = |a: &[Vec<DD>]| f(a).iter().zip(g).fold(DD::new(0.0), |s, (v, gi)| s + *v * *gi);
    (0..args.len())
        .map(|k| {
            (0..args[k].len())
                .map(|j| {
                    let at = |t: f64| {
                        let mut a = args.to_vec();
                        a[k][j] = a[k][j] + DD::new(t * h);
                        loss(&a)
                    };
                    let num = (at(-2.0) - at(2.0)) + (at(1.0) - at(-1.0)) * 8.0;
                    (num / (12.0 * h)).to_f64()
                })
                .collect()
        })
        .collect()
}
