//! A network (its spec and its parameter buffer) and the workspace its passes run in.
//!
//! Activations are `n × B` column-major: one sample per column, its features contiguous (so a
//! C array of `B` samples of `n` values is such a matrix as it stands). The products are
//! `Z_l = W_l A_{l−1}` forward, `∂W_l = ∂Z_l A_{l−1}ᵀ` and `∂A_{l−1} = W_lᵀ ∂Z_l` backward, all
//! by faer; every elementwise step is one fused pass ([`super::kernels`]).
//!
//! On several threads a large product is not handed to faer's parallel split: its rows are cut
//! into one block per task ([`in_row_blocks`]), and each task runs a one-thread product on its
//! block followed by the elementwise pass over the same rows, while they are in its cache. On
//! two threads that reached 1.87–2.10× one thread for the 784-1024-1024-10 shapes, against
//! 1.64–1.96× for faer's own split (`benches/src/bin/nn_layouts.rs --threads 2`, docs/performance.md), and
//! allocates nothing (the jobs of `rayon::join` live on the stack).

use super::kernels::{activation_backward, bias_activation, column_sum, first_non_finite, transpose_into};
use super::loss::{check_targets, loss_gradient, Targets};
use super::{initialise, Dense, Float, NnError, Spec};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use std::ops::Range;

/// Products with fewer multiply-adds than this run on the calling thread: below it a hand-off
/// to the thread pool (~20 µs) costs more than it saves.
pub const PARALLEL_MIN_MACS: usize = 1 << 22;

/// A task's block of rows has at least this many rows.
const MIN_BLOCK_ROWS: usize = 64;

/// Row blocks start at multiples of this (a cache line of f64, half of one of f32).
const BLOCK_ALIGN: usize = 16;

/// Into how many tasks work of `macs` multiply-adds is cut.
fn tasks(threads: usize, macs: usize) -> usize {
    if threads > 1 && macs >= PARALLEL_MIN_MACS {
        threads
    } else {
        1
    }
}

/// The multiply-adds of a layer's backward products, each of `macs`: one or two (with the
/// input side).
fn backward_macs(macs: usize, input_side: bool) -> usize {
    if input_side {
        macs.saturating_mul(2)
    } else {
        macs
    }
}

/// Of `parts` tasks for layer `d`'s backward pass, how many compute the weight gradient. When
/// both products (`∂W`, `n_{l+1}` rows, and the input side, `n_l` rows) can be cut into
/// `parts` row blocks, all of them: the two products then run one after the other, each on
/// every thread. Otherwise, with an input-side product, half: the two run side by side.
fn weight_tasks(parts: usize, d: Dense, input_side: bool) -> usize {
    let cut = |rows: usize| rows / MIN_BLOCK_ROWS >= parts;
    if parts > 1 && input_side && !(cut(d.outputs) && cut(d.inputs)) {
        parts / 2
    } else {
        parts
    }
}

/// `f(rows, dst[rows, :], aux[rows, :])` for up to `parts` consecutive blocks of rows of `dst`
/// (and of `aux`, of as many rows, if given) covering them all, of at least
/// [`MIN_BLOCK_ROWS`] rows each where there are that many, on a binary tree of `rayon::join`.
/// `start` is the index of `dst`'s first row in the caller's numbering.
fn in_row_blocks<T: Float, F>(parts: usize, start: usize, dst: MatMut<'_, T>, aux: Option<MatMut<'_, T>>, f: &F)
where
    F: Fn(Range<usize>, MatMut<'_, T>, Option<MatMut<'_, T>>) + Sync,
{
    let rows = dst.nrows();
    let parts = parts.min(rows / MIN_BLOCK_ROWS);
    if parts <= 1 {
        return f(start..start + rows, dst, aux);
    }
    let left = parts / 2;
    let at = rows * left / parts / BLOCK_ALIGN * BLOCK_ALIGN;
    let (d0, d1) = dst.split_at_row_mut(at);
    let (a0, a1) = match aux {
        Some(a) => {
            let (a0, a1) = a.split_at_row_mut(at);
            (Some(a0), Some(a1))
        }
        None => (None, None),
    };
    rayon::join(|| in_row_blocks(left, start, d0, a0, f), || in_row_blocks(parts - left, start + at, d1, a1, f));
}

