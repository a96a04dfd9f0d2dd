"""Dense networks (`tsr_nn_*`) and the f-GAN objectives (`tsr_fdiv_objective_*`).

    import numpy as np, tessera
    net = tessera.Network([2, 8, 3], ["tanh", "identity"], "softmax_cross_entropy",
                          dtype=np.float64, seed=7, max_batch=128)
    net.set_optimiser("adam", learning_rate=0.02)
    for _ in range(300):
        loss = net.train_step(x, labels=y)       # x: (batch, 2), y: (batch,) ints in 0..2
    logits = net.forward(x)                      # (batch, 3)
    w0, b0 = net.weights(0), net.bias(0)         # (8, 2) and (8,) views into the parameters
    net.params[:] = 0.0                          # writes go straight into the network
    f, gp, gq = tessera.fdiv_objective("gan", v_p, v_q, grad=True)

**Batches** are numpy arrays of shape `(batch, features)`, one sample per row, as a C-ordered
array holds them. The C ABI takes `features x batch` column-major matrices: a C-ordered
`(batch, features)` array *is* that matrix in memory, so it is handed over without a copy
(other strides are passed as they are, too; only arrays whose strides are not whole elements,
or that are misaligned, are copied). Outputs come back as new C-ordered `(batch, outputs)`
arrays. Inputs are converted to the network's dtype (float32 or float64, fixed when it is
made). Class labels are 0-based integers, one per sample.

**Buffers.** `params`, `gradient`, `weights(l)` and `bias(l)` are numpy arrays viewing the
library's own memory (no copy): writes to `params` / `weights` / `bias` take effect on the next
call, `gradient` is read-only and is overwritten by the next pass. A view keeps the network's
memory alive: `close()` (or leaving a `with` block) makes the `Network` unusable at once but
frees the C handle only when the last view has gone.

Failures raise `tessera.TesseraError` with the library's status (`.status`, `.status_name`)
and message, for instance `TSR_ERR_SHAPE_MISMATCH` for a batch of the wrong width,
`TSR_ERR_NON_FINITE` for a NaN, `TSR_ERR_DOMAIN` for a label out of range, `TSR_ERR_BAD_DATA`
for a corrupted parameter file. Arguments the C function cannot check (the number of labels
or activations, array ranks) raise `ValueError` / `TypeError` here.
"""
from __future__ import annotations

import ctypes
import operator
import os

import numpy as np

from . import _lowlevel as ll

__all__ = ["Network", "fdiv_objective", "ACTIVATIONS", "LOSSES", "OPTIMISERS", "DIVERGENCES"]

ACTIVATIONS = {"identity": ll.TSR_NN_IDENTITY, "relu": ll.TSR_NN_RELU, "leaky_relu": ll.TSR_NN_LEAKY_RELU,
               "tanh": ll.TSR_NN_TANH, "sigmoid": ll.TSR_NN_SIGMOID, "softplus": ll.TSR_NN_SOFTPLUS,
               "gelu": ll.TSR_NN_GELU}
LOSSES = {"squared_error": ll.TSR_NN_SQUARED_ERROR, "softmax_cross_entropy": ll.TSR_NN_SOFTMAX_CROSS_ENTROPY,
          "logistic": ll.TSR_NN_LOGISTIC}
OPTIMISERS = {"sgd": ll.TSR_NN_SGD, "adam": ll.TSR_NN_ADAM, "path_sgd": ll.TSR_NN_PATH_SGD}
DIVERGENCES = {"kl": ll.TSR_FDIV_KL, "reverse_kl": ll.TSR_FDIV_REVERSE_KL, "pearson": ll.TSR_FDIV_PEARSON,
               "neyman": ll.TSR_FDIV_NEYMAN, "squared_hellinger": ll.TSR_FDIV_SQUARED_HELLINGER,
               "jensen_shannon": ll.TSR_FDIV_JENSEN_SHANNON, "gan": ll.TSR_FDIV_GAN}

_CODES = {ll.TSR_NN_F32: np.dtype(np.float32), ll.TSR_NN_F64: np.dtype(np.float64)}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_CTYPE = {np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}


def _lib():
    from . import lib  # the package's loaded library (tessera/__init__.py)

    return lib


def _check(status: int) -> None:
    from . import _check as check

    check(status)


