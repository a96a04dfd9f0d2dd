//! Dense feed-forward networks on the CPU, in `f32` and `f64`: affine layers with elementwise
//! activations, forward and backward passes (parameter and input gradients), losses,
//! seeded initialisation, optimisers, and a documented parameter file format.
//!
//! A network is a [`Spec`] (layer sizes, one [`Activation`] per layer, a [`Loss`]) and one
//! contiguous parameter buffer, laid out as [`Spec`] documents, that a host can read and write
//! in place. Batches are `n × B` column-major matrices, one sample per column. The passes run
//! in a [`Workspace`] made once for a largest batch; [`Trainer::step`] allocates nothing.
//!
//! ```text
//! let spec = Spec::from_codes(&[784, 256, 10], &[Activation::Relu as u32, 0], Loss::SoftmaxCrossEntropy as u32)?;
//! let net = Network::<f32>::new(spec, 42);
//! let adam = Adam::new(net.spec(), AdamOptions::default())?;
//! let mut trainer = Trainer::new(net, Box::new(adam), 128, 1)?;
//! let loss = trainer.step(x.as_ref(), Targets::Labels(&labels))?;
//! ```

mod activation;
mod error;
mod file;
mod float;
mod init;
mod kernels;
mod loss;
mod network;
mod optim;
mod spec;
mod trainer;

pub use error::NnError;
pub use float::Float;
pub use init::initialise;
pub use loss::Targets;
pub use network::{Network, Workspace, PARALLEL_MIN_MACS};
pub use optim::{Adam, AdamOptions, Optimiser, Sgd, SgdOptions};
pub use spec::{Activation, Dense, Loss, Spec, LEAKY_SLOPE};
pub use trainer::Trainer;