/// Runs `f` on a worker of the current rayon pool when `parallel` and the caller is on no
/// pool's worker, so that the `rayon::join`s of a pass start there: from outside the pool
/// every join is a hand-off to it and back (20–60 µs each on the 2-vCPU VMs here), instead of
/// one per call.
pub(super) fn on_worker<R: Send>(parallel: bool, f: impl FnOnce() -> R + Send) -> R {
    if parallel && rayon::current_thread_index().is_none() {
        rayon::scope(|_| f())
    } else {
        f()
    }
}

/// A dense feed-forward network: a [`Spec`] and its parameters, laid out as the spec says.
#[derive(Clone, Debug)]
pub struct Network<T: Float> {
    spec: Spec,
    params: Vec<T>,
}

/// Buffers of the forward and backward passes for batches of up to `max_batch` samples, and
/// the number of threads the products may use. Made once; the passes allocate nothing.
#[derive(Clone, Debug)]
pub struct Workspace<T: Float> {
    max_batch: usize,
    threads: usize,
    /// Layer outputs `A_l`, `n_{l+1} × max_batch`.
    out: Vec<Vec<T>>,
    /// `∂L/∂Z_l`, same shapes.
    dz: Vec<Vec<T>>,
    /// Pre-activations `Z_l` of the layers that need them, else empty.
    pre: Vec<Vec<T>>,
    /// `A_{l−1}ᵀ` (`B × n_l`, column-major) for the layers whose `∂W_l` product gains from it
    /// (see [`TRANSPOSE_MIN_MACS`]), else empty.
    input_t: Vec<Vec<T>>,
}