def _name_of(table: dict, code: int):
    for k, v in table.items():
        if v == code:
            return k
    return int(code)


def _code(table: dict, what: str, value) -> int:
    """A C code from a name of `table` or an integer (which the library validates)."""
    if isinstance(value, str):
        key = value.lower()
        if key not in table:
            raise ValueError(f"{what} {value!r} is not one of {sorted(table)}")
        return table[key]
    try:
        code = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be a name ({', '.join(sorted(table))}) or an integer code, not {value!r}") from None
    if not 0 <= code < 2**32:
        raise ValueError(f"{what} code {code} is not a uint32")
    return code


def _dtype(dtype) -> np.dtype:
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype must be float32 or float64, not {dtype!r}") from None
    if d not in _SUFFIX:
        raise ValueError(f"dtype must be float32 or float64, not {d}")
    return d


def _strided(a: np.ndarray) -> np.ndarray:
    """`a`, or a copy when its strides are not whole elements or it is misaligned."""
    if any(s % a.itemsize for s in a.strides) or a.ctypes.data % a.dtype.alignment:
        return np.array(a, order="C", copy=True)
    return a


def _byte_range(a: np.ndarray):
    if a.size == 0:
        return (0, 0)
    lo = hi = a.ctypes.data
    for n, s in zip(a.shape, a.strides):
        if s >= 0:
            hi += (n - 1) * s
        else:
            lo += (n - 1) * s
    return (lo, hi + a.itemsize)


class _Handle:
    """Owns the C handle; freed when the Network and every view of its buffers are gone."""

    __slots__ = ("ptr", "__weakref__")

    def __init__(self, ptr: ctypes.c_void_p):
        self.ptr = ptr

    def __del__(self):
        p, self.ptr = self.ptr, None
        if p:
            try:
                _lib().tsr_nn_free(p)
            except Exception:  # interpreter shutdown
                pass


class _Memory:
    """The `__array_interface__` of a buffer inside the handle; numpy keeps it (and so the
    handle) as the base of the array it makes."""

    def __init__(self, owner: _Handle, address: int, shape, strides, dtype: np.dtype, writable: bool):
        self._owner = owner
        self.__array_interface__ = {"version": 3, "shape": tuple(shape), "typestr": dtype.str,
                                    "data": (int(address), not writable), "strides": tuple(strides)}


def _view(owner, address, shape, strides, dtype, writable) -> np.ndarray:
    if address is None or address == 0:
        return np.empty(shape, dtype=dtype)  # an empty buffer (never for a valid network)
    return np.asarray(_Memory(owner, address, shape, strides, dtype, writable))


def _options(dtype=None, seed=0, max_batch=None, num_threads=0):
    o = ll.tsr_nn_options()
    _check(_lib().tsr_nn_options_default(ctypes.byref(o)))
    if dtype is not None:
        o.dtype = {v: k for k, v in _CODES.items()}[dtype]
    o.seed = int(seed)
    if max_batch is not None:
        o.max_batch = int(max_batch)
    o.num_threads = int(num_threads)
    return o


