"""Tensor completion, Tucker decomposition and interpretable components (`tsr_tensor_*`).

    est, info = tessera.complete(y, mask)                 # y: any-order float array, mask: bool
    est, info = tessera.complete(vals, coords=idx, shape=(20, 15, 10))  # coordinate lists
    core, factors = tessera.tucker(est, info["ranks"])
    weights, loadings, fit = tessera.components(est, info["ranks"], rank=2)

Arrays are ordinary numpy arrays in any memory order: element `x[i, j, k]` is entry (i, j, k)
of the tensor. (The C functions take column-major data; this layer hands them the array in
Fortran order, which is the same tensor with the same shape, so no axis is ever reversed.)
Coordinates are 0-based, one row per observation, column k the index along axis k.

Failures raise `tessera.TesseraError` (`.status`, `.status_name`, `.message`). Two outcomes
are not failures: `TSR_ERR_NOT_CONVERGED` (the iteration limit was reached) and
`TSR_ERR_CANCELLED` (the progress callable returned True) return the best iterate, with the
code in `info["status"]`, `info["converged"]` False and the library's message in
`info["message"]`; NOT_CONVERGED also emits a `tessera.NotConvergedWarning` (filter it with
the `warnings` module), a cancellation does not (the caller asked for it).
"""
from __future__ import annotations

import ctypes
import math
import warnings
from typing import Callable, NamedTuple

import numpy as np

from . import _lowlevel as ll

__all__ = ["complete", "tucker", "components", "Progress", "NotConvergedWarning"]

_METHODS = {"overlapped": ll.TSR_TENSOR_OVERLAPPED, "latent": ll.TSR_TENSOR_LATENT, "as_matrix": ll.TSR_TENSOR_AS_MATRIX}
_WEIGHTS = {"ones": ll.TSR_TENSOR_WEIGHTS_ONES, "scaled": ll.TSR_TENSOR_WEIGHTS_SCALED}
_PD = ctypes.POINTER(ctypes.c_double)
_PI64 = ctypes.POINTER(ctypes.c_int64)


class NotConvergedWarning(RuntimeWarning):
    """A solve stopped at its iteration limit; the best iterate was returned."""


class Progress(NamedTuple):
    """What the solver reports to the `progress` callable after each iteration."""

    iteration: int  # 1-based
    objective: float
    gap: float  # relative duality gap (the stopping criterion)
    residual: float  # largest ADMM constraint violation


def _lib():
    from . import lib  # the package's loaded library (tessera/__init__.py)

    return lib


def _raise(status: int):
    from . import _check

    _check(status)


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64, order="F")  # (asfortranarray makes 0-d arrays 1-d)


def _ptr(a: np.ndarray, ptype):
    return a.ctypes.data_as(ptype)


def _shape_arg(shape) -> tuple:
    arr = (ctypes.c_int64 * max(len(shape), 1))(*shape)
    return arr, ctypes.cast(arr, _PI64)


