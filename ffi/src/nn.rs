//! C entry points of the dense network engine (`tessera::nn`): a network handle holding the
//! spec, the parameters, the workspace of the passes, the last gradient and an optimiser.
//!
//! Batches are `n × B` matrices, one sample per column (a C array of `B` samples of `n` values
//! is the column-major view `tsr_matref_f32_colmajor(x, n, B, n)`). The parameters live in the
//! handle, in the layout of docs/nn.md; `tsr_nn_params_*` and `tsr_nn_layer_params_*` give
//! pointers into them, valid until the handle is freed, for a host to read and write in place.
//! On any argument error nothing is written (neither outputs nor the handle's parameters).

use crate::buffer::{self, check_disjoint, span, OutputStruct, Span};
use crate::error::{Error, Result};
use crate::handle::{self, Handle, HandleHeader};
use crate::options::{self, Options};
use crate::status::*;
use crate::threads;
use crate::view::*;
use core::ffi::c_char;
use faer::{MatMut, MatRef};
use tessera_core::nn::{
    Adam, AdamOptions, Float, Network, NnError, Optimiser, PathSgd, PathSgdOptions, Sgd, SgdOptions, Spec, Targets, Trainer,
};

/// Element type `float` (the parameter file's precision code 1).
pub const TSR_NN_F32: u32 = 1;
/// Element type `double` (precision code 2).
pub const TSR_NN_F64: u32 = 2;

/// Activation codes (`tessera::nn::Activation`).
pub const TSR_NN_IDENTITY: u32 = 0;
pub const TSR_NN_RELU: u32 = 1;
/// Slope 0.01 for negative arguments.
pub const TSR_NN_LEAKY_RELU: u32 = 2;
pub const TSR_NN_TANH: u32 = 3;
pub const TSR_NN_SIGMOID: u32 = 4;
pub const TSR_NN_SOFTPLUS: u32 = 5;
/// The tanh form of GELU (the default of `jax.nn.gelu`).
pub const TSR_NN_GELU: u32 = 6;

/// `(1/B) sum_b 1/2 ||y_b - t_b||^2` against target values.
pub const TSR_NN_SQUARED_ERROR: u32 = 0;
/// Softmax cross-entropy of the logits against 0-based class labels.
pub const TSR_NN_SOFTMAX_CROSS_ENTROPY: u32 = 1;
/// Binary cross-entropy of `sigmoid(y)` against targets in `[0, 1]`, one per output.
pub const TSR_NN_LOGISTIC: u32 = 2;

/// SGD with momentum: `v <- mu v + g`, `w <- w - eta v`.
pub const TSR_NN_SGD: u32 = 0;
/// Adam with bias corrections (Kingma & Ba 2015).
pub const TSR_NN_ADAM: u32 = 1;
/// Path-SGD: `w <- w - eta g / kappa(w)`, `kappa` of the path norm `phi_p` recomputed every step.
pub const TSR_NN_PATH_SGD: u32 = 2;

/// Options of `tsr_nn_new` and `tsr_nn_load*`. Fill with `tsr_nn_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_nn_options {
    /// `sizeof(tsr_nn_options)`.
    pub struct_size: u32,
    /// `TSR_NN_F32` (default) or `TSR_NN_F64`; ignored by `tsr_nn_load*` (the file decides).
    pub dtype: u32,
    /// Seed of the initialisation (He for ReLU-like layers, Glorot otherwise); default 0.
    pub seed: u64,
    /// Largest batch the passes accept; default 256.
    pub max_batch: i64,
    /// Threads of the large matrix products; 0 (default) follows `tsr_set_num_threads` and the
    /// environment. Products below about 4 million multiply-adds always run on the calling thread.
    pub num_threads: i32,
}

impl Default for tsr_nn_options {
    fn default() -> Self {
        Self { struct_size: core::mem::size_of::<Self>() as u32, dtype: TSR_NN_F32, seed: 0, max_batch: 256, num_threads: 0 }
    }
}

impl Options for tsr_nn_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_nn_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_nn_options_default(options: *mut tsr_nn_options) -> tsr_status {
    options::write_default(options)
}

/// The optimiser of `tsr_nn_step_*` and `tsr_nn_train_step_*`. Fill with
/// `tsr_nn_optimiser_options_default`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_nn_optimiser_options {
    /// `sizeof(tsr_nn_optimiser_options)`.
    pub struct_size: u32,
    /// `TSR_NN_SGD`, `TSR_NN_ADAM` (default) or `TSR_NN_PATH_SGD`.
    pub kind: u32,
    /// Step size; 0 (default) takes the kind's default: 0.01 (SGD, Path-SGD), 0.001 (Adam).
    pub learning_rate: f64,
    /// SGD momentum `mu` in `[0, 1)`; default 0.9.
    pub momentum: f64,
    /// Adam `beta1`, `beta2` in `[0, 1)` and `epsilon > 0`; defaults 0.9, 0.999, 1e-8.
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    /// Path-SGD exponent `p >= 1`; default 2.
    pub path_p: f64,
}

