//! A training loop's state: the network, its workspace, the gradient buffer and an optimiser.

use super::kernels::first_non_finite;
use super::network::on_worker;
use super::{Float, Network, NnError, Optimiser, Targets, Workspace};
use faer::{MatMut, MatRef};

/// Parameter ranges at least this long are updated by all the workspace's threads: an
/// elementwise update of 2¹⁸ parameters takes a few hundred µs, well above a pool hand-off.
pub const PARALLEL_MIN_PARAMS: usize = 1 << 18;

/// How many threads update `len` parameters.
fn parts(threads: usize, len: usize) -> usize {
    if threads > 1 && len >= PARALLEL_MIN_PARAMS {
        threads
    } else {
        1
    }
}

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
    /// Allocates nothing. On error the parameters are unchanged. An
    /// [`Elementwise`](super::Elementwise) optimiser updates each layer right after its
    /// gradient, while both are still in cache (same bits as the whole-buffer update after the
    /// backward pass).
    pub fn step(&mut self, input: MatRef<'_, T>, targets: Targets<'_, T>) -> Result<f64, NnError> {
        let (spec, threads) = (self.network.spec(), self.workspace.threads());
        let parallel_update = (0..spec.layers().len()).any(|l| parts(threads, spec.layer_params(l).len()) > 1);
        let parallel = parallel_update || self.workspace.parallel(spec, input.ncols(), true);
        on_worker(parallel, || self.step_here(input, targets))
    }

    /// [`Self::step`] on the calling thread.
    fn step_here(&mut self, input: MatRef<'_, T>, targets: Targets<'_, T>) -> Result<f64, NnError> {
        let Some(rule) = self.optimiser.elementwise() else {
            let loss = self.backward(input, targets, None)?;
            self.update();
            return Ok(loss);
        };
        let loss = self.network.loss_forward(input, targets, &mut self.workspace, &self.grad, None)?;
        rule.begin_step();
        for l in (0..self.network.spec().layers().len()).rev() {
            self.network.backward_layer(l, input, &mut self.workspace, &mut self.grad, None);
            let range = self.network.spec().layer_params(l);
            let parts = parts(self.workspace.threads(), range.len());
            rule.update(range.start, &mut self.network.params_mut()[range.clone()], &self.grad[range], parts);
        }
        Ok(loss)
    }

    /// The loss of a batch and its gradient, kept for [`Self::apply`] (and [`Self::gradient`]);
    /// `input_grad` (if given, `n_0 × B`) receives `∂L/∂X`. The parameters are not changed.
    pub fn backward(&mut self, input: MatRef<'_, T>, targets: Targets<'_, T>, input_grad: Option<MatMut<'_, T>>) -> Result<f64, NnError> {
        self.network.loss_gradient(input, targets, &mut self.workspace, &mut self.grad, input_grad)
    }

    /// [`Network::vjp`] into the kept gradient.
    pub fn vjp(&mut self, input: MatRef<'_, T>, upstream: MatRef<'_, T>, input_grad: Option<MatMut<'_, T>>) -> Result<(), NnError> {
        self.network.vjp(input, upstream, &mut self.workspace, &mut self.grad, input_grad)
    }

    /// One optimiser update `θ ← optimiser(θ, g)` with `g` the given gradient (laid out as the
    /// parameters, finite; e.g. one averaged over processes), or the kept one for `None`. The
    /// parameters must be finite too (a host may have written them in place).
    pub fn apply(&mut self, grad: Option<&[T]>) -> Result<(), NnError> {
        if let Some(g) = grad {
            let n = self.grad.len();
            if g.len() != n {
                return Err(NnError::LengthMismatch { what: "grad", expected: n, got: g.len() });
            }
            if let Some(index) = first_non_finite(g) {
                return Err(NnError::NonFinite { what: "grad", index });
            }
        }
        self.network.check_params()?;
        if let Some(g) = grad {
            self.grad.copy_from_slice(g);
        }
        self.update();
        Ok(())
    }

    /// The optimiser's update of the whole buffer.
    fn update(&mut self) {
        let parts = parts(self.workspace.threads(), self.grad.len());
        let (spec, params) = self.network.spec_and_params_mut();
        self.optimiser.step_parallel(spec, params, &self.grad, parts);
    }

    /// Replaces the optimiser (its state starts afresh).
    pub fn set_optimiser(&mut self, optimiser: Box<dyn Optimiser<T>>) {
        self.optimiser = optimiser;
    }

    pub fn workspace(&self) -> &Workspace<T> {
        &self.workspace
    }

    pub fn network(&self) -> &Network<T> {
        &self.network
    }

    /// The network, for a host to read or write its parameters in place between steps.
    pub fn network_mut(&mut self) -> &mut Network<T> {
        &mut self.network
    }

    /// The gradient of the last step, [`Self::backward`] or [`Self::vjp`] (zeros before any).
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
