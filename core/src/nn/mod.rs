//! Path norms and Path-SGD (Neyshabur, Salakhutdinov, Srebro 2015), group-norm capacity
//! measures (Neyshabur, Tomioka, Srebro 2015), and the f-divergence objectives of f-GAN
//! (Nowozin, Cseke, Tomioka 2016), over a plain description of a feed-forward chain
//! (per-layer weight matrices and biases) and over raw network outputs.

mod chain;
mod fdiv;
mod float;
mod group_norm;
mod path_norm;

pub use chain::{widths, Layer, LayerMut, PathError};
pub use fdiv::{objective, objective_grad, Divergence, FdivError};
pub use float::Float;
pub use group_norm::{group_norm, group_norm_product};
pub use path_norm::PathNorm;