impl Default for tsr_nn_optimiser_options {
    fn default() -> Self {
        let adam = AdamOptions::default();
        Self {
            struct_size: core::mem::size_of::<Self>() as u32,
            kind: TSR_NN_ADAM,
            learning_rate: 0.0,
            momentum: SgdOptions::default().momentum,
            beta1: adam.beta1,
            beta2: adam.beta2,
            epsilon: adam.epsilon,
            path_p: PathSgdOptions::default().p,
        }
    }
}

impl Options for tsr_nn_optimiser_options {
    const MIN_SIZE: usize = core::mem::size_of::<Self>();
    const NAME: &'static str = "tsr_nn_optimiser_options";
}

/// Fills `options` with the defaults.
#[no_mangle]
pub extern "C" fn tsr_nn_optimiser_options_default(options: *mut tsr_nn_optimiser_options) -> tsr_status {
    options::write_default(options)
}

/// What a network is. Set `struct_size = sizeof(tsr_nn_info)` before `tsr_nn_get_info`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct tsr_nn_info {
    /// Set by the caller to `sizeof(tsr_nn_info)`; only that many bytes are written.
    pub struct_size: u32,
    /// `TSR_NN_F32` or `TSR_NN_F64`.
    pub dtype: u32,
    /// The loss code.
    pub loss: u32,
    /// The optimiser kind in use.
    pub optimiser: u32,
    /// Number of layers `L` (the sizes are `n_0, ..., n_L`).
    pub nlayers: i64,
    /// `n_0`.
    pub inputs: i64,
    /// `n_L`.
    pub outputs: i64,
    /// Length of the parameter buffer.
    pub num_params: i64,
    /// Largest batch accepted.
    pub max_batch: i64,
    /// Threads of the large products.
    pub num_threads: i64,
}

impl OutputStruct for tsr_nn_info {
    const NAME: &'static str = "tsr_nn_info";
}

enum Model {
    F32(Trainer<f32>),
    F64(Trainer<f64>),
}

/// A network with its parameters, workspace, last gradient and optimiser. Opaque; one thread
/// at a time.
pub struct tsr_nn {
    header: HandleHeader,
    model: Model,
    optimiser: u32,
}

impl Handle for tsr_nn {
    const MAGIC: u64 = 0x7473_725f_6e6e_6574; // "tsr_nnet"
    const KIND: &'static str = "tsr_nn";
    fn header(&self) -> &HandleHeader {
        &self.header
    }
    fn header_mut(&mut self) -> &mut HandleHeader {
        &mut self.header
    }
}

pub(crate) fn nn_error(e: NnError) -> Error {
    use NnError::*;
    let status = match &e {
        NoLayers | ZeroSize { .. } | TooLarge | EmptyBatch | BatchTooLarge { .. } => TSR_ERR_BAD_EXTENT,
        SizesDoNotChain { .. } | LengthMismatch { .. } | ShapeMismatch { .. } => TSR_ERR_SHAPE_MISMATCH,
        UnknownActivation(_) | UnknownLoss(_) => TSR_ERR_INVALID_ENUM,
        NonFinite { .. } => TSR_ERR_NON_FINITE,
        LabelOutOfRange { .. } | TargetOutOfRange { .. } => TSR_ERR_DOMAIN,
        WrongTargets { .. } | InvalidParameter { .. } => TSR_ERR_INVALID_PARAMETER,
        Truncated { .. } | BadMagic | UnsupportedVersion(_) | ChecksumMismatch | TrailingBytes(_) => TSR_ERR_BAD_DATA,
        WrongDtype { .. } => TSR_ERR_WRONG_DTYPE,
        Io(_) => TSR_ERR_IO,
        WorkspaceMismatch => TSR_ERR_INTERNAL,
    };
    Error::new(status, e.to_string())
}

/// The element types of the entry points, and the model of that type inside a handle.
trait Elem: Float {
    const NAME: &'static str;
    fn trainer(model: &mut Model) -> Option<&mut Trainer<Self>>;
    fn wrap(trainer: Trainer<Self>) -> Model;
}

impl Elem for f32 {
    const NAME: &'static str = "f32";
    fn trainer(model: &mut Model) -> Option<&mut Trainer<f32>> {
        match model {
            Model::F32(t) => Some(t),
            Model::F64(_) => None,
        }
    }
    fn wrap(trainer: Trainer<f32>) -> Model {
        Model::F32(trainer)
    }
}

impl Elem for f64 {
    const NAME: &'static str = "f64";
    fn trainer(model: &mut Model) -> Option<&mut Trainer<f64>> {
        match model {
            Model::F64(t) => Some(t),
            Model::F32(_) => None,
        }
    }
    fn wrap(trainer: Trainer<f64>) -> Model {
        Model::F64(trainer)
    }
}

impl Model {
    fn dtype(&self) -> u32 {
        match self {
            Model::F32(_) => TSR_NN_F32,
            Model::F64(_) => TSR_NN_F64,
        }
    }

    fn spec(&self) -> &Spec {
        match self {
            Model::F32(t) => t.network().spec(),
            Model::F64(t) => t.network().spec(),
        }
    }

    fn threads(&self) -> usize {
        match self {
            Model::F32(t) => t.workspace().threads(),
            Model::F64(t) => t.workspace().threads(),
        }
    }