class Network:
    """A dense feed-forward network (a `tsr_nn` handle): layer `l` maps `sizes[l]` inputs to
    `sizes[l + 1]` outputs and applies `activations[l]`; trained on `loss`.

    sizes: `L + 1` positive layer widths. activations: `L` names (`identity`, `relu`,
    `leaky_relu`, `tanh`, `sigmoid`, `softplus`, `gelu`) or `TSR_NN_*` codes. loss:
    `squared_error` (targets), `softmax_cross_entropy` (labels) or `logistic` (targets in
    [0, 1]), or a code. dtype: float32 (default) or float64. seed: of the initialisation (He
    for ReLU-like layers, Glorot otherwise; zero biases). max_batch: largest batch the passes
    accept (None: the library's default, 256). num_threads: of the large products (0 follows
    `tessera.set_num_threads` and the environment).

    The optimiser is Adam with its defaults until `set_optimiser`. Use as a context manager or
    call `close()` to release the handle early (see the module docstring for views)."""

    def __init__(self, sizes, activations, loss, *, dtype=np.float32, seed: int = 0, max_batch: int | None = None,
                 num_threads: int = 0):
        self._owner = None
        self._handle = None
        s = [operator.index(v) for v in sizes]
        acts = [_code(ACTIVATIONS, "activation", a) for a in (activations if not isinstance(activations, str) else [activations])]
        if len(acts) != len(s) - 1:
            # The C function reads nlayers = len(sizes) - 1 codes: a shorter list must never reach it.
            raise ValueError(f"{len(acts)} activations for {len(s)} layer sizes (expected {max(len(s) - 1, 0)})")
        d = _dtype(dtype)
        c_sizes = (ctypes.c_int64 * max(len(s), 1))(*s)
        c_acts = (ctypes.c_uint32 * max(len(acts), 1))(*acts)
        o = _options(d, seed, max_batch, num_threads)
        h = ctypes.c_void_p()
        _check(_lib().tsr_nn_new(len(s) - 1, c_sizes, c_acts, _code(LOSSES, "loss", loss), ctypes.byref(o), ctypes.byref(h)))
        self._adopt(h)

    @classmethod
    def _from_handle(cls, h: ctypes.c_void_p) -> "Network":
        net = cls.__new__(cls)
        net._owner = None
        net._handle = None
        net._adopt(h)
        return net

    def _adopt(self, h: ctypes.c_void_p) -> None:
        self._owner = _Handle(h)
        self._handle = h
        i = self.info
        self._dtype = i["dtype"]
        self._sfx = _SUFFIX[self._dtype]
        self._sizes = tuple(i["sizes"])
        self._loss = i["loss"]
        ptr = ctypes.POINTER(_CTYPE[self._dtype])()
        n = ctypes.c_int64()
        _check(getattr(_lib(), f"tsr_nn_gradient_{self._sfx}")(h, ctypes.byref(ptr), ctypes.byref(n)))
        addr = ctypes.cast(ptr, ctypes.c_void_p).value or 0
        self._grad_range = (addr, addr + n.value * self._dtype.itemsize)

    # -- lifetime ------------------------------------------------------------------------------
    def close(self) -> None:
        """Makes the network unusable (later calls raise TSR_ERR_NULL_POINTER); the handle is
        freed now, or when the last numpy view of its buffers goes."""
        self._handle = None
        self._owner = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        if self._handle is None:
            return "Network(<closed>)"
        i = self.info
        return (f"Network({list(i['sizes'])}, {i['activations']}, {i['loss']!r}, dtype={self._dtype.name}, "
                f"max_batch={i['max_batch']})")

    # -- description ---------------------------------------------------------------------------
    @property
    def info(self) -> dict:
        """dtype (numpy), loss and optimiser (names), nlayers, inputs, outputs, num_params,
        max_batch, num_threads, sizes (tuple of L + 1 widths), activations (list of names)."""
        lib = _lib()
        i = ll.tsr_nn_info()
        i.struct_size = ctypes.sizeof(i)
        _check(lib.tsr_nn_get_info(self._handle, ctypes.byref(i)))
        L = int(i.nlayers)
        sizes = (ctypes.c_int64 * (L + 1))()
        acts = (ctypes.c_uint32 * max(L, 1))()
        _check(lib.tsr_nn_layers(self._handle, L, sizes, acts))
        return {"dtype": _CODES[i.dtype], "loss": _name_of(LOSSES, i.loss), "optimiser": _name_of(OPTIMISERS, i.optimiser),
                "nlayers": L, "inputs": int(i.inputs), "outputs": int(i.outputs), "num_params": int(i.num_params),
                "max_batch": int(i.max_batch), "num_threads": int(i.num_threads), "sizes": tuple(int(v) for v in sizes),
                "activations": [_name_of(ACTIVATIONS, a) for a in acts[:L]]}

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def sizes(self) -> tuple:
        return self._sizes

    # -- buffers -------------------------------------------------------------------------------
    @property
    def params(self) -> np.ndarray:
        """The parameter buffer (length num_params, layout of docs/nn.md: per layer W_l
        column-major, then b_l), a writable view into the network."""
        ptr = ctypes.POINTER(_CTYPE[self._dtype])()
        n = ctypes.c_int64()
        _check(getattr(_lib(), f"tsr_nn_params_{self._sfx}")(self._handle, ctypes.byref(ptr), ctypes.byref(n)))
        return _view(self._owner, ctypes.cast(ptr, ctypes.c_void_p).value, (n.value,), (self._dtype.itemsize,),
                     self._dtype, True)

    @params.setter
    def params(self, values) -> None:
        self.params[...] = values

    @property
    def gradient(self) -> np.ndarray:
        """The gradient of the last backward pass, VJP or step (zeros before any), laid out as
        `params`: a read-only view, overwritten by the next pass (copy it to keep it)."""
        ptr = ctypes.POINTER(_CTYPE[self._dtype])()
        n = ctypes.c_int64()
        _check(getattr(_lib(), f"tsr_nn_gradient_{self._sfx}")(self._handle, ctypes.byref(ptr), ctypes.byref(n)))
        return _view(self._owner, ctypes.cast(ptr, ctypes.c_void_p).value, (n.value,), (self._dtype.itemsize,),
                     self._dtype, False)

    def _layer(self, layer: int):
        cls = getattr(ll, f"tsr_matmut_{self._sfx}")
        w, b = cls(), cls()
        _check(getattr(_lib(), f"tsr_nn_layer_params_{self._sfx}")(self._handle, operator.index(layer), ctypes.byref(w),
                                                                    ctypes.byref(b)))
        return w, b

    def weights(self, layer: int) -> np.ndarray:
        """Writable `(sizes[layer + 1], sizes[layer])` view of layer `layer`'s weights (0-based):
        `W[i, j]` is the weight from input j to output i, so `forward` is
        `act(x @ W.T + b)` layer by layer."""
        w, _ = self._layer(layer)
        item = self._dtype.itemsize
        return _view(self._owner, ctypes.cast(w.ptr, ctypes.c_void_p).value, (w.nrows, w.ncols),
                     (w.row_stride * item, w.col_stride * item), self._dtype, True)

    def bias(self, layer: int) -> np.ndarray:
        """Writable `(sizes[layer + 1],)` view of layer `layer`'s bias."""
        _, b = self._layer(layer)
        return _view(self._owner, ctypes.cast(b.ptr, ctypes.c_void_p).value, (b.nrows,),
                     (b.row_stride * self._dtype.itemsize,), self._dtype, True)

    # -- argument plumbing ---------------------------------------------------------------------
    def _batch(self, a, name: str) -> np.ndarray:
        x = np.asarray(a, dtype=self._dtype)
        if x.ndim != 2:
            raise ValueError(f"`{name}` must be a 2-d (batch, features) array, not of shape {x.shape}")
        x = _strided(x)
        lo, hi = _byte_range(x)
        g0, g1 = self._grad_range
        if lo < g1 and g0 < hi:
            x = x.copy()  # the pass rewrites the gradient buffer while it reads its inputs
        return x

    def _ref(self, x: np.ndarray | None):
        cls = getattr(ll, f"tsr_matref_{self._sfx}")
        if x is None:
            return cls(None, 0, 0, 0, 0)
        item = x.itemsize
        ptr = ctypes.cast(x.ctypes.data, cls._fields_[0][1]) if x.size else None
        # (batch, n) row-major is the n x batch column-major view: rows = features.
        return cls(ptr, x.shape[1], x.shape[0], x.strides[1] // item, x.strides[0] // item)

    def _mut(self, out: np.ndarray | None):
        cls = getattr(ll, f"tsr_matmut_{self._sfx}")
        if out is None:
            return cls(None, 0, 0, 0, 0)
        ptr = ctypes.cast(out.ctypes.data, cls._fields_[0][1]) if out.size else None
        return cls(ptr, out.shape[1], out.shape[0], 1, out.shape[1])

    def _targets(self, x: np.ndarray, labels, targets):
        """(targets view array or None, labels uint32 array or None)."""
        t = None if targets is None else self._batch(targets, "targets")
        lab = None
        if labels is not None:
            a = np.asarray(labels)
            if a.ndim != 1:
                raise ValueError(f"`labels` must be a 1-d array of class indices, not of shape {a.shape}")
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise TypeError(f"`labels` must be integers, not {a.dtype}")
            if a.shape[0] != x.shape[0]:
                # The C function reads one label per sample: a shorter array must never reach it.
                raise ValueError(f"{a.shape[0]} labels for a batch of {x.shape[0]} samples")
            if a.size and (a.min() < 0 or a.max() >= 2**32):
                raise ValueError(f"labels must be 0-based class indices, got values in [{a.min()}, {a.max()}]")
            lab = np.ascontiguousarray(a, dtype=np.uint32)
        return t, lab

    @staticmethod
    def _labels_ptr(lab):
        return None if lab is None else lab.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32))

    # -- passes --------------------------------------------------------------------------------
    def forward(self, x) -> np.ndarray:
        """The outputs, `(batch, sizes[-1])`, on the inputs `x` `(batch, sizes[0])`."""
        xa = self._batch(x, "x")
        out = np.empty((xa.shape[0], self._sizes[-1]), dtype=self._dtype)
        _check(getattr(_lib(), f"tsr_nn_forward_{self._sfx}")(self._handle, self._ref(xa), self._mut(out)))
        return out

    __call__ = forward

    def backward(self, x, labels=None, targets=None, input_grad: bool = False):
        """The batch's mean loss, with its parameter gradient kept in `gradient` (parameters
        are not changed): `labels` (batch,) for softmax cross-entropy, `targets`
        (batch, sizes[-1]) for the other losses. With `input_grad=True` returns
        `(loss, dL/dx)`, dL/dx of x's shape."""
        xa = self._batch(x, "x")
        t, lab = self._targets(xa, labels, targets)
        gx = np.empty(xa.shape, dtype=self._dtype) if input_grad else None
        loss = ctypes.c_double()
        _check(getattr(_lib(), f"tsr_nn_backward_{self._sfx}")(self._handle, self._ref(xa), self._ref(t),
                                                                self._labels_ptr(lab), self._mut(gx), ctypes.byref(loss)))
        return (loss.value, gx) if input_grad else loss.value

    def vjp(self, x, upstream, input_grad: bool = True):
        """Vector-Jacobian product: with `upstream` = dE/dY `(batch, sizes[-1])` of a function E
        of the outputs, keeps dE/dtheta in `gradient` and returns dE/dx (x's shape), or None
        with `input_grad=False`."""
        xa = self._batch(x, "x")
        up = self._batch(upstream, "upstream")
        gx = np.empty(xa.shape, dtype=self._dtype) if input_grad else None
        _check(getattr(_lib(), f"tsr_nn_vjp_{self._sfx}")(self._handle, self._ref(xa), self._ref(up), self._mut(gx)))
        return gx

    def step(self, grad=None) -> None:
        """One optimiser update: with the kept gradient (`grad=None`), or with `grad` (num_params
        values laid out as `params`, e.g. averaged over MPI ranks)."""
        if grad is None:
            _check(getattr(_lib(), f"tsr_nn_step_{self._sfx}")(self._handle, None, 0))
            return
        g = np.asarray(grad, dtype=self._dtype)
        if g.ndim != 1:
            raise ValueError(f"`grad` must be 1-d (num_params,), not of shape {g.shape}")
        g = np.require(g, requirements=["C_CONTIGUOUS", "ALIGNED"])
        lo, hi = _byte_range(g)
        g0, g1 = self._grad_range
        if lo < g1 and g0 < hi:
            g = g.copy()  # the step rewrites the kept gradient while it reads `grad`
        ptr = g.ctypes.data_as(ctypes.POINTER(_CTYPE[self._dtype])) if g.size else None
        _check(getattr(_lib(), f"tsr_nn_step_{self._sfx}")(self._handle, ptr, g.shape[0]))

    def train_step(self, x, labels=None, targets=None) -> float:
        """`backward` then `step` on one batch; returns the loss before the update."""
        xa = self._batch(x, "x")
        t, lab = self._targets(xa, labels, targets)
        loss = ctypes.c_double()
        _check(getattr(_lib(), f"tsr_nn_train_step_{self._sfx}")(self._handle, self._ref(xa), self._ref(t),
                                                                  self._labels_ptr(lab), ctypes.byref(loss)))
        return loss.value

    def set_optimiser(self, kind="adam", learning_rate: float | None = None, *, momentum: float | None = None,
                      beta1: float | None = None, beta2: float | None = None, epsilon: float | None = None,
                      path_p: float | None = None) -> None:
        """Replaces the optimiser (its state starts afresh): kind `sgd` (with `momentum`),
        `adam` (`beta1`, `beta2`, `epsilon`) or `path_sgd` (exponent `path_p`), or a code.
        None takes the library's default (learning rate 0.01 for SGD and Path-SGD, 0.001 for
        Adam; momentum 0.9; 0.9, 0.999, 1e-8; p = 2)."""
        o = ll.tsr_nn_optimiser_options()
        _check(_lib().tsr_nn_optimiser_options_default(ctypes.byref(o)))
        o.kind = _code(OPTIMISERS, "optimiser", kind)
        for name, v in [("learning_rate", learning_rate), ("momentum", momentum), ("beta1", beta1), ("beta2", beta2),
                        ("epsilon", epsilon), ("path_p", path_p)]:
            if v is not None:
                setattr(o, name, float(v))
        _check(_lib().tsr_nn_set_optimiser(self._handle, ctypes.byref(o)))

    # -- files ---------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The network in the parameter file format (docs/nn.md): spec and parameters (not the
        optimiser's state)."""
        lib = _lib()
        n = ctypes.c_int64()
        _check(lib.tsr_nn_save_bytes(self._handle, None, 0, ctypes.byref(n)))
        buf = (ctypes.c_uint8 * max(n.value, 1))()
        _check(lib.tsr_nn_save_bytes(self._handle, buf, n.value, ctypes.byref(n)))
        return bytes(buf)[:n.value]

    def save(self, path) -> None:
        """Writes `to_bytes()` to the file `path`, replacing it (TSR_ERR_IO if it cannot)."""
        _check(_lib().tsr_nn_save(self._handle, os.fsencode(path)))

    @classmethod
    def from_bytes(cls, data, *, max_batch: int | None = None, num_threads: int = 0) -> "Network":
        """A network from the bytes of a parameter file (the file decides the dtype).
        Truncated, corrupted or foreign data raises TSR_ERR_BAD_DATA."""
        b = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
        o = _options(None, 0, max_batch, num_threads)
        h = ctypes.c_void_p()
        ptr = b.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)) if b.size else None
        _check(_lib().tsr_nn_load_bytes(ptr, b.size, ctypes.byref(o), ctypes.byref(h)))
        return cls._from_handle(h)

    @classmethod
    def load(cls, path, *, max_batch: int | None = None, num_threads: int = 0) -> "Network":
        """A network from the file `path` (as `from_bytes`; TSR_ERR_IO if it cannot be read)."""
        o = _options(None, 0, max_batch, num_threads)
        h = ctypes.c_void_p()
        _check(_lib().tsr_nn_load(os.fsencode(path), ctypes.byref(o), ctypes.byref(h)))
        return cls._from_handle(h)


