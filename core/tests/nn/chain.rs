//! Test chains for the path-norm and group-norm tests: owned weights and biases, random draws, rescaling,
//! a reference ReLU forward pass.
#![allow(dead_code)]

use faer::{Col, Mat};
use tessera::nn::{Float, Layer, LayerMut};

pub use crate::common::Rng;

/// An owned chain: `w[l]` is `d_{l+1} × d_l`, `b[l]` its optional bias.
#[derive(Clone, Debug)]
pub struct Net<T> {
    pub w: Vec<Mat<T>>,
    pub b: Vec<Option<Col<T>>>,
}

impl<T: Float> Net<T> {
    pub fn layers(&self) -> Vec<Layer<'_, T>> {
        self.w.iter().zip(&self.b).map(|(w, b)| Layer::new(w.as_ref(), b.as_ref().map(|b| b.as_ref()))).collect()
    }

    pub fn layers_mut(&mut self) -> Vec<LayerMut<'_, T>> {
        self.w.iter_mut().zip(self.b.iter_mut()).map(|(w, b)| LayerMut::new(w.as_mut(), b.as_mut().map(|b| b.as_mut()))).collect()
    }

    pub fn widths(&self) -> Vec<usize> {
        let mut d = vec![self.w[0].ncols()];
        d.extend(self.w.iter().map(|w| w.nrows()));
        d
    }

    /// Every parameter, layer by layer (weights column-major, then the bias).
    pub fn params(&self) -> Vec<T> {
        let mut out = Vec::new();
        for (w, b) in self.w.iter().zip(&self.b) {
            for j in 0..w.ncols() {
                out.extend(w.col(j).iter().copied());
            }
            if let Some(b) = b {
                out.extend(b.iter().copied());
            }
        }
        out
    }

    /// The inverse of [`Net::params`].
    pub fn set_params(&mut self, p: &[T]) {
        let mut k = 0;
        for (w, b) in self.w.iter_mut().zip(self.b.iter_mut()) {
            for j in 0..w.ncols() {
                for i in 0..w.nrows() {
                    w[(i, j)] = p[k];
                    k += 1;
                }
            }
            if let Some(b) = b {
                for i in 0..b.nrows() {
                    b[i] = p[k];
                    k += 1;
                }
            }
        }
        assert_eq!(k, p.len());
    }

    pub fn map(&self, f: impl Fn(T) -> f64 + Copy) -> Net<f64> {
        Net {
            w: self.w.iter().map(|w| Mat::from_fn(w.nrows(), w.ncols(), |i, j| f(w[(i, j)]))).collect(),
            b: self.b.iter().map(|b| b.as_ref().map(|b| Col::from_fn(b.nrows(), |i| f(b[i])))).collect(),
        }
    }
}

impl Net<f64> {
    /// Weights `N(0, 1)·scale`, a bias on the layers where `bias[l]` is true.
    pub fn random(widths: &[usize], bias: &[bool], scale: f64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut w = Vec::new();
        let mut b = Vec::new();
        for l in 0..widths.len() - 1 {
            w.push(Mat::from_fn(widths[l + 1], widths[l], |_, _| scale * rng.normal()));
            b.push(bias[l].then(|| Col::from_fn(widths[l + 1], |_| scale * rng.normal())));
        }
        Self { w, b }
    }

    pub fn to_f32(&self) -> Net<f32> {
        Net {
            w: self.w.iter().map(|w| Mat::from_fn(w.nrows(), w.ncols(), |i, j| w[(i, j)] as f32)).collect(),
            b: self.b.iter().map(|b| b.as_ref().map(|b| Col::from_fn(b.nrows(), |i| b[i] as f32))).collect(),
        }
    }

    /// Node rescaling `ρ_{α,h}` of hidden unit `h` of layer `l` (1-based, `1 ≤ l < L`): its
    /// incoming weights and bias times `alpha`, its outgoing weights divided by it.
    pub fn rescale(&mut self, l: usize, h: usize, alpha: f64) {
        let (into, out) = (l - 1, l);
        for u in 0..self.w[into].ncols() {
            self.w[into][(h, u)] *= alpha;
        }
        if let Some(b) = self.b[into].as_mut() {
            b[h] *= alpha;
        }
        for v in 0..self.w[out].nrows() {
            self.w[out][(v, h)] /= alpha;
        }
    }

    /// How the gradient of a loss transforms under [`Net::rescale`]: divided by `alpha` on
    /// the incoming edges and bias, multiplied on the outgoing edges.
    pub fn rescale_gradient(&mut self, l: usize, h: usize, alpha: f64) {
        self.rescale(l, h, 1.0 / alpha)
    }

    /// The ReLU network on the columns of `x` (linear output layer).
    pub fn forward(&self, x: &Mat<f64>) -> Mat<f64> {
        let mut a = x.clone();
        for (l, (w, b)) in self.w.iter().zip(&self.b).enumerate() {
            let mut z = w * &a;
            for j in 0..z.ncols() {
                for i in 0..z.nrows() {
                    if let Some(b) = b {
                        z[(i, j)] += b[i];
                    }
                    if l + 1 < self.w.len() {
                        z[(i, j)] = z[(i, j)].max(0.0);
                    }
                }
            }
            a = z;
        }
        a
    }
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}