    fn max_batch(&self) -> usize {
        match self {
            Model::F32(t) => t.workspace().max_batch(),
            Model::F64(t) => t.workspace().max_batch(),
        }
    }
}

impl tsr_nn {
    /// The typed trainer, or `TSR_ERR_WRONG_DTYPE`.
    fn trainer<T: Elem>(&mut self) -> Result<&mut Trainer<T>> {
        let dtype = if self.model.dtype() == TSR_NN_F32 { "f32" } else { "f64" };
        T::trainer(&mut self.model).ok_or_else(|| {
            Error::new(TSR_ERR_WRONG_DTYPE, format!("the network holds {dtype} parameters; call the _{dtype} function, not _{}", <T as Elem>::NAME))
        })
    }
}

/// An optimiser for `spec` from the C options (0 learning rate: the kind's default).
fn make_optimiser<T: Elem>(spec: &Spec, o: &tsr_nn_optimiser_options) -> Result<Box<dyn Optimiser<T>>> {
    let rate = |default: f64| if o.learning_rate == 0.0 { default } else { o.learning_rate };
    let opt: Box<dyn Optimiser<T>> = match o.kind {
        TSR_NN_SGD => {
            let d = SgdOptions::default();
            Box::new(Sgd::new(spec, SgdOptions { learning_rate: rate(d.learning_rate), momentum: o.momentum }).map_err(nn_error)?)
        }
        TSR_NN_ADAM => {
            let d = AdamOptions::default();
            let a = AdamOptions { learning_rate: rate(d.learning_rate), beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon };
            Box::new(Adam::new(spec, a).map_err(nn_error)?)
        }
        TSR_NN_PATH_SGD => {
            let d = PathSgdOptions::default();
            Box::new(PathSgd::new(spec, PathSgdOptions { learning_rate: rate(d.learning_rate), p: o.path_p }).map_err(nn_error)?)
        }
        k => return Err(Error::new(TSR_ERR_INVALID_ENUM, format!("optimiser kind = {k} is not a TSR_NN_* optimiser"))),
    };
    Ok(opt)
}

/// Batch size and threads from the options.
fn sizes_of(o: &tsr_nn_options) -> Result<(usize, usize)> {
    if o.max_batch < 1 {
        return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("max_batch = {} must be at least 1", o.max_batch)));
    }
    if o.num_threads < 0 {
        return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("num_threads = {} is negative", o.num_threads)));
    }
    Ok((o.max_batch as usize, threads::resolve(o.num_threads)))
}

/// A handle around `network` with the default optimiser.
fn make_handle<T: Elem>(network: Network<T>, o: &tsr_nn_options) -> Result<tsr_nn> {
    let (max_batch, threads) = sizes_of(o)?;
    let defaults = tsr_nn_optimiser_options::default();
    let optimiser = make_optimiser::<T>(network.spec(), &defaults)?;
    let trainer = Trainer::new(network, optimiser, max_batch, threads).map_err(nn_error)?;
    Ok(tsr_nn { header: HandleHeader::new::<tsr_nn>(), model: T::wrap(trainer), optimiser: defaults.kind })
}

/// Creates a network of `nlayers` dense layers `sizes[l] -> sizes[l + 1]`, each followed by
/// `activations[l]` (`TSR_NN_*` codes), trained on `loss`; parameters initialised from
/// `options->seed`. The optimiser is Adam with its defaults until `tsr_nn_set_optimiser`.
/// `options` may be NULL. Free with `tsr_nn_free`.
/// Shapes: sizes: nlayers+1; activations: nlayers.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_new(
    nlayers: i64,
    sizes: *const i64,
    activations: *const u32,
    loss: u32,
    options: *const tsr_nn_options,
    out: *mut *mut tsr_nn,
) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            if nlayers < 1 {
                return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("nlayers = {nlayers} must be at least 1")));
            }
            let n = nlayers as usize;
            let mut inputs = Vec::new();
            let sizes = unsafe { buffer::input("sizes", sizes, n.checked_add(1).ok_or_else(|| Error::new(TSR_ERR_BAD_EXTENT, "nlayers overflows"))?, &mut inputs)? };
            let activations = unsafe { buffer::input("activations", activations, n, &mut inputs)? };
            if let Some((l, &s)) = sizes.iter().enumerate().find(|(_, &s)| s < 1) {
                return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("sizes[{l}] = {s}: every layer needs at least one unit")));
            }
            let sizes: Vec<usize> = sizes.iter().map(|&s| s as usize).collect();
            let spec = Spec::from_codes(&sizes, activations, loss).map_err(nn_error)?;
            let o = unsafe { options::read(options)? };
            match o.dtype {
                TSR_NN_F32 => make_handle(Network::<f32>::new(spec, o.seed), &o),
                TSR_NN_F64 => make_handle(Network::<f64>::new(spec, o.seed), &o),
                d => Err(Error::new(TSR_ERR_INVALID_ENUM, format!("dtype = {d} is not TSR_NN_F32 or TSR_NN_F64"))),
            }
        })
    })
}

