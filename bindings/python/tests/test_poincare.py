"""The Python binding against closed forms, across dtypes, strides and error statuses."""
import ctypes

import numpy as np
import pytest

import tessera
from tessera import _lowlevel as ll

C = 0.7


def mobius_add_ref(x, y, c=C):
    xy = np.sum(x * y, axis=-1, keepdims=True)
    x2 = np.sum(x * x, axis=-1, keepdims=True)
    y2 = np.sum(y * y, axis=-1, keepdims=True)
    num = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
    return num / (1 + 2 * c * xy + c * c * x2 * y2)


def points(n, d, seed, radius=0.9):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, d))
    r = rng.uniform(0, radius / np.sqrt(C), size=(n, 1))
    return v / np.linalg.norm(v, axis=1, keepdims=True) * r


@pytest.fixture(scope="module")
def ball():
    with tessera.PoincareBall(C) as b:
        yield b


def test_version_and_handle(ball):
    assert tessera.version() == "%d.%d.%d" % (ll.TSR_VERSION_MAJOR, ll.TSR_VERSION_MINOR, ll.TSR_VERSION_PATCH)
    assert tessera.lib.tsr_version() == ll.TSR_VERSION
    assert ball.c == pytest.approx(C)
    assert ctypes.sizeof(ll.tsr_matref_f64) == 40 and ctypes.sizeof(ll.tsr_poincare_options) == 8


def test_identities(ball):
    x = points(50, 5, 1)
    assert np.allclose(ball.mobius_add(x, np.zeros_like(x)), x, atol=1e-15)
    assert np.allclose(ball.mobius_add(np.zeros_like(x), x), x, atol=1e-15)
    assert np.allclose(ball.mobius_add(-x, x), 0, atol=1e-14)


def test_against_closed_form(ball):
    x, y = points(200, 7, 2), points(200, 7, 3)
    out = ball.mobius_add(x, y)
    assert out.shape == (200, 7) and out.dtype == np.float64
    assert np.allclose(out, mobius_add_ref(x, y), rtol=1e-13, atol=1e-15)


def test_f32_matches_f64(ball):
    x, y = points(100, 4, 4), points(100, 4, 5)
    o32 = ball.mobius_add(x.astype(np.float32), y.astype(np.float32))
    assert o32.dtype == np.float32
    assert np.allclose(o32, ball.mobius_add(x, y), atol=1e-5)
    # Mixed dtypes promote to float64.
    assert ball.mobius_add(x.astype(np.float32), y).dtype == np.float64


def test_broadcast_zero_strides(ball):
    x, y = points(30, 3, 6), points(1, 3, 7)
    full = np.repeat(y, 30, axis=0)
    yb = np.broadcast_to(y, (30, 3))
    assert yb.strides[0] == 0
    expect = mobius_add_ref(x, full)
    assert np.allclose(ball.mobius_add(x, yb), expect, rtol=1e-13)
    assert np.allclose(ball.mobius_add(x, y[0]), expect, rtol=1e-13)  # 1-d: one shared point


def test_non_contiguous_inputs(ball):
    big = points(40, 6, 8)
    x = big[::2, ::2]  # strided rows and columns
    y = np.asfortranarray(points(20, 3, 9))  # column-major
    assert not x.flags.c_contiguous and not y.flags.c_contiguous
    assert np.allclose(ball.mobius_add(x, y), mobius_add_ref(x, y), rtol=1e-13)
    xr = big[::-1, ::-1]  # negative strides
    assert np.allclose(ball.mobius_add(xr, xr * 0.5), mobius_add_ref(xr, xr * 0.5), rtol=1e-13)


def test_strides_not_multiple_of_itemsize_are_copied(ball):
    x = points(10, 3, 10)
    raw = np.zeros(10 * 3 * 8 + 1, dtype=np.uint8)
    odd = np.ndarray((10, 3), dtype=np.float64, buffer=raw, offset=1)  # misaligned
    odd[...] = x
    assert odd.ctypes.data % 8 != 0
    assert np.allclose(ball.mobius_add(odd, x), mobius_add_ref(x, x), rtol=1e-13)
    rec = np.zeros(10, dtype=[("a", np.float64, 3), ("b", np.int8)])  # stride 25 bytes
    rec["a"] = x
    assert rec["a"].strides[0] % 8 != 0
    assert np.allclose(ball.mobius_add(rec["a"], x), mobius_add_ref(x, x), rtol=1e-13)


def test_vjp_finite_differences(ball):
    x, y = points(5, 3, 11, 0.6), points(5, 3, 12, 0.6)
    g = np.random.default_rng(13).standard_normal((5, 3))
    gx, gy = ball.mobius_add_vjp(x, y, g)
    h = 1e-6
    for arr, grad, which in ((x, gx, 0), (y, gy, 1)):
        num = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            e = np.zeros_like(arr)
            e[i] = h
            args_p = (x + e, y) if which == 0 else (x, y + e)
            args_m = (x - e, y) if which == 0 else (x, y - e)
            num[i] = np.sum(g * (mobius_add_ref(*args_p) - mobius_add_ref(*args_m))) / (2 * h)
        assert np.allclose(grad, num, rtol=1e-6, atol=1e-8)


