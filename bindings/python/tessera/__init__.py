"""Tessera from Python: numpy arrays in, numpy arrays out, over the C ABI (ctypes).

    import numpy as np, tessera
    ball = tessera.PoincareBall(1.0)
    z = ball.mobius_add(x, y)          # x, y: (n, d) float64 or float32 arrays

Every Poincare operation of the C header is a method of `PoincareBall`, built from the table
`_lowlevel.POINCARE_OPS` that bindings/generate.py writes from the header's `Shapes:` lines.
Arrays hold one point per row (`x[n,d]`); per-point scalars (`[n,1]` in the C shapes) are 1-d
arrays of length n. Inputs may have any strides (non-contiguous views, `np.broadcast_to` with
zero strides, negative strides); a 1-d array of length d for an `[n,d]` argument, and a plain
number for an `[n,1]` argument, stand for one value shared by all rows. The element type picks
the entry point: all-float32 inputs call the `_f32` function, anything else is converted to
float64. Failures raise `TesseraError` with the C status (`.status`, `.status_name`) and the
library's message.

Tensor completion, Tucker and components: `tessera.complete`, `tessera.tucker`,
`tessera.components` (tensor.py). Completability of partially observed low-rank matrices:
`tessera.completability` (closure, complete, variance, phase_transition). Dense networks:
`tessera.Network` (nn.py: passes, optimisers, parameter views, parameter files) and the f-GAN
objectives `tessera.fdiv_objective`; QSGD quantisation and coding: `tessera.qsgd` (encode,
decode, quantize, stream_info).

The library is found from the TESSERA_LIB environment variable (path of libtessera.so), else
target/release of the source tree this package sits in, else the system search path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import inspect
import os
import sys
from pathlib import Path

import numpy as np

from . import _lowlevel as ll
from ._lowlevel import *  # noqa: F401,F403  (TSR_* constants and C structs)

__all__ = ["PoincareBall", "TesseraError", "lib", "version", "set_num_threads", "get_num_threads", "status_name",
           "complete", "tucker", "components", "Progress", "NotConvergedWarning", "completability",
           "Network", "fdiv_objective", "nn", "qsgd"]


def _library_name() -> str:
    if sys.platform == "darwin":
        return "libtessera.dylib"
    if sys.platform == "win32":
        return "tessera.dll"
    return "libtessera.so"


def _load():
    env = os.environ.get("TESSERA_LIB")
    candidates = []
    if env:
        p = Path(env)
        candidates.append(p / _library_name() if p.is_dir() else p)
    else:
        root = Path(__file__).resolve().parents[3]  # bindings/python/tessera -> repository
        candidates.append(root / "target" / "release" / _library_name())
        found = ctypes.util.find_library("tessera")
        if found:
            candidates.append(Path(found))
    for c in candidates:
        if env or c.exists() or not c.is_absolute():
            try:
                return ll.bind(ctypes.CDLL(str(c)))
            except OSError:
                if env:
                    raise
    raise OSError("libtessera not found: set TESSERA_LIB to the path of libtessera "
                  f"(tried {', '.join(map(str, candidates))})")


lib = _load()


class TesseraError(Exception):
    """A Tessera call failed. `status` is the C status code, `status_name` its name
    (e.g. 'TSR_ERR_DOMAIN'), `message` the library's explanation."""

    def __init__(self, status: int, message: str):
        self.status = int(status)
        self.status_name = status_name(status)
        self.message = message
        super().__init__(f"{self.status_name} ({self.status}): {message}")


def status_name(status: int) -> str:
    return lib.tsr_status_str(status).decode()


def _check(status: int) -> None:
    if status != ll.TSR_OK:
        # Read the message first: it is valid until the next tessera call on this thread.
        message = lib.tsr_last_error_message().decode("utf-8", "replace")
        raise TesseraError(status, message)


def version() -> str:
    return lib.tsr_version_string().decode()


def set_num_threads(n: int) -> None:
    _check(lib.tsr_set_num_threads(n))


def get_num_threads() -> int:
    return lib.tsr_get_num_threads()


_DTYPES = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64)}
_VIEWS = {(k, kind): getattr(ll, f"tsr_mat{kind}_{k}") for k in _DTYPES for kind in ("ref", "mut")}


def _strided(a: np.ndarray) -> np.ndarray:
    """`a`, or a copy when its strides are not whole elements or it is misaligned."""
    item = a.itemsize
    if any(s % item for s in a.strides) or a.ctypes.data % a.dtype.alignment:
        return np.array(a, order="C", copy=True)  # fresh, aligned, element strides
    return a


def _view(cls, a: np.ndarray, nrows: int, ncols: int, rs: int, cs: int):
    ptr = ctypes.cast(a.ctypes.data, cls._fields_[0][1]) if a.size else None
    return cls(ptr, nrows, ncols, rs, cs)