/// Frees a network; NULL is a no-op. Pointers from `tsr_nn_params_*` die with it.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_free(net: *mut tsr_nn) {
    unsafe { handle::free(net) }
}

/// Message of the last failed call on `net` (`""` after a success, or for a NULL handle).
#[no_mangle]
pub extern "C" fn tsr_nn_last_error_message(net: *const tsr_nn) -> *const c_char {
    match unsafe { handle::borrow(net) } {
        Ok(h) => h.header.last_error_ptr(),
        Err(_) => c"".as_ptr(),
    }
}

/// Writes the network's summary to `info`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_get_info(net: *const tsr_nn, info: *mut tsr_nn_info) -> tsr_status {
    handle::boundary_on(net, |h| {
        if info.is_null() {
            return Err(Error::new(TSR_ERR_NULL_POINTER, "`info` is NULL"));
        }
        unsafe { buffer::info_span(info, "info")? };
        let spec = h.model.spec();
        let summary = tsr_nn_info {
            struct_size: 0,
            dtype: h.model.dtype(),
            loss: spec.loss() as u32,
            optimiser: h.optimiser,
            nlayers: spec.layers().len() as i64,
            inputs: spec.inputs() as i64,
            outputs: spec.outputs() as i64,
            num_params: spec.num_params() as i64,
            max_batch: h.model.max_batch() as i64,
            num_threads: h.model.threads() as i64,
        };
        unsafe { buffer::write_info(info, summary) };
        Ok(())
    })
}

/// Writes the layer sizes `n_0..n_L` and activation codes of the network (`nlayers` must be its
/// number of layers, from `tsr_nn_get_info`).
/// Shapes: sizes: nlayers+1; activations: nlayers.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_layers(net: *const tsr_nn, nlayers: i64, sizes: *mut i64, activations: *mut u32) -> tsr_status {
    handle::boundary_on(net, |h| {
        let layers = h.model.spec().layers();
        if nlayers != layers.len() as i64 {
            return Err(Error::new(TSR_ERR_SHAPE_MISMATCH, format!("nlayers = {nlayers}, the network has {} layers", layers.len())));
        }
        let outs = [span("sizes", sizes.cast_const(), layers.len() + 1)?, span("activations", activations.cast_const(), layers.len())?];
        check_disjoint(&[], &outs)?;
        for (l, d) in layers.iter().enumerate() {
            // SAFETY: validated, disjoint outputs of `nlayers + 1` and `nlayers` elements.
            unsafe {
                sizes.add(l).write(d.inputs as i64);
                activations.add(l).write(d.activation as u32);
            }
        }
        unsafe { sizes.add(layers.len()).write(layers[layers.len() - 1].outputs as i64) };
        Ok(())
    })
}

/// Replaces the optimiser (its state, e.g. Adam's moments, starts afresh). `options` may be NULL
/// (Adam with its defaults).
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_set_optimiser(net: *mut tsr_nn, options: *const tsr_nn_optimiser_options) -> tsr_status {
    handle::boundary_on_mut(net, |h| {
        let o = unsafe { options::read(options)? };
        match &mut h.model {
            Model::F32(t) => {
                let opt = make_optimiser::<f32>(t.network().spec(), &o)?;
                t.set_optimiser(opt)
            }
            Model::F64(t) => {
                let opt = make_optimiser::<f64>(t.network().spec(), &o)?;
                t.set_optimiser(opt)
            }
        }
        h.optimiser = o.kind;
        Ok(())
    })
}

/// The span of the handle's parameter buffer, for the aliasing checks of outputs.
fn params_span<T: Elem>(t: &Trainer<T>) -> Span {
    let p = t.network().params();
    Span { name: "the network's parameters".into(), start: p.as_ptr() as usize, bytes: core::mem::size_of_val(p) }
}

/// The span of the handle's gradient buffer, which backward passes write.
fn gradient_span<T: Elem>(t: &Trainer<T>) -> Span {
    let g = t.gradient();
    Span { name: "the network's gradient".into(), start: g.as_ptr() as usize, bytes: core::mem::size_of_val(g) }
}

fn view_span<T>(name: &str, v: &Checked<T>) -> Span {
    let (lo, hi) = v.byte_range();
    Span { name: name.into(), start: lo, bytes: hi - lo }
}

/// Targets of a gradient pass from the C arguments: labels for softmax cross-entropy, a value
/// view otherwise (the other one must be absent).
///
/// # Safety
/// `labels` is NULL or points to `batch` readable `uint32_t`.
unsafe fn targets<'a, T: Elem>(
    spec: &Spec,
    batch: usize,
    values: RawView<T>,
    labels: *const u32,
    inputs: &mut Vec<Span>,
) -> Result<Targets<'a, T>> {
    use tessera_core::nn::Loss;
    let values_given = values.nrows != 0 || values.ncols != 0;
    if spec.loss() == Loss::SoftmaxCrossEntropy {
        if values_given {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, "the softmax cross-entropy loss takes `labels`; pass an empty `targets` view"));
        }
        Ok(Targets::Labels(unsafe { buffer::input("labels", labels, batch, inputs)? }))
    } else {
        if !labels.is_null() {
            return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("the {} loss takes `targets`; pass NULL `labels`", spec.loss().name())));
        }
        let v = values.check("targets", false)?;
        inputs.push(view_span("targets", &v));
        Ok(Targets::Values(unsafe { v.as_ref() }))
    }
}

