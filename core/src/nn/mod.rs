//! Dense feed-forward networks on the CPU, in `f32` and `f64`: affine layers with elementwise
//! activations, forward and backward passes (parameter and input gradients), losses,
//! seeded initialisation, optimisers (SGD with momentum, Adam, Path-SGD), and a documented parameter file format.
//!
//! A network is a [`Spec`] (layer sizes, one [`Activation`] per layer, a [`Loss`]) and one
//! contiguous parameter buffer, laid out as [`Spec`] documents, that a host can read and write
//! in place. Batches are `n × B` column-major matrices, one sample per column. The passes run
//! in a [`Workspace`] made once for a largest batch; [`Trainer::step`] allocates nothing.
//!
//! Also: path norms and Path-SGD scalings (Neyshabur, Salakhutdinov, Srebro 2015) and group-norm
//! capacity measures (Neyshabur, Tomioka, Srebro 2015) over a plain description of a chain
//! ([`Layer`]), and the f-divergence objectives of f-GAN (Nowozin, Cseke, Tomioka 2016) over raw
//! network outputs ([`Divergence`]).
//!
//! ```text
//! let spec = Spec::from_codes(&[784, 256, 10], &[Activation::Relu as u32, 0], Loss::SoftmaxCrossEntropy as u32)?;
//! let net = Network::<f32>::new(spec, 42);
//! let adam = Adam::new(net.spec(), AdamOptions::default())?;
//! let mut trainer = Trainer::new(net, Box::new(adam), 128, 1)?;
//! let loss = trainer.step(x.as_ref(), Targets::Labels(&labels))?;
//! ```

mod activation;
mod chain;
mod error;
mod fdiv;
mod file;
mod float;
mod group_norm;
mod init;
#[cfg(test)]
mod isa_tests;
mod kernels;
mod loss;
mod network;
mod optim;
mod path_norm;
mod spec;
mod trainer;

pub use chain::{widths, Layer, LayerMut, PathError};
pub use error::NnError;
pub use fdiv::{objective, objective_grad, Divergence, FdivError};
pub use float::Float;
pub use group_norm::{group_norm, group_norm_product};
pub use init::initialise;
pub use loss::Targets;
pub use network::{Network, Workspace, PARALLEL_MIN_MACS, TRANSPOSE_MIN_MACS};
pub use optim::{Adam, AdamOptions, Elementwise, Optimiser, PathSgd, PathSgdOptions, Sgd, SgdOptions};
pub use path_norm::PathNorm;
pub use spec::{Activation, Dense, Loss, Spec, LEAKY_SLOPE};
pub use trainer::{Trainer, PARALLEL_MIN_PARAMS};