class _Plan:
    """Shapes of one call: the bound symbols and each input's view."""

    def __init__(self, opname, args, values, dtype):
        self.dims = {"1": 1}
        self.keep = []  # arrays that must outlive the call
        pending = []
        for (name, kind, rows, cols), v in zip(args, values):
            if kind != "in":
                continue
            a = _strided(np.asarray(v, dtype=dtype))
            self.keep.append(a)
            item = a.itemsize
            batch_scalars = cols == "1"
            if a.ndim == 2:
                shape = [(rows, a.shape[0]), (cols, a.shape[1])]
                strides = (a.strides[0] // item, a.strides[1] // item)
                pending.append((name, a, None, shape, strides))
            elif a.ndim == 1 and batch_scalars:
                pending.append((name, a, None, [(rows, a.shape[0])], (a.strides[0] // item, 1)))
            elif a.ndim == 1 and rows in ("n", "k", "1"):
                pending.append((name, a, rows, [(cols, a.shape[0])], (0, a.strides[0] // item)))
            elif a.ndim == 0 and batch_scalars and rows in ("n", "k", "1"):
                pending.append((name, a, rows, [], (0, 0)))
            else:
                want = f"({rows}, {cols})" + (f" or ({rows},)" if batch_scalars else "")
                raise ValueError(f"{opname}: `{name}` has shape {a.shape}, expected {want}")
            # The first argument carrying a symbol fixes it; disagreements are left to the
            # library, which reports them as TSR_ERR_SHAPE_MISMATCH with the names involved.
            for sym, extent in pending[-1][3]:
                if not sym.isdigit():
                    self.dims.setdefault(sym, extent)
        self.inputs = []
        for name, a, broadcast_sym, _shape, (rs, cs) in pending:
            if broadcast_sym is None:
                nrows, ncols = (a.shape[0], a.shape[1]) if a.ndim == 2 else (a.shape[0], 1)
            else:
                nrows = self.extent(broadcast_sym) if broadcast_sym in self.dims or broadcast_sym.isdigit() else 1
                ncols = a.shape[0] if a.ndim == 1 else 1
            self.inputs.append((a, nrows, ncols, rs, cs))

    def extent(self, sym):
        return int(sym) if sym.isdigit() else self.dims.setdefault(sym, 1)


def _make_op(opname, spec):
    doc, shapes, args, variants = spec
    in_args = [a for a in args if a[1] != "out"]
    out_args = [a for a in args if a[1] == "out"]

    def op(self, *values, **kwargs):
        bound = sig.bind(self, *values, **kwargs).arguments
        vals = [bound[a[0]] for a in in_args]
        arrays = [v for a, v in zip(in_args, vals) if a[1] == "in"]
        is32 = all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in arrays) and "f32" in variants
        key = "f32" if is32 else "f64"
        if key not in variants:
            raise TypeError(f"{opname}: no {key} entry point")
        dtype = _DTYPES[key]
        plan = _Plan(opname, in_args, vals, dtype)
        outs, cargs = [], []
        it = iter(plan.inputs)
        for (name, kind, rows, cols), v in zip(in_args, vals):
            if kind == "in":
                a, nr, nc, rs, cs = next(it)
                cargs.append(_view(_VIEWS[key, "ref"], a, nr, nc, rs, cs))
            else:
                cargs.append(v)
        for name, kind, rows, cols in out_args:
            nr, nc = plan.extent(rows), plan.extent(cols)
            o = _empty_on_cache_line(nr if cols == "1" and rows in ("n", "k", "1") else (nr, nc), dtype)
            outs.append(o)
            cargs.append(_view(_VIEWS[key, "mut"], o, nr, nc, nc if o.ndim == 2 else 1, 1))
        _check(getattr(lib, variants[key])(self._handle, *cargs))
        return outs[0] if len(outs) == 1 else tuple(outs)

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(a[0], inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in in_args]
    sig = inspect.Signature(params)
    op.__signature__ = sig
    op.__name__ = op.__qualname__ = opname
    outs = ", ".join(a[0] for a in out_args)
    op.__doc__ = (f"{doc}\n\nShapes (one point per row): {shapes}.\nReturns {outs}; "
                  f"C entry points: {', '.join(sorted(variants.values()))}.")
    return op


def _empty_on_cache_line(shape, dtype) -> np.ndarray:
    """`np.empty(shape, dtype)` whose data starts on a 64-byte cache line. numpy's own large
    buffers start 16 bytes past one, and the library streams large outputs (non-temporal
    stores, no read-for-ownership) only when their rows are whole, aligned cache lines: with
    misaligned outputs the float64 calls were 9-30% slower (docs/performance.md)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + 64, dtype=np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start:start + nbytes].view(dtype).reshape(shape)


class PoincareBall:
    """The Poincare ball of curvature -c (c > 0), a `tsr_poincare` handle.

    `num_threads` = 0 follows `set_num_threads` and the environment. Use as a context manager
    or call `close()` to free the handle early; it is freed on garbage collection otherwise."""

    def __init__(self, c: float, num_threads: int = 0):
        self._handle = None
        opts = ll.tsr_poincare_options()
        _check(lib.tsr_poincare_options_default(ctypes.byref(opts)))
        opts.num_threads = num_threads
        h = ctypes.c_void_p()
        _check(lib.tsr_poincare_new(float(c), ctypes.byref(opts), ctypes.byref(h)))
        self._handle = h

    @property
    def c(self) -> float:
        return lib.tsr_poincare_c(self._handle)

    def close(self) -> None:
        h, self._handle = self._handle, None
        if h is not None:
            lib.tsr_poincare_free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"PoincareBall(c={self.c!r})" if self._handle is not None else "PoincareBall(<closed>)"


for _name, _spec in ll.POINCARE_OPS.items():
    setattr(PoincareBall, _name, _make_op(_name, _spec))
del _name, _spec

# Tensor completion, Tucker and components (tensor.py), over the tsr_tensor_* entry points.
from .tensor import NotConvergedWarning, Progress, complete, components, tucker  # noqa: E402
from . import completability  # noqa: E402,F401
# Dense networks and f-divergence objectives (nn.py), QSGD (qsgd.py).
from . import nn, qsgd  # noqa: E402,F401
from .nn import Network, fdiv_objective  # noqa: E402