/// The checked input view and its span.
fn input_view<T>(name: &str, raw: RawView<T>, inputs: &mut Vec<Span>) -> Result<Checked<T>> {
    let v = raw.check(name, false)?;
    inputs.push(view_span(name, &v));
    Ok(v)
}

/// An optional output view (an empty view means "not wanted"): checked writable, with its span.
fn optional_output<T>(name: &str, raw: RawView<T>, outputs: &mut Vec<Span>) -> Result<Option<Checked<T>>> {
    if raw.nrows == 0 && raw.ncols == 0 {
        return Ok(None);
    }
    let v = raw.check(name, true)?;
    outputs.push(view_span(name, &v));
    Ok(Some(v))
}

/// Runs `f` on the trainer with the handle's threads (inside the library's pool when > 1).
fn run<T: Elem, R: Send>(t: &mut Trainer<T>, f: impl FnOnce(&mut Trainer<T>) -> R + Send) -> Result<R> {
    let threads = t.workspace().threads();
    threads::run(threads, |_| f(t))
}

fn forward<T: Elem>(h: &mut tsr_nn, input: RawView<T>, output: RawView<T>) -> Result {
    let t = h.trainer::<T>()?;
    let mut inputs = vec![];
    let x = input_view("input", input, &mut inputs)?;
    let out = output.check("output", true)?;
    inputs.push(params_span(t));
    check_disjoint(&inputs, &[view_span("output", &out)])?;
    let spec = t.network().spec();
    if (out.nrows, out.ncols) != (spec.outputs(), x.ncols) {
        return Err(Error::new(
            TSR_ERR_SHAPE_MISMATCH,
            format!("`output` is {} x {}, expected {} x {} (outputs x batch)", out.nrows, out.ncols, spec.outputs(), x.ncols),
        ));
    }
    let (x, mut out) = unsafe { (x.as_ref(), out.as_mut()) };
    run(t, |t| {
        let (net, ws) = t.parts();
        let y = net.predict(x, ws)?;
        out.copy_from(y);
        Ok(())
    })?
    .map_err(nn_error)
}

fn backward<T: Elem>(h: &mut tsr_nn, input: RawView<T>, values: RawView<T>, labels: *const u32, input_grad: RawView<T>, loss: *mut f64) -> Result {
    let t = h.trainer::<T>()?;
    let mut inputs = vec![];
    let x = input_view("input", input, &mut inputs)?;
    let targets = unsafe { targets(t.network().spec(), x.ncols, values, labels, &mut inputs)? };
    let mut outputs = vec![];
    let gx = optional_output("input_grad", input_grad, &mut outputs)?;
    if !loss.is_null() {
        outputs.push(span("loss", loss.cast_const(), 1)?);
    }
    inputs.push(params_span(t));
    outputs.push(gradient_span(t));
    check_disjoint(&inputs, &outputs)?;
    let (x, gx): (MatRef<'_, T>, Option<MatMut<'_, T>>) = unsafe { (x.as_ref(), gx.map(|g| g.as_mut())) };
    let value = run(t, |t| t.backward(x, targets, gx))?.map_err(nn_error)?;
    if !loss.is_null() {
        // SAFETY: validated, disjoint output of one element.
        unsafe { loss.write(value) };
    }
    Ok(())
}

fn vjp<T: Elem>(h: &mut tsr_nn, input: RawView<T>, upstream: RawView<T>, input_grad: RawView<T>) -> Result {
    let t = h.trainer::<T>()?;
    let mut inputs = vec![];
    let x = input_view("input", input, &mut inputs)?;
    let up = input_view("upstream", upstream, &mut inputs)?;
    let mut outputs = vec![];
    let gx = optional_output("input_grad", input_grad, &mut outputs)?;
    inputs.push(params_span(t));
    outputs.push(gradient_span(t));
    check_disjoint(&inputs, &outputs)?;
    let (x, up, gx) = unsafe { (x.as_ref(), up.as_ref(), gx.map(|g| g.as_mut())) };
    run(t, |t| t.vjp(x, up, gx))?.map_err(nn_error)
}

fn step<T: Elem>(h: &mut tsr_nn, grad: *const T, len: i64) -> Result {
    let t = h.trainer::<T>()?;
    if grad.is_null() && len == 0 {
        return run(t, |t| t.apply(None))?.map_err(nn_error);
    }
    let n = t.network().spec().num_params();
    if len != n as i64 {
        return Err(Error::new(TSR_ERR_SHAPE_MISMATCH, format!("`grad` has length {len}, the network has {n} parameters")));
    }
    // The handle's own gradient buffer (from `tsr_nn_gradient_*`) is the kept gradient.
    if grad == t.gradient().as_ptr() {
        return run(t, |t| t.apply(None))?.map_err(nn_error);
    }
    let mut inputs = vec![];
    let g = unsafe { buffer::input("grad", grad, n, &mut inputs)? };
    check_disjoint(&[params_span(t), gradient_span(t)], &inputs)?;
    run(t, |t| t.apply(Some(g)))?.map_err(nn_error)
}