def complete(values, mask=None, *, coords=None, shape=None, method="overlapped", mode=0, weights="ones",
             lam=0.0, eta=None, tol=1e-3, max_iter=2000, rank_threshold=0.01, num_threads=0,
             progress: Callable[[Progress], bool] | None = None):
    """Completes (or, with everything observed, denoises) a tensor by trace-norm minimisation.

    Dense form: `values` is the tensor (any order 1..16), `mask` a same-shape array that is
    nonzero/True where an entry is observed (default: where `values` is not NaN); unobserved
    values are never read. Coordinate form: `coords` an integer `(nobs, ndim)` array of
    0-based indices, `values` the `nobs` observed values, `shape` the tensor's shape (required).

    method: "overlapped" (default), "latent" or "as_matrix" (with `mode`, 0-based).
    weights: "ones", "scaled" (1/sqrt(n_k)) or a sequence of `ndim` positive weights.
    lam: 0 fits the observations exactly, > 0 is the noisy (squared loss) formulation.
    eta: ADMM penalty (None: the reference code's data-dependent default).
    progress: called as `progress(Progress)` on this thread after every iteration; a true
    return value cancels (the best iterate is returned with info["status"] ==
    TSR_ERR_CANCELLED). An exception raised by it cancels the solve and is re-raised.

    Returns `(estimate, info)`: the estimate as a float64 array of the tensor's shape (Fortran
    ordered), and a dict with iterations, eta, objective, dual_objective, duality_gap,
    primal_residual, data_residual, ranks, component_ranks (tuples of ndim ints), status,
    status_name, converged and message.
    """
    lib = _lib()
    o = ll.tsr_tensor_options()
    _raise(lib.tsr_tensor_options_default(ctypes.byref(o)))
    if isinstance(method, str):
        if method not in _METHODS:
            raise ValueError(f"complete: method {method!r} is not one of {sorted(_METHODS)}")
        o.method = _METHODS[method]
    else:
        o.method = int(method)  # a TSR_TENSOR_* code; the library validates it
    o.mode = int(mode)
    keep = []
    if isinstance(weights, str):
        if weights not in _WEIGHTS:
            raise ValueError(f"complete: weights {weights!r} is not 'ones', 'scaled' or an array")
        o.weights = _WEIGHTS[weights]
    else:
        gamma = np.ascontiguousarray(weights, dtype=np.float64).reshape(-1)
        keep.append(gamma)
        o.weights = ll.TSR_TENSOR_WEIGHTS_CUSTOM
        o.gamma = _ptr(gamma, _PD)
    setattr(o, "lambda", float(lam))
    o.eta = 0.0 if eta is None else float(eta)
    o.tol = float(tol)
    o.max_iter = int(max_iter)
    o.rank_threshold = float(rank_threshold)
    o.num_threads = int(num_threads)

    raised = []
    if progress is not None:
        def trampoline(_user, p):
            if raised:
                return 1
            try:
                r = p.contents
                return 1 if progress(Progress(int(r.iteration), r.objective, r.gap, r.residual)) else 0
            except BaseException as e:  # noqa: BLE001  (re-raised after the call)
                raised.append(e)
                return 1
        o.progress = ll.tsr_progress_fn(trampoline)

    info = ll.tsr_tensor_info()
    info.struct_size = ctypes.sizeof(info)
    order = np.ndim(values) if coords is None else (len(shape) if shape is not None else None)
    if keep and order is not None and keep[0].shape[0] != order:
        # The C function reads `ndim` weights: a shorter array must never reach it.
        raise ValueError(f"complete: {keep[0].shape[0]} weights for a tensor of order {order}")
    if coords is None:
        if shape is not None:
            raise TypeError("complete: `shape` is only for the coordinate form (it is values.shape otherwise)")
        vals = _f64(values)
        if mask is None:
            m = np.asarray(~np.isnan(vals), dtype=np.uint8, order="F")
        else:
            m = np.asarray(mask)
            if m.shape != vals.shape:
                raise ValueError(f"complete: mask has shape {m.shape}, values {vals.shape}")
            m = np.asarray(m != 0, dtype=np.uint8, order="F")
        dims = vals.shape
        est = np.empty(dims, dtype=np.float64, order="F")
        shp, pshape = _shape_arg(dims)
        status = lib.tsr_tensor_complete_dense_f64(len(dims), pshape, _ptr(vals, _PD), _ptr(m, ctypes.POINTER(ctypes.c_uint8)),
                                                   ctypes.byref(o), _ptr(est, _PD), ctypes.byref(info))
    else:
        if mask is not None:
            raise TypeError("complete: give either a mask (dense form) or coords, not both")
        if shape is None:
            raise TypeError("complete: the coordinate form needs the tensor's `shape`")
        dims = tuple(int(n) for n in shape)
        c = np.asarray(coords)
        if c.ndim == 1 and len(dims) == 1:
            c = c.reshape(-1, 1)
        if c.ndim != 2 or c.shape[1] != len(dims):
            raise ValueError(f"complete: coords has shape {c.shape}, expected (nobs, {len(dims)})")
        if c.size and not np.issubdtype(c.dtype, np.integer):
            raise TypeError(f"complete: coords must be integers, not {c.dtype}")
        c = np.ascontiguousarray(c, dtype=np.int64)
        vals = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        if vals.shape[0] != c.shape[0]:
            raise ValueError(f"complete: {vals.shape[0]} values for {c.shape[0]} coordinates")
        if 1 <= len(dims) <= ll.TSR_TENSOR_MAX_ORDER and all(n > 0 for n in dims) and math.prod(dims) * 8 < 2**63:
            est = np.empty(dims, dtype=np.float64, order="F")  # may raise MemoryError
        else:
            est = np.empty(1)  # a shape the library rejects before touching the estimate
        shp, pshape = _shape_arg(dims)
        status = lib.tsr_tensor_complete_coo_f64(len(dims), pshape, c.shape[0], _ptr(c, _PI64), _ptr(vals, _PD),
                                                 ctypes.byref(o), _ptr(est, _PD), ctypes.byref(info))
    message = lib.tsr_last_error_message().decode("utf-8", "replace")
    del keep, shp
    if raised:
        raise raised[0]
    if status not in (ll.TSR_OK, ll.TSR_ERR_NOT_CONVERGED, ll.TSR_ERR_CANCELLED):
        from . import TesseraError

        raise TesseraError(status, message)
    k = len(dims)
    from . import status_name

    out = {
        "iterations": int(info.iterations),
        "eta": info.eta,
        "objective": info.objective,
        "dual_objective": info.dual_objective,
        "duality_gap": info.duality_gap,
        "primal_residual": info.primal_residual,
        "data_residual": info.data_residual,
        "ranks": tuple(int(r) for r in info.ranks[:k]),
        "component_ranks": tuple(int(r) for r in info.component_ranks[:k]),
        "status": int(status),
        "status_name": status_name(status),
        "converged": status == ll.TSR_OK,
        "message": message,
    }
    if status == ll.TSR_ERR_NOT_CONVERGED:
        warnings.warn(f"tessera.complete: {message}", NotConvergedWarning, stacklevel=2)
    return est, out


