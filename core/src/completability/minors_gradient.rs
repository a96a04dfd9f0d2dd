//! Sparse first-order sensitivities of derived entries to the observations.

/// `∂x/∂a_Ω` of a derived quantity `x`: pairs `(e, ∂x/∂a_e)` sorted by observation `e`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Gradient(Vec<(u32, f64)>);

impl Gradient {
    /// The gradient of observation `e` itself.
    pub fn unit(e: usize) -> Self {
        Self(vec![(e as u32, 1.0)])
    }

    /// `Σ_k c_k g_k`, merging equal observations (summed in the order of `terms`).
    pub fn combine<'a>(terms: impl Iterator<Item = (f64, &'a Gradient)>) -> Self {
        let mut all: Vec<(u32, f64)> = terms.flat_map(|(c, g)| g.0.iter().map(move |&(e, d)| (e, c * d))).collect();
        all.sort_by_key(|&(e, _)| e);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(all.len());
        for (e, d) in all {
            match merged.last_mut() {
                Some(last) if last.0 == e => last.1 += d,
                _ => merged.push((e, d)),
            }
        }
        Self(merged)
    }

    /// `Σ_e g_e h_e σ_e²`: the first-order covariance of two derived quantities under independent
    /// observation noise of variances `sigma2`.
    pub fn covariance(&self, other: &Self, sigma2: &[f64]) -> f64 {
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        let mut sum = 0.0;
        while let (Some(&&(ea, da)), Some(&&(eb, db))) = (a.peek(), b.peek()) {
            match ea.cmp(&eb) {
                core::cmp::Ordering::Less => _ = a.next(),
                core::cmp::Ordering::Greater => _ = b.next(),
                core::cmp::Ordering::Equal => {
                    sum += da * db * sigma2[ea as usize];
                    a.next();
                    b.next();
                }
            }
        }
        sum
    }

    /// `Σ_e g_e² σ_e²`.
    pub fn variance(&self, sigma2: &[f64]) -> f64 {
        self.0.iter().map(|&(e, d)| d * d * sigma2[e as usize]).sum()
    }
}