impl<T: Float> Workspace<T> {
    /// `threads`: 1 runs everything on the calling thread; more lets large products use that
    /// many threads of the rayon pool.
    pub fn new(spec: &Spec, max_batch: usize, threads: usize) -> Result<Self, NnError> {
        if max_batch == 0 {
            return Err(NnError::InvalidParameter { name: "max_batch", value: 0.0, requirement: "at least 1" });
        }
        if threads == 0 {
            return Err(NnError::InvalidParameter { name: "threads", value: 0.0, requirement: "at least 1" });
        }
        let sized = |n: usize| n.checked_mul(max_batch).map(|len| vec![T::ZERO; len]).ok_or(NnError::TooLarge);
        let out = spec.layers().iter().map(|d| sized(d.outputs)).collect::<Result<Vec<_>, _>>()?;
        let dz = out.clone();
        let pre = spec
            .layers()
            .iter()
            .map(|d| if d.activation.needs_preactivation() { sized(d.outputs) } else { Ok(Vec::new()) })
            .collect::<Result<Vec<_>, _>>()?;
        let input_t = spec
            .layers()
            .iter()
            .enumerate()
            .map(|(l, d)| {
                let macs = d.outputs.saturating_mul(d.inputs).saturating_mul(max_batch);
                // Only where the weight product is one task (see `backward_layer`).
                let one_task = weight_tasks(tasks(threads, backward_macs(macs, l > 0)), *d, l > 0) == 1;
                if one_task && macs >= TRANSPOSE_MIN_MACS { sized(d.inputs) } else { Ok(Vec::new()) }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { max_batch, threads, out, dz, pre, input_t })
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether a pass over `batch` samples of `spec` (with `backward`, the backward pass too)
    /// cuts any product into several tasks.
    pub(super) fn parallel(&self, spec: &Spec, batch: usize, backward: bool) -> bool {
        spec.layers().iter().enumerate().any(|(l, d)| {
            // Saturating: `batch` is not checked yet (an absurd one is then refused).
            let macs = d.outputs.saturating_mul(d.inputs).saturating_mul(batch);
            tasks(self.threads, if backward { backward_macs(macs, l > 0) } else { macs }) > 1
        })
    }
}

/// `∂W_l = ∂Z_l A_{l−1}ᵀ` with both factors column-major is the slowest operand layout of
/// faer's products for the large layers (`benches/src/bin/nn_layouts.rs`: 4.46 ms against
/// 3.35 ms at 1024 × 1024 × 256, f32, one thread); with `A_{l−1}ᵀ` first copied to a
/// column-major buffer it runs at the best. Where the product is one task and has at
/// least this many multiply-adds the copy pays: the 784-1024-1024-10 step at batch 256 is 3–7%
/// faster on one thread in interleaved runs, while 784-256-10 at batch 128 (2.6·10⁷) is 1–2%
/// slower with it. Cut into row blocks it does not pay (two one-thread blocks: 1.82 ms
/// without the copy, 1.95 ms with it, at 1024 × 1024 × 256 in f32). (Those figures are from an
/// Intel Xeon VM; on the AMD EPYC VM the layouts are within 2% and the copy costs 1.5–2.3% of
/// the step: docs/nn.md.)
pub const TRANSPOSE_MIN_MACS: usize = 1 << 27;

/// The first `rows × cols` of `buf` as a column-major matrix.
fn view<T>(buf: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_column_major_slice(&buf[..rows * cols], rows, cols)
}

fn view_mut<T>(buf: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_column_major_slice_mut(&mut buf[..rows * cols], rows, cols)
}

/// Index (column-major) of the first NaN or infinity of `m`.
fn first_non_finite_mat<T: Float>(m: MatRef<'_, T>) -> Option<usize> {
    (0..m.ncols()).find_map(|j| {
        let col = m.col(j);
        let at = match col.try_as_col_major() {
            Some(c) => first_non_finite(c.as_slice()),
            None => (0..col.nrows()).find(|&i| !col[i].is_finite()),
        };
        at.map(|i| i + j * m.nrows())
    })
}

fn check_matrix<T: Float>(what: &'static str, m: MatRef<'_, T>, rows: usize, cols: usize) -> Result<(), NnError> {
    if m.shape() != (rows, cols) {
        return Err(NnError::ShapeMismatch { what, expected: (rows, cols), got: m.shape() });
    }
    match first_non_finite_mat(m) {
        Some(index) => Err(NnError::NonFinite { what, index }),
        None => Ok(()),
    }
}

impl<T: Float> Network<T> {
    /// A network with the seeded initialisation of [`initialise`].
    pub fn new(spec: Spec, seed: u64) -> Self {
        let mut params = vec![T::ZERO; spec.num_params()];
        initialise(&spec, seed, &mut params);
        Self { spec, params }
    }

    /// A network with the given parameters (checked for length and finiteness).
    pub fn from_params(spec: Spec, params: Vec<T>) -> Result<Self, NnError> {
        if params.len() != spec.num_params() {
            return Err(NnError::LengthMismatch { what: "params", expected: spec.num_params(), got: params.len() });
        }
        let net = Self { spec, params };
        net.check_params()?;
        Ok(net)
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The parameter buffer, laid out as [`Spec`] documents.
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// The parameter buffer, for a host to write in place.
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    pub(super) fn spec_and_params_mut(&mut self) -> (&Spec, &mut [T]) {
        (&self.spec, &mut self.params)
    }

    /// `W_l`, `n_{l+1} × n_l`.
    pub fn weights(&self, l: usize) -> MatRef<'_, T> {
        let d = self.spec.layers()[l];
        view(&self.params[self.spec.weights_offset(l)..], d.outputs, d.inputs)
    }

    /// `b_l`.
    pub fn bias(&self, l: usize) -> &[T] {
        let at = self.spec.bias_offset(l);
        &self.params[at..at + self.spec.layers()[l].outputs]
    }

    /// An error naming the first non-finite parameter, if any.
    pub fn check_params(&self) -> Result<(), NnError> {
        match first_non_finite(&self.params) {
            Some(index) => Err(NnError::NonFinite { what: "params", index }),
            None => Ok(()),
        }
    }

    /// The outputs `n_L × B` for the inputs `n_0 × B` (any strides; column-major is fastest).
    pub fn predict<'w>(&self, input: MatRef<'_, T>, ws: &'w mut Workspace<T>) -> Result<MatRef<'w, T>, NnError> {
        on_worker(ws.parallel(&self.spec, input.ncols(), false), || {
            let batch = self.check_input(input, ws)?;
            self.check_params()?;
            self.forward(input, ws, false);
            let last = self.spec.layers().len() - 1;
            self.check_outputs(&ws.out[last][..self.spec.outputs() * batch])?;
            Ok(view(&ws.out[last], self.spec.outputs(), batch))
        })
    }

    /// The loss of a batch and its gradient: `grad` (laid out as the parameters) receives
    /// `∂L/∂θ`, and `input_grad` (if given, `n_0 × B`) receives `∂L/∂X`.
    pub fn loss_gradient(
        &self,
        input: MatRef<'_, T>,
        targets: Targets<'_, T>,
        ws: &mut Workspace<T>,
        grad: &mut [T],
        input_grad: Option<MatMut<'_, T>>,
    ) -> Result<f64, NnError> {
        on_worker(ws.parallel(&self.spec, input.ncols(), true), || {
            let loss = self.loss_forward(input, targets, ws, grad, input_grad.as_ref().map(|g| g.shape()))?;
            self.backward(input, ws, grad, input_grad);
            Ok(loss)
        })
    }

    /// The vector-Jacobian product of the network: with `upstream = ∂E/∂Y` (`n_L × B`) for
    /// some function `E` of the outputs `Y`, `grad` receives `∂E/∂θ` and `input_grad` (if
    /// given) `∂E/∂X` (for example forces, `−∂E/∂X`, of a surrogate energy).
    pub fn vjp(
        &self,
        input: MatRef<'_, T>,
        upstream: MatRef<'_, T>,
        ws: &mut Workspace<T>,
        grad: &mut [T],
        input_grad: Option<MatMut<'_, T>>,
    ) -> Result<(), NnError> {
        let n = self.spec.outputs();
        on_worker(ws.parallel(&self.spec, input.ncols(), true), || {
            self.forward_and_seed(
                input,
                ws,
                grad,
                input_grad.as_ref().map(|g| g.shape()),
                |batch| check_matrix("upstream", upstream, n, batch),
                |_, dy| view_mut(dy, n, upstream.ncols()).copy_from(upstream),
            )?;
            self.backward(input, ws, grad, input_grad);
            Ok(())
        })
    }

    /// The loss of a batch, with everything the backward pass needs left in `ws` (and the
    /// shapes of `grad` and of the input gradient, if there is one, checked): the first half of
    /// [`Self::loss_gradient`], whose second half is [`Self::backward_layer`] for every layer
    /// from the last to the first.
    pub(super) fn loss_forward(
        &self,
        input: MatRef<'_, T>,
        targets: Targets<'_, T>,
        ws: &mut Workspace<T>,
        grad: &[T],
        input_grad: Option<(usize, usize)>,
    ) -> Result<f64, NnError> {
        let (loss, n) = (self.spec.loss(), self.spec.outputs());
        self.forward_and_seed(
            input,
            ws,
            grad,
            input_grad,
            |batch| check_targets(loss, &targets, n, batch),
            |y, dy| loss_gradient(loss, y, n, &targets, dy),
        )
    }

    /// Checks the arguments (`check` those specific to the caller, given the batch), runs the
    /// forward pass and lets `seed` write `∂/∂Y` from the outputs `Y`.
    fn forward_and_seed<R>(
        &self,
        input: MatRef<'_, T>,
        ws: &mut Workspace<T>,
        grad: &[T],
        input_grad: Option<(usize, usize)>,
        check: impl FnOnce(usize) -> Result<(), NnError>,
        seed: impl FnOnce(&[T], &mut [T]) -> R,
    ) -> Result<R, NnError> {
        let batch = self.check_input(input, ws)?;
        check(batch)?;
        self.check_grads(grad, input_grad, batch)?;
        self.check_params()?;
        self.forward(input, ws, true);
        let last = self.spec.layers().len() - 1;
        let m = self.spec.outputs() * batch;
        self.check_outputs(&ws.out[last][..m])?;
        Ok(seed(&ws.out[last][..m], &mut ws.dz[last][..m]))
    }

    /// Every layer of the backward pass, from the last to the first.
    fn backward(&self, input: MatRef<'_, T>, ws: &mut Workspace<T>, grad: &mut [T], mut input_grad: Option<MatMut<'_, T>>) {
        for l in (0..self.spec.layers().len()).rev() {
            self.backward_layer(l, input, ws, grad, if l == 0 { input_grad.take() } else { None });
        }
    }

    fn check_input(&self, input: MatRef<'_, T>, ws: &Workspace<T>) -> Result<usize, NnError> {
        let batch = input.ncols();
        if batch == 0 {
            return Err(NnError::EmptyBatch);
        }
        if batch > ws.max_batch {
            return Err(NnError::BatchTooLarge { batch, max: ws.max_batch });
        }
        let shapes_match = ws.out.len() == self.spec.layers().len()
            && ws.out.iter().zip(self.spec.layers()).all(|(o, d)| o.len() == d.outputs * ws.max_batch);
        if !shapes_match {
            return Err(NnError::WorkspaceMismatch);
        }
        check_matrix("input", input, self.spec.inputs(), batch)?;
        Ok(batch)
    }

    fn check_grads(&self, grad: &[T], input_grad: Option<(usize, usize)>, batch: usize) -> Result<(), NnError> {
        if grad.len() != self.spec.num_params() {
            return Err(NnError::LengthMismatch { what: "grad", expected: self.spec.num_params(), got: grad.len() });
        }
        match input_grad {
            Some(shape) if shape != (self.spec.inputs(), batch) => Err(NnError::ShapeMismatch {
                what: "input_grad",
                expected: (self.spec.inputs(), batch),
                got: shape,
            }),
            _ => Ok(()),
        }
    }

    /// Non-finite outputs from finite inputs and parameters mean overflow.
    fn check_outputs(&self, y: &[T]) -> Result<(), NnError> {
        match first_non_finite(y) {
            None => Ok(()),
            Some(index) => Err(NnError::NonFinite { what: "outputs", index }),
        }
    }

    /// `A_l = f_l(W_l A_{l−1} + b_l)` for every layer, into the workspace (with `Z_l` where
    /// the backward pass needs it and `keep` asks); on several threads each task computes a
    /// block of rows of `Z_l` and then of `A_l`.
    fn forward(&self, input: MatRef<'_, T>, ws: &mut Workspace<T>, keep: bool) {
        let batch = input.ncols();
        for (l, &d) in self.spec.layers().iter().enumerate() {
            let parts = tasks(ws.threads, d.outputs * d.inputs * batch);
            let (done, rest) = ws.out.split_at_mut(l);
            let out = view_mut(&mut rest[0], d.outputs, batch);
            let x = if l == 0 { input } else { view(&done[l - 1], d.inputs, batch) };
            let pre = (keep && d.activation.needs_preactivation()).then(|| view_mut(&mut ws.pre[l], d.outputs, batch));
            let (w, bias) = (self.weights(l), self.bias(l));
            in_row_blocks(parts, 0, out, pre, &|rows, mut out, pre| {
                matmul(out.as_mut(), Accum::Replace, w.subrows(rows.start, rows.len()), x, T::ONE, Par::Seq);
                bias_activation(d.activation, &bias[rows], out, pre);
            });
        }
    }

    /// What layer `l`'s activation derivative is computed from (see [`activation_backward`]):
    /// its pre-activation or its output, `n_{l+1} × batch`.
    fn derivative_source<'a>(&self, l: usize, out: &'a [Vec<T>], pre: &'a [Vec<T>], batch: usize) -> MatRef<'a, T> {
        let d = self.spec.layers()[l];
        let buf = if d.activation.needs_preactivation() { &pre[l] } else { &out[l] };
        view(buf, d.outputs, batch)
    }

    /// Layer `l` of the backward pass, after layers `l + 1, …` (from `∂L/∂A_L` in `ws.dz[L−1]`
    /// for the last): `∂L/∂Z_l`, layer `l`'s parameter gradient, and `∂L/∂A_{l−1}` (or, for
    /// `l = 0`, the input gradient if asked for). Reads `W_l` and no later layer's parameters.
    ///
    /// The weight gradient and `∂L/∂A_{l−1}` are independent products of the same size; on
    /// several threads, when they are large ([`PARALLEL_MIN_MACS`]), each is cut into row
    /// blocks over all the tasks, one product after the other, or, where one of them has too
    /// few rows for that, half of the tasks do one and half the other ([`weight_tasks`]); the
    /// first layer's weight gradient alone, when no input gradient is asked for, gets them all.
    pub(super) fn backward_layer(&self, l: usize, input: MatRef<'_, T>, ws: &mut Workspace<T>, grad: &mut [T], input_grad: Option<MatMut<'_, T>>) {
        let batch = input.ncols();
        let layers = self.spec.layers();
        let d = layers[l];
        let n = d.outputs * batch;
        let has_input_side = l > 0 || input_grad.is_some();
        let parts = tasks(ws.threads, backward_macs(d.outputs * d.inputs * batch, has_input_side));
        let Workspace { out, dz, pre, input_t, .. } = ws;
        let (out, pre) = (&*out, &*pre);
        if l == layers.len() - 1 {
            activation_backward(d.activation, self.derivative_source(l, out, pre, batch), view_mut(&mut dz[l], d.outputs, batch));
        }
        let (below, from) = dz.split_at_mut(l);
        let dz_l: &[T] = &from[0][..n];
        let dz = view(dz_l, d.outputs, batch);
        let x = if l == 0 { input } else { view(&out[l - 1], d.inputs, batch) };
        let (gw, gb) = grad[self.spec.layer_params(l)].split_at_mut(d.inputs * d.outputs);
        // ∂W_l = ∂Z_l A_{l−1}ᵀ (from the transposed copy where there is one) and ∂b_l = ∂Z_l 1.
        let input_t = &mut input_t[l];
        let mut weight_gradient = move |parts: usize| {
            let xt = match input_t.get_mut(..batch * d.inputs) {
                Some(buf) if parts == 1 => {
                    transpose_into(x, view_mut(buf, batch, d.inputs));
                    view(buf, batch, d.inputs)
                }
                _ => x.transpose(),
            };
            let gb = view_mut(gb, d.outputs, 1);
            in_row_blocks(parts, 0, view_mut(gw, d.outputs, d.inputs), Some(gb), &|rows, gw, gb| {
                let dz = dz.subrows(rows.start, rows.len());
                matmul(gw, Accum::Replace, dz, xt, T::ONE, Par::Seq);
                let gb = gb.expect("bias block").col_mut(0).try_as_col_major_mut().expect("contiguous").as_slice_mut();
                column_sum(dz, gb);
            });
        };
        // ∂A_{l−1} = f'_{l−1} ⊙ W_lᵀ ∂Z_l, or for the first layer ∂L/∂X = W_0ᵀ ∂Z_0 if asked for.
        let wt = self.weights(l).transpose();
        let below = below.last_mut().map(|b| view_mut(b, d.inputs, batch));
        // The destination, and for l > 0 the activation f_{l−1} with what f' is computed from.
        let input_dst = match (below, input_grad) {
            (Some(below), _) => Some((below, Some((layers[l - 1].activation, self.derivative_source(l - 1, out, pre, batch))))),
            (None, g) => g.map(|g| (g, None)),
        };
        let input_side = input_dst.map(|(dst, derivative)| move |parts: usize| {
            in_row_blocks(parts, 0, dst, None, &|rows, mut dst, _| {
                matmul(dst.as_mut(), Accum::Replace, wt.subrows(rows.start, rows.len()), dz, T::ONE, Par::Seq);
                if let Some((act, v)) = derivative {
                    activation_backward(act, v.subrows(rows.start, rows.len()), dst);
                }
            });
        });
        let w_parts = weight_tasks(parts, d, input_side.is_some());
        match input_side {
            Some(input_side) if w_parts < parts => {
                rayon::join(|| weight_gradient(w_parts), || input_side(parts - w_parts));
            }
            Some(input_side) => {
                weight_gradient(parts);
                input_side(parts);
            }
            None => weight_gradient(parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Activation, Loss};

    fn spec(sizes: &[usize]) -> Spec {
        let layers = sizes.windows(2).map(|w| Dense { inputs: w[0], outputs: w[1], activation: Activation::Relu }).collect();
        Spec::new(layers, Loss::SoftmaxCrossEntropy).expect("a valid spec")
    }

    /// Small products never reach the pool (a hand-off costs more than they do), and a call
    /// enters it only when some product is cut into tasks.
    #[test]
    fn small_work_stays_on_the_calling_thread() {
        assert_eq!(tasks(2, PARALLEL_MIN_MACS - 1), 1);
        assert_eq!(tasks(2, PARALLEL_MIN_MACS), 2);
        assert_eq!(tasks(1, usize::MAX), 1);
        let small = spec(&[64, 128, 10]);
        let ws = Workspace::<f32>::new(&small, 32, 2).expect("valid");
        assert!(!ws.parallel(&small, 32, false) && !ws.parallel(&small, 32, true));
        let large = spec(&[784, 1024, 1024, 10]);
        let ws = Workspace::<f32>::new(&large, 256, 2).expect("valid");
        assert!(ws.parallel(&large, 256, false) && ws.parallel(&large, 256, true));
        // One sample: at most 2·1024² multiply-adds per layer, below the threshold.
        assert!(!ws.parallel(&large, 1, true));
        assert!(!Workspace::<f32>::new(&large, 256, 1).expect("valid").parallel(&large, 256, true));
        // A batch far beyond any workspace saturates instead of overflowing.
        assert!(ws.parallel(&large, usize::MAX, true));
    }
}
