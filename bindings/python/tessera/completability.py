"""Which entries of a partially observed low-rank matrix are determined (`tsr_completability_*`).

    from tessera import completability as tc
    c = tc.closure(rows, cols, (m, n), rank=2)        # or tc.closure_dense(mask, rank=2)
    c.info                                            # jacobian_rank, deficiency, ...
    c.contains(qrows, qcols)                          # bool array, one per query
    c.dense()                                         # (m, n) bool array, the whole closure
    est, var, count = tc.complete(rows, cols, values, (m, n), 2, qrows, qcols)
    var = tc.variance(rows, cols, values, (m, n), 2, qrows, qcols)
    fraction, full = tc.phase_transition(30, 2, [0.5, 1.0, 2.0], trials=5)

Indices are 0-based integer arrays (row `rows[e]`, column `cols[e]` of observation `e`);
`values[e]` and `variances[e]` (None: unit variances) belong to observation `e`. An entry a
method cannot determine has estimate NaN, variance +inf and count 0. Failures raise
`tessera.TesseraError` (`.status`, `.status_name`, `.message`).
"""
from __future__ import annotations

import ctypes

import numpy as np

from . import _lowlevel as ll

__all__ = ["Closure", "closure", "closure_dense", "complete", "variance", "phase_transition"]

_METHODS = {"min_variance": ll.TSR_COMPLETABILITY_MIN_VARIANCE, "path": ll.TSR_COMPLETABILITY_PATH}


def _lib():
    from . import lib  # the package's loaded library (tessera/__init__.py)

    return lib


def _check(status: int):
    from . import _check as check

    check(status)


def _array(a, dtype) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype).reshape(-1)


def _ptr(a: np.ndarray | None, ctype):
    return None if a is None else a.ctypes.data_as(ctypes.POINTER(ctype))


def _coords(rows, cols, what="rows/cols"):
    r, c = _array(rows, np.int64), _array(cols, np.int64)
    if r.shape != c.shape:
        raise ValueError(f"{what}: {r.size} row indices but {c.size} column indices")
    return r, c


def _options(num_threads=0, seed=None, trials=None, method=None, tol=None, max_iter=None,
             max_estimators=None, max_rounds=None, min_rcond=None):
    o = ll.tsr_completability_options()
    _check(_lib().tsr_completability_options_default(ctypes.byref(o)))
    o.num_threads = num_threads
    if method is not None:
        if method not in _METHODS:
            raise ValueError(f"method must be one of {sorted(_METHODS)}, not {method!r}")
        o.rank1_method = _METHODS[method]
    for name, value in [("seed", seed), ("trials", trials), ("tol", tol), ("max_iter", max_iter),
                        ("max_estimators", max_estimators), ("max_rounds", max_rounds), ("min_rcond", min_rcond)]:
        if value is not None:
            setattr(o, name, value)
    return o


class Closure:
    """The closure of a mask in the rank-r determinantal matroid (a `tsr_completability_closure`
    handle): the entries determined, up to finitely many values, by the observed positions.
    Use as a context manager or call `close()` to free it early."""

    def __init__(self, handle: ctypes.c_void_p, shape):
        self._handle = handle
        self.shape = tuple(shape)

    @property
    def info(self) -> dict:
        """Summary: rank, jacobian_rank, full_rank = r(m+n-r), deficiency, finitely_completable,
        components of the row/column graph, pruned_rows and pruned_cols (r-core pruning)."""
        i = ll.tsr_completability_info()
        i.struct_size = ctypes.sizeof(i)
        _check(_lib().tsr_completability_closure_info(self._handle, ctypes.byref(i)))
        out = {name: getattr(i, name) for name, _ in i._fields_ if name != "struct_size"}
        out["finitely_completable"] = bool(out["finitely_completable"])
        return out

    def contains(self, qrows, qcols) -> np.ndarray:
        """Whether each queried entry `(qrows[q], qcols[q])` is in the closure."""
        r, c = _coords(qrows, qcols, "qrows/qcols")
        out = np.zeros(r.size, dtype=np.uint8)
        _check(_lib().tsr_completability_closure_query(self._handle, r.size, _ptr(r, ctypes.c_int64),
                                                       _ptr(c, ctypes.c_int64), _ptr(out, ctypes.c_uint8)))
        return out.astype(bool)

    def dense(self) -> np.ndarray:
        """The whole closure as an (m, n) boolean array."""
        m, n = self.shape
        out = np.zeros((m, n), dtype=np.uint8, order="F")
        _check(_lib().tsr_completability_closure_dense(self._handle, _ptr(out, ctypes.c_uint8)))
        return out.astype(bool)

    def close(self):
        if self._handle:
            _lib().tsr_completability_closure_free(self._handle)
            self._handle = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def closure(rows, cols, shape, rank: int, *, seed: int = 0, trials: int = 2, num_threads: int = 0) -> Closure:
    """The rank-`rank` closure of the mask of observed positions `(rows[e], cols[e])` of a
    matrix of `shape` (m, n), decided exactly over a prime field at `trials` random points."""
    r, c = _coords(rows, cols)
    m, n = shape
    h = ctypes.c_void_p()
    opts = _options(num_threads, seed=seed, trials=trials)
    _check(_lib().tsr_completability_closure_new(m, n, r.size, _ptr(r, ctypes.c_int64), _ptr(c, ctypes.c_int64), rank,
                                                 ctypes.byref(opts), ctypes.byref(h)))
    return Closure(h, (m, n))