fn train_step<T: Elem>(h: &mut tsr_nn, input: RawView<T>, values: RawView<T>, labels: *const u32, loss: *mut f64) -> Result {
    let t = h.trainer::<T>()?;
    let mut inputs = vec![];
    let x = input_view("input", input, &mut inputs)?;
    let targets = unsafe { targets(t.network().spec(), x.ncols, values, labels, &mut inputs)? };
    let mut outputs = vec![];
    if !loss.is_null() {
        outputs.push(span("loss", loss.cast_const(), 1)?);
    }
    outputs.push(gradient_span(t));
    outputs.push(params_span(t));
    check_disjoint(&inputs, &outputs)?;
    let x = unsafe { x.as_ref() };
    let value = run(t, |t| t.step(x, targets))?.map_err(nn_error)?;
    if !loss.is_null() {
        // SAFETY: validated, disjoint output of one element.
        unsafe { loss.write(value) };
    }
    Ok(())
}

/// # Safety
/// `params` and `len` are NULL or writable.
unsafe fn params_ptr<T: Elem>(h: &mut tsr_nn, params: *mut *mut T, len: *mut i64) -> Result {
    let t = h.trainer::<T>()?;
    if params.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`params` is NULL"));
    }
    let p = t.network_mut().params_mut();
    unsafe {
        params.write(p.as_mut_ptr());
        if !len.is_null() {
            len.write(p.len() as i64);
        }
    }
    Ok(())
}

/// # Safety
/// `grad` and `len` are NULL or writable.
unsafe fn gradient_ptr<T: Elem>(h: &mut tsr_nn, grad: *mut *const T, len: *mut i64) -> Result {
    let t = h.trainer::<T>()?;
    if grad.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`grad` is NULL"));
    }
    let g = t.gradient();
    unsafe {
        grad.write(g.as_ptr());
        if !len.is_null() {
            len.write(g.len() as i64);
        }
    }
    Ok(())
}

/// The views of layer `layer`'s weights (column-major `n_{l+1} x n_l`) and bias (`n_{l+1} x 1`).
fn layer_views<T: Elem>(h: &mut tsr_nn, layer: i64) -> Result<(*mut T, usize, usize, *mut T)> {
    let t = h.trainer::<T>()?;
    let nl = t.network().spec().layers().len();
    if layer < 0 || layer as usize >= nl {
        return Err(Error::new(TSR_ERR_INVALID_PARAMETER, format!("layer = {layer} is not in 0..{nl}")));
    }
    let l = layer as usize;
    let spec = t.network().spec();
    let (d, w_at, b_at) = (spec.layers()[l], spec.weights_offset(l), spec.bias_offset(l));
    let p = t.network_mut().params_mut().as_mut_ptr();
    // SAFETY: both offsets are inside the parameter buffer (laid out by the spec).
    Ok(unsafe { (p.add(w_at), d.outputs, d.inputs, p.add(b_at)) })
}

/// The outputs `output` (`n_L x B`) of the network on the inputs `input` (`n_0 x B`).
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_forward_f32(net: *mut tsr_nn, input: tsr_matref_f32, output: tsr_matmut_f32) -> tsr_status {
    handle::boundary_on_mut(net, |h| forward::<f32>(h, input.into(), output.into()))
}

/// As `tsr_nn_forward_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_forward_f64(net: *mut tsr_nn, input: tsr_matref_f64, output: tsr_matmut_f64) -> tsr_status {
    handle::boundary_on_mut(net, |h| forward::<f64>(h, input.into(), output.into()))
}

/// The loss of a batch and its gradient, kept in the handle (`tsr_nn_gradient_*`, or
/// `tsr_nn_step_*` with NULL): `targets` (`n_L x B`) for the squared-error and logistic
/// losses with `labels` NULL, or `labels` (`B` 0-based classes) for softmax cross-entropy
/// with `targets` empty (`{NULL, 0, 0, 0, 0}`). `input_grad` (`n_0 x B`) receives `dL/dX`
/// unless empty; `loss` (may be NULL) the batch's mean loss. Parameters are not changed.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_backward_f32(
    net: *mut tsr_nn,
    input: tsr_matref_f32,
    targets: tsr_matref_f32,
    labels: *const u32,
    input_grad: tsr_matmut_f32,
    loss: *mut f64,
) -> tsr_status {
    handle::boundary_on_mut(net, |h| backward::<f32>(h, input.into(), targets.into(), labels, input_grad.into(), loss))
}

/// As `tsr_nn_backward_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_backward_f64(
    net: *mut tsr_nn,
    input: tsr_matref_f64,
    targets: tsr_matref_f64,
    labels: *const u32,
    input_grad: tsr_matmut_f64,
    loss: *mut f64,
) -> tsr_status {
    handle::boundary_on_mut(net, |h| backward::<f64>(h, input.into(), targets.into(), labels, input_grad.into(), loss))
}