def fdiv_objective(divergence, v_p, v_q, *, grad: bool = False):
    """The f-GAN variational objective `F = mean g_f(v_p) - mean f*(g_f(v_q))` of raw critic
    outputs `v_p` (on samples of P) and `v_q` (on samples of Q), for `divergence`: `kl`,
    `reverse_kl`, `pearson`, `neyman`, `squared_hellinger`, `jensen_shannon`, `gan` (or a
    `TSR_FDIV_*` code). The critic maximises F, the generator minimises it; at P = Q with the
    optimal critic F = f(1): 0, or -ln 4 for `gan`.

    `v_p`, `v_q`: arrays of any shape (e.g. a critic's `(batch, 1)` outputs), flattened. With
    `grad=True` returns `(F, dF/dv_p, dF/dv_q)`, the gradients in the shapes of `v_p` and `v_q`
    (ready as the `upstream` of `Network.vjp`). All-float32 inputs use the f32 entry point,
    anything else float64."""
    code = _code(DIVERGENCES, "divergence", divergence)
    is32 = all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in (v_p, v_q))
    dt = np.dtype(np.float32 if is32 else np.float64)
    p = np.require(np.asarray(v_p, dtype=dt), requirements=["C_CONTIGUOUS", "ALIGNED"])
    q = np.require(np.asarray(v_q, dtype=dt), requirements=["C_CONTIGUOUS", "ALIGNED"])
    ct = ctypes.POINTER(_CTYPE[dt])
    f = ctypes.c_double()
    gp = np.empty(p.shape, dtype=dt) if grad else None
    gq = np.empty(q.shape, dtype=dt) if grad else None

    def ptr(a):
        return None if a is None or a.size == 0 else a.ctypes.data_as(ct)

    _check(getattr(_lib(), f"tsr_fdiv_objective_{_SUFFIX[dt]}")(code, p.size, ptr(p), q.size, ptr(q), ctypes.byref(f),
                                                                 ptr(gp), ptr(gq)))
    return (f.value, gp, gq) if grad else f.value
