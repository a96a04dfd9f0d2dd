"""tessera.qsgd and tessera.fdiv_objective: bit-exact round trips, unbiasedness over seeds
against the exact per-entry variance, the paper's variance bound, the f-GAN identities at P = Q,
gradients against finite differences, a critic trained to the KL divergence of two Gaussians,
and bad input with its status."""
import numpy as np
import pytest

import tessera
from tessera import Network, fdiv_objective, qsgd


def raises(status, f, *args, **kwargs):
    with pytest.raises(tessera.TesseraError) as info:
        f(*args, **kwargs)
    e = info.value
    assert e.status == status, (e.status_name, e.message)
    assert e.status_name == tessera.status_name(status) and e.message
    return e


def vector(n=1000, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-1, 1, n) * (1.0 + np.arange(n) % 7)).astype(dtype)


@pytest.mark.parametrize("norm", ["l2", "max"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_decode_of_encode_is_quantize_exactly(norm, dtype):
    v = vector(dtype=dtype)
    for seed in (0, 1, 12345):
        opts = dict(levels=4, bucket_size=128, norm=norm, seed=seed)
        data = qsgd.encode(v, **opts)
        assert isinstance(data, bytes) and len(data) <= qsgd.max_encoded_len(v.size, dtype, levels=4, bucket_size=128, norm=norm)
        d, q = qsgd.decode(data), qsgd.quantize(v, **opts)
        assert d.dtype == dtype and q.dtype == dtype and d.shape == (v.size,)
        assert d.tobytes() == q.tobytes()
        assert qsgd.decode(data, dtype=dtype).tobytes() == d.tobytes()
        info = qsgd.stream_info(data)
        assert info["dtype"] == dtype and info["n"] == v.size and info["levels"] == 4 and info["norm"] == norm
        assert info["bucket_size"] == 128 and info["total_bytes"] == len(data)
        assert 0 < info["bits_per_coordinate"] < 8 * np.dtype(dtype).itemsize
        assert qsgd.encode(v, **opts) == data  # deterministic
    assert qsgd.encode(v, seed=1) != qsgd.encode(v, seed=2)


def test_quantize_keeps_shape_and_levels():
    v = vector(240, seed=3).reshape(12, 20)
    q = qsgd.quantize(v, levels=3, bucket_size=40)
    assert q.shape == v.shape
    flat, qf = v.reshape(-1), q.reshape(-1)
    for b in range(0, flat.size, 40):
        vb, qb = flat[b:b + 40], qf[b:b + 40]
        sigma = np.linalg.norm(vb)
        x = 3 * np.abs(vb) / sigma
        zeta = np.round(np.abs(qb) * 3 / sigma)
        assert np.all((zeta == np.floor(x)) | (zeta == np.floor(x) + 1))  # one of the two nearest levels
        assert np.all((np.sign(qb) == np.sign(vb)) | (qb == 0))
    assert np.array_equal(qsgd.quantize(np.zeros(10)), np.zeros(10))
    assert qsgd.decode(qsgd.encode(np.zeros(0))).shape == (0,)


@pytest.mark.parametrize("norm", ["l2", "max"])
def test_quantisation_is_unbiased_over_seeds(norm):
    v = vector(300, seed=4)
    s, d, draws = 4, 50, 400
    mean = np.zeros_like(v)
    for seed in range(draws):
        mean += qsgd.quantize(v, levels=s, bucket_size=d, norm=norm, seed=seed) / draws
    # Exact per-entry variance (sigma/s)^2 p(1 - p) of the rounding.
    var = np.empty_like(v)
    for b in range(0, v.size, d):
        vb = v[b:b + d]
        sigma = np.linalg.norm(vb) if norm == "l2" else np.max(np.abs(vb))
        x = s * np.abs(vb) / sigma
        p = x - np.floor(x)
        var[b:b + d] = (sigma / s) ** 2 * p * (1 - p)
    z = np.abs(mean - v) / np.sqrt(var / draws + 1e-300)
    assert np.max(z[var > 0]) < 5.5  # a biased rounding (up with probability 1 - p) misses by many sd
    assert np.max(np.abs(mean - v)[var == 0], initial=0.0) < 1e-12  # exact levels (the max entry, max norm)
    # Lemma 3.1: E||Q(v) - v||^2 <= min(d/s^2, sqrt(d)/s) ||v||^2 per bucket (2-norm).
    if norm == "l2":
        err = np.mean([np.sum((qsgd.quantize(v, levels=s, bucket_size=d, seed=1000 + k) - v) ** 2) for k in range(50)])
        bound = sum(min(d / s**2, np.sqrt(d) / s) * np.sum(v[b:b + d] ** 2) for b in range(0, v.size, d))
        assert err <= bound
        assert abs(err - np.sum(var)) < 0.2 * np.sum(var)  # and it is the exact variance


def test_qsgd_bad_input():
    E = tessera
    v = vector(500, seed=5)
    data = qsgd.encode(v)
    for n in range(0, len(data), 3):
        raises(E.TSR_ERR_BAD_DATA, qsgd.decode, data[:n])
    raises(E.TSR_ERR_BAD_DATA, qsgd.decode, data + b"\0")
    for i in range(0, len(data), 11):
        bad = bytearray(data)
        bad[i] ^= 1 << (i % 8)
        raises(E.TSR_ERR_BAD_DATA, qsgd.decode, bytes(bad))
    raises(E.TSR_ERR_BAD_DATA, qsgd.stream_info, b"not a stream at all, but long enough to have a header")
    raises(E.TSR_ERR_WRONG_DTYPE, qsgd.decode, data, dtype=np.float32)
    raises(E.TSR_ERR_WRONG_DTYPE, qsgd.decode, qsgd.encode(v.astype(np.float32)), dtype=np.float64)
    with pytest.raises(ValueError):
        qsgd.decode(data, dtype=np.int16)
    bad = v.copy()
    bad[17] = np.nan
    raises(E.TSR_ERR_NON_FINITE, qsgd.encode, bad)
    raises(E.TSR_ERR_NON_FINITE, qsgd.quantize, bad)
    raises(E.TSR_ERR_INVALID_PARAMETER, qsgd.quantize, v, levels=0)
    raises(E.TSR_ERR_INVALID_PARAMETER, qsgd.quantize, v, bucket_size=-2)
    raises(E.TSR_ERR_INVALID_ENUM, qsgd.quantize, v, norm=7)
    raises(E.TSR_ERR_BAD_EXTENT, qsgd.max_encoded_len, -1)
    with pytest.raises(ValueError):
        qsgd.quantize(v, norm="l1")
    huge = np.array([1e308, 1e308, -1e308, 1e308])
    raises(E.TSR_ERR_DOMAIN, qsgd.quantize, huge)  # the 2-norm overflows
    assert np.all(np.isfinite(qsgd.quantize(huge, norm="max")))  # the max norm does not


# Raw outputs v* with g_f(v*) = f'(1): the optimal critic when P = Q (KL's is 1).
OPTIMUM = {"kl": 1.0, "reverse_kl": 0.0, "pearson": 0.0, "neyman": 0.0, "squared_hellinger": 0.0,
           "jensen_shannon": 0.0, "gan": 0.0}


@pytest.mark.parametrize("div", sorted(OPTIMUM))
def test_fdiv_at_p_equals_q_and_gradients(div):
    vp, vq = np.full(6, OPTIMUM[div]), np.full(9, OPTIMUM[div])
    f = fdiv_objective(div, vp, vq)
    assert abs(f - (-np.log(4.0) if div == "gan" else 0.0)) < 1e-15
    f2, gp, gq = fdiv_objective(div, vp, vq, grad=True)
    assert f2 == f and abs(gp.sum() + gq.sum()) < 1e-15  # the gradients balance at the optimum
    rng = np.random.default_rng(6)
    vp, vq = 0.8 * rng.uniform(-1, 1, 6), 0.8 * rng.uniform(-1, 1, 9)
    f, gp, gq = fdiv_objective(div, vp, vq, grad=True)
    h = 1e-6
    for v, g in ((vp, gp), (vq, gq)):
        for k in range(v.size):
            keep = v[k]
            v[k] = keep + h
            up = fdiv_objective(div, vp, vq)
            v[k] = keep - h
            down = fdiv_objective(div, vp, vq)
            v[k] = keep
            assert abs((up - down) / (2 * h) - g[k]) < 1e-8
    f32, gp32, _ = fdiv_objective(div, vp.astype(np.float32), vq.astype(np.float32), grad=True)
    assert gp32.dtype == np.float32 and abs(f32 - f) < 1e-5 * (1 + abs(f))
    # Codes work as names do; shapes are kept (a critic's (batch, 1) outputs).
    f3, gp3, gq3 = fdiv_objective(tessera.nn.DIVERGENCES[div], vp.reshape(6, 1), vq.reshape(3, 3), grad=True)
    assert f3 == f and gp3.shape == (6, 1) and gq3.shape == (3, 3) and np.array_equal(gp3.ravel(), gp)


def test_critic_trained_on_the_kl_objective_estimates_the_divergence():
    # KL(N(1, 1) || N(0, 1)) = 1/2; the optimal critic is T(x) = 1 + ln p/q = x + 1/2 (linear).
    rng = np.random.default_rng(7)
    critic = Network([1, 16, 1], ["tanh", "identity"], "squared_error", dtype=np.float64, seed=2, max_batch=512)
    critic.set_optimiser("adam", 0.01)
    for _ in range(400):
        xp, xq = rng.normal(1.0, 1.0, (256, 1)), rng.normal(0.0, 1.0, (256, 1))
        x = np.vstack([xp, xq])
        v = critic.forward(x)
        _, gp, gq = fdiv_objective("kl", v[:256], v[256:], grad=True)
        critic.vjp(x, -np.vstack([gp, gq]), input_grad=False)  # ascend F: descend -F
        critic.step()
    xp, xq = rng.normal(1.0, 1.0, (512, 1)), rng.normal(0.0, 1.0, (512, 1))
    f = fdiv_objective("kl", critic.forward(xp), critic.forward(xq))
    assert 0.35 < f < 0.65


def test_fdiv_bad_input():
    E = tessera
    vp, vq = np.zeros(4), np.zeros(3)
    raises(E.TSR_ERR_INVALID_ENUM, fdiv_objective, 7, vp, vq)
    raises(E.TSR_ERR_BAD_EXTENT, fdiv_objective, "kl", np.zeros(0), vq)
    raises(E.TSR_ERR_BAD_EXTENT, fdiv_objective, "kl", vp, np.zeros(0), grad=True)
    bad = vq.copy()
    bad[2] = np.inf
    raises(E.TSR_ERR_NON_FINITE, fdiv_objective, "gan", vp, bad)
    with pytest.raises(ValueError):
        fdiv_objective("wasserstein", vp, vq)