/// Vector-Jacobian product: with `upstream = dE/dY` (`n_L x B`) for a function `E` of the
/// outputs, keeps `dE/dtheta` as the handle's gradient and writes `dE/dX` (`n_0 x B`) to
/// `input_grad` unless empty (e.g. forces of a surrogate energy).
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_vjp_f32(net: *mut tsr_nn, input: tsr_matref_f32, upstream: tsr_matref_f32, input_grad: tsr_matmut_f32) -> tsr_status {
    handle::boundary_on_mut(net, |h| vjp::<f32>(h, input.into(), upstream.into(), input_grad.into()))
}

/// As `tsr_nn_vjp_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_vjp_f64(net: *mut tsr_nn, input: tsr_matref_f64, upstream: tsr_matref_f64, input_grad: tsr_matmut_f64) -> tsr_status {
    handle::boundary_on_mut(net, |h| vjp::<f64>(h, input.into(), upstream.into(), input_grad.into()))
}

/// One optimiser update with the gradient `grad` (`len` = number of parameters, finite, laid
/// out as the parameters; e.g. averaged over MPI ranks), or with the handle's kept gradient
/// when `grad` is NULL and `len` is 0 or is the pointer `tsr_nn_gradient_*` gives. `grad` may
/// not overlap the parameters or (other than that) the kept gradient.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_step_f32(net: *mut tsr_nn, grad: *const f32, len: i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| step::<f32>(h, grad, len))
}

/// As `tsr_nn_step_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_step_f64(net: *mut tsr_nn, grad: *const f64, len: i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| step::<f64>(h, grad, len))
}

/// `tsr_nn_backward_*` then `tsr_nn_step_*` on one batch: `loss` (may be NULL) is the loss
/// before the update. Allocates nothing (with one thread).
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_train_step_f32(net: *mut tsr_nn, input: tsr_matref_f32, targets: tsr_matref_f32, labels: *const u32, loss: *mut f64) -> tsr_status {
    handle::boundary_on_mut(net, |h| train_step::<f32>(h, input.into(), targets.into(), labels, loss))
}

/// As `tsr_nn_train_step_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_train_step_f64(net: *mut tsr_nn, input: tsr_matref_f64, targets: tsr_matref_f64, labels: *const u32, loss: *mut f64) -> tsr_status {
    handle::boundary_on_mut(net, |h| train_step::<f64>(h, input.into(), targets.into(), labels, loss))
}

/// Writes a pointer to the handle's parameter buffer to `*params` and its length to `*len`
/// (may be NULL). Read and write it in place between calls; it stays valid until
/// `tsr_nn_free`. The optimiser steps from whatever it holds.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_params_f32(net: *mut tsr_nn, params: *mut *mut f32, len: *mut i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| unsafe { params_ptr::<f32>(h, params, len) })
}

/// As `tsr_nn_params_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_params_f64(net: *mut tsr_nn, params: *mut *mut f64, len: *mut i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| unsafe { params_ptr::<f64>(h, params, len) })
}

/// Writes views into the parameter buffer of layer `layer` (0-based): `weights`
/// (`n_{l+1} x n_l`, column-major: `W[i, j]` is the weight from input `j` to output `i`) and
/// `bias` (`n_{l+1} x 1`). Either may be NULL. Valid until `tsr_nn_free`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_layer_params_f32(net: *mut tsr_nn, layer: i64, weights: *mut tsr_matmut_f32, bias: *mut tsr_matmut_f32) -> tsr_status {
    handle::boundary_on_mut(net, |h| {
        let (w, rows, cols, b) = layer_views::<f32>(h, layer)?;
        let r = rows as i64;
        // SAFETY: NULL or caller-owned structs.
        unsafe {
            if !weights.is_null() {
                weights.write(tsr_matmut_f32 { ptr: w, nrows: r, ncols: cols as i64, row_stride: 1, col_stride: r });
            }
            if !bias.is_null() {
                bias.write(tsr_matmut_f32 { ptr: b, nrows: r, ncols: 1, row_stride: 1, col_stride: r });
            }
        }
        Ok(())
    })
}

/// As `tsr_nn_layer_params_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_layer_params_f64(net: *mut tsr_nn, layer: i64, weights: *mut tsr_matmut_f64, bias: *mut tsr_matmut_f64) -> tsr_status {
    handle::boundary_on_mut(net, |h| {
        let (w, rows, cols, b) = layer_views::<f64>(h, layer)?;
        let r = rows as i64;
        // SAFETY: NULL or caller-owned structs.
        unsafe {
            if !weights.is_null() {
                weights.write(tsr_matmut_f64 { ptr: w, nrows: r, ncols: cols as i64, row_stride: 1, col_stride: r });
            }
            if !bias.is_null() {
                bias.write(tsr_matmut_f64 { ptr: b, nrows: r, ncols: 1, row_stride: 1, col_stride: r });
            }
        }
        Ok(())
    })
}

/// Writes a pointer to the handle's gradient (of the last backward pass, VJP or step; zeros
/// before any) to `*grad` and its length to `*len` (may be NULL). Valid until `tsr_nn_free`;
/// overwritten by the next pass.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_gradient_f32(net: *mut tsr_nn, grad: *mut *const f32, len: *mut i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| unsafe { gradient_ptr::<f32>(h, grad, len) })
}

