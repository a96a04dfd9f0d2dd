//! A training loop's state: the network, its workspace, the gradient buffer and an optimiser.

use super::{Float, Network, NnError, Optimiser, Targets, Workspace};
use faer::MatRef;

pub struct Trainer<T: Float> {
    network: Network<T>,
    workspace: Workspace<T>,
    grad: Vec<T>,
    optimiser: Box<dyn Optimiser<T>>,
}

impl<T: Float> Trainer<T> {
    /// A trainer for batches of up to `max_batch` samples, products on up to `threads` threads.
    pub fn new(network: Network<T>, optimiser: Box<dyn Optimiser<T>>, max_batch: usize, threads: usize) -> Result<Self, NnError> {
        let workspace = Workspace::new(network.spec(), max_batch, threads)?;
        let grad = vec![T::ZERO; network.spec().num_params()];
        Ok(Self { network, workspace, grad, optimiser })
    }

    /// One step on a batch: the loss before the update, then `θ ← optimiser(θ, ∂L/∂θ)`.
    /// Allocates nothing. On error the parameters are unchanged.
    pub fn step(&mut self, input: MatRef<'_, T>, targets: Targets<'_, T>) -> Result<f64, NnError> {
        let loss = self.network.loss_gradient(input, targets, &mut self.workspace, &mut self.grad, None)?;
        let (spec, params) = self.network.spec_and_params_mut();
        self.optimiser.step(spec, params, &self.grad);
        Ok(loss)
    }

    pub fn network(&self) -> &Network<T> {
        &self.network
    }

    /// The network, for a host to read or write its parameters in place between steps.
    pub fn network_mut(&mut self) -> &mut Network<T> {
        &mut self.network
    }

    /// The gradient of the last step.
    pub fn gradient(&self) -> &[T] {
        &self.grad
    }

    /// The workspace (for inference with [`Network::predict`] between steps).
    pub fn parts(&mut self) -> (&Network<T>, &mut Workspace<T>) {
        (&self.network, &mut self.workspace)
    }

    pub fn into_network(self) -> Network<T> {
        self.network
    }
}
