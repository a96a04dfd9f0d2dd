"""QSGD: unbiased stochastic quantisation of gradients and its Elias-coded stream (`tsr_qsgd_*`).

    from tessera import qsgd
    data = qsgd.encode(g, levels=16, bucket_size=512, seed=step)   # bytes to send
    g_hat = qsgd.decode(data)                                      # == qsgd.quantize(g, ...), bit for bit
    qsgd.stream_info(data)                                         # n, levels, bits_per_coordinate, ...

`v` is a float32 or float64 array (anything else is converted to float64), flattened in C
order; float32 values give a float32 stream. Options: `levels` s (1..2^31-1, default 16),
`bucket_size` (entries per scale; 0 = one bucket; default 512), `norm` (`"l2"`, the paper's
Q_s, default; or `"max"`), `seed` of the rounding draws (default 0); None keeps the library's
default. The same seed, input and options give the same bytes on every machine.

Failures raise `tessera.TesseraError`: `TSR_ERR_NON_FINITE` (a NaN or infinity),
`TSR_ERR_INVALID_PARAMETER` / `TSR_ERR_INVALID_ENUM` (options), `TSR_ERR_DOMAIN` (a 2-norm
that overflows), `TSR_ERR_BAD_DATA` (truncated or corrupted bytes), `TSR_ERR_WRONG_DTYPE`
(decoding with the other element type).
"""
from __future__ import annotations

import ctypes

import numpy as np

from . import _lowlevel as ll

__all__ = ["encode", "decode", "quantize", "stream_info", "max_encoded_len", "NORMS"]

NORMS = {"l2": ll.TSR_QSGD_NORM_L2, "max": ll.TSR_QSGD_NORM_MAX}
_DTYPES = {1: np.dtype(np.float32), 2: np.dtype(np.float64)}
_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_CTYPE = {np.dtype(np.float32): ctypes.c_float, np.dtype(np.float64): ctypes.c_double}
_PU8 = ctypes.POINTER(ctypes.c_uint8)


def _lib():
    from . import lib  # the package's loaded library (tessera/__init__.py)

    return lib


def _check(status: int) -> None:
    from . import _check as check

    check(status)


def _options(levels, bucket_size, norm, seed):
    o = ll.tsr_qsgd_options()
    _check(_lib().tsr_qsgd_options_default(ctypes.byref(o)))
    if levels is not None:
        o.levels = int(levels)
    if bucket_size is not None:
        o.bucket_size = int(bucket_size)
    if norm is not None:
        if isinstance(norm, str):
            if norm.lower() not in NORMS:
                raise ValueError(f"norm {norm!r} is not one of {sorted(NORMS)}")
            o.norm = NORMS[norm.lower()]
        else:
            o.norm = int(norm)  # a TSR_QSGD_NORM_* code; the library validates it
    if seed is not None:
        o.seed = int(seed)
    return o


def _values(v) -> np.ndarray:
    dt = np.float32 if isinstance(v, np.ndarray) and v.dtype == np.float32 else np.float64
    return np.require(np.asarray(v, dtype=dt).reshape(-1), requirements=["C_CONTIGUOUS", "ALIGNED"])


def _ptr(a: np.ndarray):
    return a.ctypes.data_as(ctypes.POINTER(_CTYPE[a.dtype])) if a.size else None


def _bytes(data) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data, dtype=np.uint8).reshape(-1)
    return np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)


def _bptr(b: np.ndarray):
    return b.ctypes.data_as(_PU8) if b.size else None


def max_encoded_len(n: int, dtype=np.float64, *, levels=None, bucket_size=None, norm=None) -> int:
    """An upper bound on the bytes of the stream of any `n` values of `dtype` with these options."""
    d = np.dtype(dtype)
    if d not in _SUFFIX:
        raise ValueError(f"dtype must be float32 or float64, not {d}")
    o = _options(levels, bucket_size, norm, None)
    out = ctypes.c_int64()
    _check(getattr(_lib(), f"tsr_qsgd_max_encoded_len_{_SUFFIX[d]}")(int(n), ctypes.byref(o), ctypes.byref(out)))
    return out.value


def encode(v, *, levels=None, bucket_size=None, norm=None, seed=None) -> bytes:
    """Q_s(v) as a checksummed byte stream (header, Elias-coded levels, scales)."""
    a = _values(v)
    o = _options(levels, bucket_size, norm, seed)
    lib = _lib()
    sfx = _SUFFIX[a.dtype]
    cap = ctypes.c_int64()
    _check(getattr(lib, f"tsr_qsgd_max_encoded_len_{sfx}")(a.size, ctypes.byref(o), ctypes.byref(cap)))
    buf = np.empty(max(cap.value, 1), dtype=np.uint8)
    n = ctypes.c_int64()
    _check(getattr(lib, f"tsr_qsgd_encode_{sfx}")(a.size, _ptr(a), ctypes.byref(o), buf.ctypes.data_as(_PU8), buf.size,
                                                  ctypes.byref(n)))
    return buf[:n.value].tobytes()


def quantize(v, *, levels=None, bucket_size=None, norm=None, seed=None) -> np.ndarray:
    """Q_s(v) itself, without coding: exactly what `decode(encode(v, ...))` gives, in the shape
    of `v` (float32 for float32 input, else float64)."""
    shape = np.shape(v)
    a = _values(v)
    o = _options(levels, bucket_size, norm, seed)
    out = np.empty(a.size, dtype=a.dtype)
    _check(getattr(_lib(), f"tsr_qsgd_quantize_{_SUFFIX[a.dtype]}")(a.size, _ptr(a), ctypes.byref(o), _ptr(out)))
    return out.reshape(shape)


def stream_info(data) -> dict:
    """What a stream's header says (after checking its length and checksum): dtype (numpy), n,
    levels, norm ("l2" or "max"), bucket_size, payload_bits, total_bytes, bits_per_coordinate."""
    b = _bytes(data)
    i = ll.tsr_qsgd_stream_info()
    i.struct_size = ctypes.sizeof(i)
    _check(_lib().tsr_qsgd_get_stream_info(_bptr(b), b.size, ctypes.byref(i)))
    norm = {v: k for k, v in NORMS.items()}.get(i.norm, int(i.norm))
    return {"dtype": _DTYPES.get(i.dtype, int(i.dtype)), "n": int(i.n), "levels": int(i.levels), "norm": norm,
            "bucket_size": int(i.bucket_size), "payload_bits": int(i.payload_bits), "total_bytes": int(i.total_bytes),
            "bits_per_coordinate": float(i.bits_per_coordinate)}


def decode(data, dtype=None) -> np.ndarray:
    """The 1-d array of values a stream holds (exactly the encoded Q_s(v)). `dtype` None takes
    the stream's own; float32 or float64 asks for that type (TSR_ERR_WRONG_DTYPE if the stream
    holds the other)."""
    b = _bytes(data)
    info = stream_info(b)
    if dtype is None:
        d = info["dtype"]
        if d not in _SUFFIX:  # not reachable for a stream that passed its checks
            raise ValueError(f"stream of unknown element type {d}")
    else:
        d = np.dtype(dtype)
        if d not in _SUFFIX:
            raise ValueError(f"dtype must be float32 or float64, not {d}")
    out = np.empty(info["n"], dtype=d)
    _check(getattr(_lib(), f"tsr_qsgd_decode_{_SUFFIX[d]}")(_bptr(b), b.size, out.size, _ptr(out)))
    return out