/// As `tsr_nn_gradient_f32`, for `double`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_gradient_f64(net: *mut tsr_nn, grad: *mut *const f64, len: *mut i64) -> tsr_status {
    handle::boundary_on_mut(net, |h| unsafe { gradient_ptr::<f64>(h, grad, len) })
}

fn to_bytes(h: &tsr_nn) -> Result<Vec<u8>> {
    match &h.model {
        Model::F32(t) => t.network().to_bytes(),
        Model::F64(t) => t.network().to_bytes(),
    }
    .map_err(nn_error)
}

/// Query-then-fill: writes the network in the parameter file format (docs/nn.md) to `buf`
/// (`capacity` bytes) and its length to `*len`. With `buf` NULL and `capacity` 0 only `*len`
/// is written; a `capacity` below the length is `TSR_ERR_BAD_EXTENT` with nothing written
/// but `*len`. A non-finite parameter (written in place by the host) is `TSR_ERR_NON_FINITE`
/// with nothing written: such a file would not load.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_save_bytes(net: *const tsr_nn, buf: *mut u8, capacity: i64, len: *mut i64) -> tsr_status {
    handle::boundary_on(net, |h| {
        if len.is_null() {
            return Err(Error::new(TSR_ERR_NULL_POINTER, "`len` is NULL"));
        }
        if capacity < 0 {
            return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("capacity = {capacity} is negative")));
        }
        let bytes = to_bytes(h)?;
        let out = span("buf", buf.cast_const(), capacity as usize)?;
        check_disjoint(&[], &[out, span("len", len.cast_const(), 1)?])?;
        // SAFETY: non-NULL, aligned, writable by the caller's contract.
        unsafe { len.write(bytes.len() as i64) };
        if buf.is_null() && capacity == 0 {
            return Ok(());
        }
        if (capacity as usize) < bytes.len() {
            return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("capacity = {capacity} bytes, the network needs {}", bytes.len())));
        }
        // SAFETY: validated output of `capacity >= bytes.len()` bytes.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
        Ok(())
    })
}

fn path_of(path: *const c_char) -> Result<std::path::PathBuf> {
    if path.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`path` is NULL"));
    }
    // SAFETY: a NUL-terminated string by the caller's contract.
    let s = unsafe { core::ffi::CStr::from_ptr(path) };
    Ok(std::path::PathBuf::from(std::ffi::OsStr::new(std::str::from_utf8(s.to_bytes()).map_err(|_| {
        Error::new(TSR_ERR_INVALID_PARAMETER, "`path` is not UTF-8")
    })?)))
}

/// Writes the network to the file `path` (NUL-terminated) in the parameter file format,
/// replacing it; a non-finite parameter is `TSR_ERR_NON_FINITE` and the file is not touched.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_save(net: *const tsr_nn, path: *const c_char) -> tsr_status {
    handle::boundary_on(net, |h| {
        let path = path_of(path)?;
        std::fs::write(&path, to_bytes(h)?).map_err(|e| Error::new(TSR_ERR_IO, format!("cannot write {}: {e}", path.display())))
    })
}

/// A handle from the bytes of a parameter file (precision from the file).
fn from_bytes(bytes: &[u8], options: *const tsr_nn_options) -> Result<tsr_nn> {
    let o = unsafe { options::read(options)? };
    // The precision code sits at bytes 12..16 (after the magic and the version).
    let code = bytes.get(12..16).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    match code {
        Some(TSR_NN_F64) => make_handle(Network::<f64>::from_bytes(bytes).map_err(nn_error)?, &o),
        Some(c) if c != TSR_NN_F32 && bytes.starts_with(b"TSRNNPAR") => {
            Err(Error::new(TSR_ERR_BAD_DATA, format!("parameter file has precision code {c}, neither 1 (f32) nor 2 (f64)")))
        }
        // Short or foreign data gets the reader's own error (truncated, bad magic).
        _ => make_handle(Network::<f32>::from_bytes(bytes).map_err(nn_error)?, &o),
    }
}

/// Creates a network from `len` bytes in the parameter file format (as written by
/// `tsr_nn_save_bytes`). `options` (may be NULL) gives `max_batch` and `num_threads`.
/// Truncated, corrupted or foreign data is `TSR_ERR_BAD_DATA`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_load_bytes(bytes: *const u8, len: i64, options: *const tsr_nn_options, out: *mut *mut tsr_nn) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            if len < 0 {
                return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("len = {len} is negative")));
            }
            let data = unsafe { buffer::input("bytes", bytes, len as usize, &mut Vec::new())? };
            from_bytes(data, options)
        })
    })
}

/// Creates a network from the file `path` (NUL-terminated), as `tsr_nn_load_bytes`.
#[no_mangle]
pub unsafe extern "C" fn tsr_nn_load(path: *const c_char, options: *const tsr_nn_options, out: *mut *mut tsr_nn) -> tsr_status {
    crate::error::boundary(|| {
        handle::publish(out, || {
            let path = path_of(path)?;
            let data = std::fs::read(&path).map_err(|e| Error::new(TSR_ERR_IO, format!("cannot read {}: {e}", path.display())))?;
            from_bytes(&data, options)
        })
    })
}
