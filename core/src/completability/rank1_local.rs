//! The local part of a sketched effective resistance: a Galerkin lower bound around the two
//! endpoints, and the control variate that leaves the sketch only the remainder.
//!
//! For b = e_a − e_b, Dirichlet's principle gives R = bᵀL⁺b = max_y 2bᵀy − yᵀLy, so every y
//! gives a lower bound, the best one over a subspace V being the Galerkin solution
//! y = V(VᵀLV)⁻¹Vᵀb with R_low = bᵀy. Here V = span{D⁻¹b, D⁻¹LD⁻¹b} (D the diagonal of L),
//! which lives within two hops of a and b.
//!
//! With x = L⁺b, u = C^{1/2}Bx (‖u‖² = R) and v = C^{1/2}By: ⟨u, v⟩ = xᵀLy = bᵀy and
//! ‖v‖² = yᵀLy, which are equal at the Galerkin y, so R = R_low + ‖u − v‖². A sketch Q
//! (k × |Ω|, entries ±1/√k) estimates the remainder ‖u − v‖² by ‖Qu − Qv‖², where Qu = Zb comes
//! from the k shared solves and Qv is a sum over the few edges at the support of y. The
//! estimate stays unbiased and never falls below R_low; its relative standard deviation is at
//! most √(2/k)·(R − R_low)/R instead of √(2/k).
//!
//! The sketch's signs are a hash of (seed, edge, word), not a stream, so that Qv can read the
//! signs of any edge.

use super::rank1_laplacian::Laplacian;
use crate::rng::SplitMix64;

/// 64 random signs of the sketch rows `64·word..64·word + 64` on the edge between the
/// positions `row` (a row vertex) and `col` (a column vertex): bit l set means +1/√k.
pub(crate) fn edge_signs(seed: u64, row: u32, col: u32, word: usize) -> u64 {
    let key = SplitMix64::new(seed).next_u64() ^ (u64::from(row) << 32 | u64::from(col));
    SplitMix64::new(SplitMix64::new(key).next_u64() ^ word as u64).next_u64()
}

/// A sparse vector over the Laplacian's positions, built in a dense scratch array; `stamp`
/// marks the positions written since the last [`Scratch::clear`].
pub(crate) struct Scratch {
    value: Vec<f64>,
    stamp: Vec<u32>,
    now: u32,
    support: Vec<u32>,
}

impl Scratch {
    pub fn new(positions: usize) -> Self {
        Self { value: vec![0.0; positions], stamp: vec![0; positions], now: 0, support: Vec::new() }
    }

    fn clear(&mut self) {
        if self.now == u32::MAX {
            // Stamps would repeat: start over from a blank array.
            self.stamp.fill(0);
            self.now = 0;
        }
        self.now += 1;
        self.support.clear();
    }

    fn add(&mut self, p: u32, x: f64) {
        let i = p as usize;
        if self.stamp[i] != self.now {
            self.stamp[i] = self.now;
            self.value[i] = 0.0;
            self.support.push(p);
        }
        self.value[i] += x;
    }

    fn get(&self, p: u32) -> f64 {
        if self.stamp[p as usize] == self.now { self.value[p as usize] } else { 0.0 }
    }

    fn contains(&self, p: u32) -> bool {
        self.stamp[p as usize] == self.now
    }

    /// `self ← L v`.
    fn set_product(&mut self, lap: &Laplacian, v: &[(u32, f64)]) {
        self.clear();
        for &(p, x) in v {
            self.add(p, lap.degree(p as usize) * x);
            for &(w, c) in lap.neighbours(p as usize) {
                self.add(w, -c * x);
            }
        }
    }

    fn entries(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.support.iter().map(|&p| (p, self.value[p as usize]))
    }
}