def test_outputs_start_on_a_cache_line_and_large_ones_stream_the_same_bits(ball):
    # 2**16 rows of 16 float64 are 8 MiB: large enough to be written with streaming stores,
    # which need the cache-line-aligned rows the binding allocates.
    n, d = 1 << 16, 16
    x, y = points(n, d, 5), points(n, d, 6)
    z = ball.mobius_add(x, y)
    gx, gy = ball.mobius_add_vjp(x, y, np.ones((n, d)))
    for a in (z, gx, gy, ball.dist(x, y), ball.mobius_add(x[:3], y[:3])):
        assert a.ctypes.data % 64 == 0 and a.flags.c_contiguous
    parts = [ball.mobius_add(x[i:i + 1000], y[i:i + 1000]) for i in range(0, n, 1000)]
    assert np.array_equal(z, np.concatenate(parts))
    assert np.allclose(z, mobius_add_ref(x, y), rtol=1e-12, atol=1e-14)


def test_empty_batch(ball):
    e = np.zeros((0, 4))
    assert ball.mobius_add(e, e).shape == (0, 4)


@pytest.mark.parametrize(
    "make, status",
    [
        (lambda b: b.mobius_add(np.full((2, 2), 2.0), np.zeros((2, 2))), ll.TSR_ERR_DOMAIN),
        (lambda b: b.mobius_add(np.array([[np.nan, 0.0]]), np.zeros((1, 2))), ll.TSR_ERR_NON_FINITE),
        (lambda b: b.mobius_add(np.zeros((3, 2)), np.zeros((4, 2))), ll.TSR_ERR_SHAPE_MISMATCH),
        (lambda b: b.mobius_add(np.zeros((3, 2)), np.zeros((3, 5))), ll.TSR_ERR_SHAPE_MISMATCH),
        (lambda b: tessera.PoincareBall(-1.0), ll.TSR_ERR_INVALID_PARAMETER),
        (lambda b: tessera.PoincareBall(float("nan")), ll.TSR_ERR_INVALID_PARAMETER),
        (lambda b: tessera.PoincareBall(1.0, num_threads=-2), ll.TSR_ERR_INVALID_PARAMETER),
        (lambda b: tessera.set_num_threads(-1), ll.TSR_ERR_INVALID_PARAMETER),
    ],
)
def test_errors_raise_with_status(ball, make, status):
    with pytest.raises(tessera.TesseraError) as info:
        make(ball)
    assert info.value.status == status
    assert info.value.status_name == tessera.status_name(status) != "TSR_ERR_UNKNOWN"
    assert info.value.message  # the library explains


def test_closed_ball_is_null_pointer():
    b = tessera.PoincareBall(1.0)
    b.close()
    with pytest.raises(tessera.TesseraError) as info:
        b.mobius_add(np.zeros((1, 2)), np.zeros((1, 2)))
    assert info.value.status == ll.TSR_ERR_NULL_POINTER


def _ref(a):
    return ll.tsr_matref_f64(a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), a.shape[0], a.shape[1], a.strides[0] // 8, a.strides[1] // 8)


def _mut(a, rs=None):
    return ll.tsr_matmut_f64(a.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), a.shape[0], a.shape[1], a.strides[0] // 8 if rs is None else rs, a.strides[1] // 8)


def test_lowlevel_view_errors(ball):
    """Errors only reachable through the raw C views (the idiomatic layer never makes them)."""
    lib, h = tessera.lib, ball._handle
    x, out = np.zeros((3, 2)), np.zeros((3, 2))
    assert lib.tsr_poincare_mobius_add_f64(h, _ref(x), _ref(x), _mut(out)) == ll.TSR_OK
    assert lib.tsr_poincare_mobius_add_f64(h, _ref(x), _ref(x), _mut(x)) == ll.TSR_ERR_ALIASING
    assert lib.tsr_poincare_mobius_add_f64(h, _ref(x), _ref(x), _mut(out, rs=0)) == ll.TSR_ERR_BAD_STRIDE
    assert "overlap" in lib.tsr_last_error_message().decode()
    null = ll.tsr_matref_f64(None, 3, 2, 2, 1)
    assert lib.tsr_poincare_mobius_add_f64(h, null, _ref(x), _mut(out)) == ll.TSR_ERR_NULL_POINTER
    neg = ll.tsr_matref_f64(_ref(x).ptr, -1, 2, 2, 1)
    assert lib.tsr_poincare_mobius_add_f64(h, neg, _ref(x), _mut(out)) == ll.TSR_ERR_BAD_EXTENT
    mis = ll.tsr_matref_f64(ctypes.cast(x.ctypes.data + 1, ctypes.POINTER(ctypes.c_double)), 1, 1, 1, 1)
    one = np.zeros((1, 1))
    assert lib.tsr_poincare_mobius_add_f64(h, mis, _ref(one), _mut(np.zeros((1, 1)))) == ll.TSR_ERR_MISALIGNED
    assert lib.tsr_poincare_mobius_add_f64(None, _ref(x), _ref(x), _mut(out)) == ll.TSR_ERR_NULL_POINTER


def test_every_op_is_a_method():
    for name, (_doc, _shapes, _args, variants) in ll.POINCARE_OPS.items():
        assert callable(getattr(tessera.PoincareBall, name)), name
        assert set(variants) == {"f32", "f64"}, name