def closure_dense(mask, rank: int, *, seed: int = 0, trials: int = 2, num_threads: int = 0) -> Closure:
    """As `closure`, from an (m, n) boolean array that is True where an entry is observed."""
    a = np.asarray(mask)
    if a.ndim != 2:
        raise ValueError(f"mask must be 2-d, not of shape {a.shape}")
    bytes_ = np.asfortranarray(a != 0, dtype=np.uint8)
    h = ctypes.c_void_p()
    opts = _options(num_threads, seed=seed, trials=trials)
    _check(_lib().tsr_completability_closure_new_dense(a.shape[0], a.shape[1], _ptr(bytes_, ctypes.c_uint8), rank,
                                                       ctypes.byref(opts), ctypes.byref(h)))
    return Closure(h, a.shape)


def _problem(rows, cols, values, variances):
    r, c = _coords(rows, cols)
    v = _array(values, np.float64)
    w = None if variances is None else _array(variances, np.float64)
    for name, a in [("values", v), ("variances", w)]:
        if a is not None and a.size != r.size:
            raise ValueError(f"{name} has {a.size} elements for {r.size} observations")
    return r, c, v, w


def complete(rows, cols, values, shape, rank: int, qrows, qcols, *, variances=None, method: str = "min_variance",
             tol: float | None = None, max_iter: int | None = None, max_estimators: int | None = None,
             max_rounds: int | None = None, min_rcond: float | None = None, num_threads: int = 0):
    """Estimates the queried entries of a rank-`rank` matrix from the observed `values`.

    Rank 1: `method` "min_variance" (electrical flow: the minimum-variance unbiased estimate
    over all paths) or "path" (one alternating path). Rank >= 2: minors of observed and
    completed entries, combined with weights for their correlations. Returns (estimate,
    variance, count): first-order variances of the estimates, and how many elementary
    estimates were combined (0 where the entry is not determined: estimate NaN)."""
    r, c, v, w = _problem(rows, cols, values, variances)
    qr, qc = _coords(qrows, qcols, "qrows/qcols")
    est, var = np.empty(qr.size), np.empty(qr.size)
    count = np.empty(qr.size, dtype=np.int64)
    opts = _options(num_threads, method=method, tol=tol, max_iter=max_iter, max_estimators=max_estimators,
                    max_rounds=max_rounds, min_rcond=min_rcond)
    m, n = shape
    _check(_lib().tsr_completability_complete_f64(
        m, n, r.size, _ptr(r, ctypes.c_int64), _ptr(c, ctypes.c_int64), _ptr(v, ctypes.c_double),
        _ptr(w, ctypes.c_double), rank, qr.size, _ptr(qr, ctypes.c_int64), _ptr(qc, ctypes.c_int64),
        ctypes.byref(opts), _ptr(est, ctypes.c_double), _ptr(var, ctypes.c_double), _ptr(count, ctypes.c_int64)))
    return est, var, count


def variance(rows, cols, values, shape, rank: int, qrows, qcols, *, variances=None, num_threads: int = 0) -> np.ndarray:
    """First-order variance g^T (J^T S^-1 J)^+ g of each queried entry for any estimator that
    fits a rank-`rank` matrix to the observations; +inf exactly where the entry is not
    completable."""
    r, c, v, w = _problem(rows, cols, values, variances)
    qr, qc = _coords(qrows, qcols, "qrows/qcols")
    out = np.empty(qr.size)
    opts = _options(num_threads)
    m, n = shape
    _check(_lib().tsr_completability_variance_f64(
        m, n, r.size, _ptr(r, ctypes.c_int64), _ptr(c, ctypes.c_int64), _ptr(v, ctypes.c_double),
        _ptr(w, ctypes.c_double), rank, qr.size, _ptr(qr, ctypes.c_int64), _ptr(qc, ctypes.c_int64),
        ctypes.byref(opts), _ptr(out, ctypes.c_double)))
    return out


def phase_transition(n: int, rank: int, x, *, trials: int = 5, seed: int = 0, num_threads: int = 0):
    """For each x, `trials` uniform n x n masks of round(x r(2n - r)) positions: returns the
    mean fraction of completable entries and the number of fully completable trials."""
    xs = _array(x, np.float64)
    fraction = np.empty(xs.size)
    full = np.empty(xs.size, dtype=np.int64)
    opts = _options(num_threads, seed=seed)
    _check(_lib().tsr_completability_phase_transition(n, rank, xs.size, _ptr(xs, ctypes.c_double), trials,
                                                      ctypes.byref(opts), _ptr(fraction, ctypes.c_double),
                                                      _ptr(full, ctypes.c_int64)))
    return fraction, full