/// `(R_low, Qv)` for the pair of positions `(a, b)` (row, column): the Galerkin lower bound
/// and the sketch of v = C^{1/2}By, `qv[l]` for the `qv.len()` sketch rows, scaled by `scale`
/// (= 1/√k). `is_row(p)` tells whether position p is a row vertex.
pub(crate) fn local_part(
    lap: &Laplacian,
    (a, b): (u32, u32),
    seed: u64,
    scale: f64,
    is_row: impl Fn(u32) -> bool,
    scratch: &mut Scratch,
    qv: &mut [f64],
) -> f64 {
    let v1 = [(a, 1.0 / lap.degree(a as usize)), (b, -1.0 / lap.degree(b as usize))];
    scratch.set_product(lap, &v1);
    let g11: f64 = v1.iter().map(|&(p, x)| x * scratch.get(p)).sum();
    let v2: Vec<(u32, f64)> = scratch.entries().map(|(p, x)| (p, x / lap.degree(p as usize))).collect();
    let h1 = v1[0].1 - v1[1].1;
    let h2 = v2.iter().map(|&(p, x)| if p == a { x } else if p == b { -x } else { 0.0 }).sum::<f64>();
    scratch.set_product(lap, &v2);
    let g12: f64 = v1.iter().map(|&(p, x)| x * scratch.get(p)).sum();
    let g22: f64 = v2.iter().map(|&(p, x)| x * scratch.get(p)).sum();
    // The 2 × 2 Galerkin system; when v2 is (numerically) in the span of v1, v1 alone.
    let det = g11 * g22 - g12 * g12;
    let (alpha1, alpha2) =
        if det > 1e-12 * g11 * g22 { ((g22 * h1 - g12 * h2) / det, (g11 * h2 - g12 * h1) / det) } else { (h1 / g11, 0.0) };
    let low = alpha1 * h1 + alpha2 * h2;

    // y = α₁v₁ + α₂v₂ (the support of v₂ contains a and b), then Qv over the edges at supp(y).
    scratch.clear();
    for &(p, x) in &v2 {
        scratch.add(p, alpha2 * x);
    }
    for &(p, x) in &v1 {
        scratch.add(p, alpha1 * x);
    }
    qv.iter_mut().for_each(|t| *t = 0.0);
    for &p in &scratch.support {
        let yp = scratch.value[p as usize];
        for &(w, c) in lap.neighbours(p as usize) {
            if scratch.contains(w) && w < p {
                continue; // counted from w
            }
            let (row, col, diff) =
                if is_row(p) { (p, w, yp - scratch.get(w)) } else { (w, p, scratch.get(w) - yp) };
            let weight = scale * c.sqrt() * diff;
            for (word, chunk) in qv.chunks_mut(64).enumerate() {
                let bits = edge_signs(seed, row, col, word);
                for (l, t) in chunk.iter_mut().enumerate() {
                    *t += if bits >> l & 1 == 1 { weight } else { -weight };
                }
            }
        }
    }
    low
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::completability::rank1_forest::Forest;
    use crate::completability::Mask;
    use faer::{Mat, Side};

    /// A connected 12 × 10 mask (a staircase plus random entries) with random log variances,
    /// its Laplacian, and the dense L⁺ from an eigendecomposition.
    fn setup() -> (Mask, Forest, Laplacian, Mat<f64>) {
        let (m, n) = (12, 10);
        let mut rng = SplitMix64::new(5);
        let mut entries: Vec<(i64, i64)> = (0..m).flat_map(|i| [(i, i % n), (i, (i + 1) % n)]).collect();
        while entries.len() < 60 {
            let e = (rng.below(m as u64) as i64, rng.below(n as u64) as i64);
            if !entries.contains(&e) {
                entries.push(e);
            }
        }
        let (rows, cols): (Vec<i64>, Vec<i64>) = entries.into_iter().unzip();
        let mask = Mask::from_coordinates(m as usize, n as usize, &rows, &cols).unwrap();
        let log_abs = vec![0.0; mask.len()];
        let log_var: Vec<f64> = (0..mask.len()).map(|_| 0.25 + rng.below(1000) as f64 / 250.0).collect();
        let forest = Forest::new(&mask, &vec![1.0; mask.len()], &log_abs, &log_var);
        let lap = Laplacian::new(&mask, &forest, &log_abs, &log_var);
        let size = forest.order.len();
        let l = Mat::from_fn(size, size, |p, q| {
            if p == q {
                lap.degree(p)
            } else {
                -lap.neighbours(p).iter().filter(|&&(w, _)| w as usize == q).map(|&(_, c)| c).sum::<f64>()
            }
        });
        let evd = l.self_adjoint_eigen(Side::Lower).unwrap();
        let (u, s) = (evd.U(), evd.S());
        let pinv = Mat::from_fn(size, size, |p, q| {
            (0..size).filter(|&t| s[t] > 1e-10).map(|t| u[(p, t)] * u[(q, t)] / s[t]).sum::<f64>()
        });
        (mask, forest, lap, pinv)
    }

    #[test]
    fn lower_bound_holds_and_the_sketched_remainder_completes_it() {
        let (mask, forest, lap, pinv) = setup();
        let m = mask.nrows();
        let is_row = |p: u32| (forest.order[p as usize] as usize) < m;
        let (k, seed) = (4096, 11);
        let scale = 1.0 / (k as f64).sqrt();
        // Qu = Q C^{1/2} B L⁺ b, densely: the sketch rows over the edges, times the potentials.
        let mut scratch = Scratch::new(forest.order.len());
        let mut qv = vec![0.0; k];
        for (i, j) in [(0, 0), (3, 7), (11, 2), (5, 5), (8, 1)] {
            let (a, b) = (forest.pos[i], forest.pos[m + j]);
            let resistance = pinv[(a as usize, a as usize)] + pinv[(b as usize, b as usize)]
                - 2.0 * pinv[(a as usize, b as usize)];
            let low = local_part(&lap, (a, b), seed, scale, is_row, &mut scratch, &mut qv);
            assert!(low > 0.0 && low <= resistance * (1.0 + 1e-12), "{low} vs {resistance}");
            let mut remainder = 0.0;
            for l in 0..k {
                let mut qu = 0.0;
                for e in 0..mask.len() {
                    let (r, c) = mask.entry(e);
                    let (pr, pc) = (forest.pos[r], forest.pos[m + c]);
                    let potential = |p: u32| pinv[(p as usize, a as usize)] - pinv[(p as usize, b as usize)];
                    let sign = if edge_signs(seed, pr, pc, l / 64) >> (l % 64) & 1 == 1 { 1.0 } else { -1.0 };
                    let conductance = lap.neighbours(pr as usize).iter().find(|&&(w, _)| w == pc).unwrap().1;
                    qu += sign * scale * conductance.sqrt() * (potential(pr) - potential(pc));
                }
                remainder += (qu - qv[l]).powi(2);
            }
            // E‖Q(u − v)‖² = R − R_low, with relative standard deviation at most √(2/k).
            let error = (low + remainder - resistance).abs();
            assert!(error <= 5.0 * (2.0 / k as f64).sqrt() * (resistance - low), "{error} vs {}", resistance - low);
        }
    }
}