def _ranks(ranks, k: int, where: str) -> np.ndarray:
    r = np.ascontiguousarray(ranks, dtype=np.int64).reshape(-1)
    if r.shape[0] != k:
        raise ValueError(f"{where}: {r.shape[0]} ranks for a tensor of order {k}")
    return r


def _alloc_factors(dims, cols):
    """Column-major n_k x c_k matrices and the C array of their pointers."""
    mats = [np.empty((int(n), int(c)), dtype=np.float64, order="F") for n, c in zip(dims, cols)]
    ptrs = (_PD * max(len(mats), 1))(*[_ptr(m, _PD) for m in mats])
    return mats, ptrs


def _safe_sizes(dims, cols) -> bool:
    return all(0 <= n and 0 <= c and n * c < 2**40 for n, c in zip(dims, cols))


def tucker(x, ranks, *, num_threads: int = 0):
    """Tucker decomposition of `x` with the given multilinear `ranks` (e.g. info["ranks"]).

    Returns `(core, factors)`: `core` of shape `ranks`, `factors[k]` an `(x.shape[k],
    ranks[k])` matrix with orthonormal columns, such that
    `x ~ core x_0 factors[0] x_1 factors[1] ...` (exact when the ranks are the true ones)."""
    lib = _lib()
    a = _f64(x)
    r = _ranks(ranks, a.ndim, "tucker")
    if not _safe_sizes(a.shape, r) or np.any(r < 0):
        raise ValueError(f"tucker: ranks {tuple(r)} do not fit a tensor of shape {a.shape}")
    core = np.empty(tuple(int(v) for v in r), dtype=np.float64, order="F")
    factors, ptrs = _alloc_factors(a.shape, r)
    shp, pshape = _shape_arg(a.shape)
    _raise(lib.tsr_tensor_tucker_f64(a.ndim, pshape, _ptr(a, _PD), _ptr(r, _PI64), int(num_threads), _ptr(core, _PD), ptrs))
    del shp
    return core, factors


def components(x, ranks, rank: int = 1, *, max_iter: int | None = None, tol: float | None = None, seed: int | None = None):
    """Interpretable components (Tomioka, Hayashi, Kashima 2011): Tucker decomposition with
    `ranks`, then a rank-`rank` CP decomposition of the core, mapped back.

    Returns `(weights, loadings, fit)`: `x ~ sum_c weights[c] * outer(loadings[0][:, c],
    loadings[1][:, c], ...)` with unit-norm loading columns (`loadings[k]` is
    `(x.shape[k], rank)`), and `fit = 1 - ||core - CP|| / ||core||`. `max_iter`, `tol` and
    `seed` default to the library's (`tsr_tensor_cp_options_default`)."""
    lib = _lib()
    a = _f64(x)
    r = _ranks(ranks, a.ndim, "components")
    o = ll.tsr_tensor_cp_options()
    _raise(lib.tsr_tensor_cp_options_default(ctypes.byref(o)))
    o.rank = int(rank)
    if max_iter is not None:
        o.max_iter = int(max_iter)
    if tol is not None:
        o.tol = float(tol)
    if seed is not None:
        o.seed = int(seed)
    R = max(int(rank), 0)
    if not _safe_sizes(a.shape, [R] * a.ndim):
        raise ValueError(f"components: rank {rank} is too large")
    weights = np.empty(R, dtype=np.float64)
    loadings, ptrs = _alloc_factors(a.shape, [R] * a.ndim)
    fit = ctypes.c_double()
    shp, pshape = _shape_arg(a.shape)
    _raise(lib.tsr_tensor_components_f64(a.ndim, pshape, _ptr(a, _PD), _ptr(r, _PI64), ctypes.byref(o),
                                         _ptr(weights, _PD), ptrs, ctypes.byref(fit)))
    del shp
    return weights, loadings, fit.value
