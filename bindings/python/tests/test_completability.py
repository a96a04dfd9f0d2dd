"""tessera.completability: closure against union-find and known masks, completion against the
truth, variances against the rank-1 effective resistance, the phase transition, bad input."""
import numpy as np
import pytest

import tessera
from tessera import completability as tc


def random_mask(m, n, density, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((m, n)) < density
    rows, cols = np.nonzero(mask)
    return mask, rows, cols


def components(m, n, rows, cols):
    parent = list(range(m + n))

    def find(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for i, j in zip(rows, cols):
        a, b = find(i), find(m + j)
        parent[a] = b
    return [find(v) for v in range(m + n)]


def test_rank_one_closure_is_union_find():
    for seed in range(20):
        m, n = 9, 7
        mask, rows, cols = random_mask(m, n, 0.15, seed)
        if rows.size == 0:
            continue
        labels = components(m, n, rows, cols)
        want = np.array([[labels[i] == labels[m + j] for j in range(n)] for i in range(m)])
        with tc.closure(rows, cols, (m, n), 1) as c:
            assert np.array_equal(c.dense(), want)
            qr, qc = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
            assert np.array_equal(c.contains(qr.ravel(), qc.ravel()), want.ravel())
            info = c.info
            assert info["jacobian_rank"] == m + n - info["components"]
        with tc.closure_dense(mask, 1) as d:
            assert np.array_equal(d.dense(), want)


def test_rank_two_completion_matches_truth_and_variances_are_finite_where_completable():
    rng = np.random.default_rng(3)
    m, n, r = 12, 10, 2
    a = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
    mask = rng.random((m, n)) < 0.6
    mask[-1, :] = False
    mask[-1, 0] = True  # one observation (< r): row pruned, its missing entries undetermined
    rows, cols = np.nonzero(mask)
    qr, qc = np.nonzero(~mask)
    with tc.closure(rows, cols, (m, n), r) as c:
        inside = c.contains(qr, qc)
        info = c.info
    assert info["pruned_rows"] == 1 and not info["finitely_completable"]
    assert np.array_equal(inside, qr != m - 1)
    est, var, count = tc.complete(rows, cols, a[rows, cols], (m, n), r, qr, qc)
    done = count > 0
    assert done.any() and not (done & ~inside).any()
    np.testing.assert_allclose(est[done], a[qr, qc][done], rtol=1e-8)
    assert np.all(np.isnan(est[~done])) and np.all(np.isinf(var[~done]))
    fo = tc.variance(rows, cols, a[rows, cols], (m, n), r, qr, qc)
    assert np.array_equal(np.isfinite(fo), inside)


def test_rank_one_variance_is_the_effective_resistance():
    rng = np.random.default_rng(5)
    m, n = 6, 5
    u, v = rng.uniform(0.5, 2.0, m), rng.uniform(0.5, 2.0, n)
    _, rows, cols = random_mask(m, n, 0.7, 11)
    a = np.outer(u, v)
    sigma2 = rng.uniform(0.5, 2.0, rows.size)
    # Laplacian of the bipartite graph with conductances a_e^2 / sigma_e^2 (log-space
    # resistances sigma_e^2 / a_e^2).
    lap = np.zeros((m + n, m + n))
    for e, (i, j) in enumerate(zip(rows, cols)):
        g = a[i, j] ** 2 / sigma2[e]
        lap[i, i] += g
        lap[m + j, m + j] += g
        lap[i, m + j] -= g
        lap[m + j, i] -= g
    pinv = np.linalg.pinv(lap)
    labels = components(m, n, rows, cols)
    qr, qc = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    qr, qc = qr.ravel(), qc.ravel()
    est, var, _ = tc.complete(rows, cols, a[rows, cols], (m, n), 1, qr, qc, variances=sigma2)
    fo = tc.variance(rows, cols, a[rows, cols], (m, n), 1, qr, qc, variances=sigma2)
    for q, (i, j) in enumerate(zip(qr, qc)):
        if labels[i] != labels[m + j]:
            assert np.isinf(var[q]) and np.isinf(fo[q])
            continue
        d = np.zeros(m + n)
        d[i], d[m + j] = 1.0, -1.0
        reff = d @ pinv @ d
        assert est[q] == pytest.approx(a[i, j], rel=1e-10)
        assert var[q] / a[i, j] ** 2 == pytest.approx(reff, rel=1e-7)
        assert fo[q] / a[i, j] ** 2 == pytest.approx(reff, rel=1e-6)


def test_phase_transition_rises():
    fraction, full = tc.phase_transition(20, 2, [0.3, 1.0, 3.0], trials=3, seed=1)
    assert np.all((fraction >= 0) & (fraction <= 1)) and np.all((full >= 0) & (full <= 3))
    assert fraction[0] < 0.5 < 0.9 < fraction[2]


def test_bad_input_raises_with_status():
    rows, cols, vals = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 2, 0]), np.ones(5)
    cases = [
        (lambda: tc.closure(rows, cols, (3, 3), 0), "TSR_ERR_INVALID_PARAMETER"),
        (lambda: tc.closure(rows, cols, (3, 3), 3), "TSR_ERR_INVALID_PARAMETER"),
        (lambda: tc.closure([0, 5], [0, 0], (3, 3), 1), "TSR_ERR_DOMAIN"),
        (lambda: tc.closure([0, 0], [1, 1], (3, 3), 1), "TSR_ERR_DOMAIN"),
        (lambda: tc.closure([], [], (3, 3), 1), "TSR_ERR_DOMAIN"),
        (lambda: tc.complete(rows, cols, [1, np.nan, 1, 1, 1], (3, 3), 1, [2], [2]), "TSR_ERR_NON_FINITE"),
        (lambda: tc.complete(rows, cols, vals, (3, 3), 1, [2], [2], variances=-vals), "TSR_ERR_DOMAIN"),
        (lambda: tc.complete(rows, cols, vals, (3, 3), 1, [2], [7]), "TSR_ERR_DOMAIN"),
        (lambda: tc.complete(rows, cols, vals[:4], (3, 3), 1, [2], [2]), None),
        (lambda: tc.phase_transition(10, 2, [-1.0]), "TSR_ERR_INVALID_PARAMETER"),
    ]
    for call, status in cases:
        if status is None:
            # A values array shorter than the mask is a Python-side programming error the C
            # layer cannot see (it reads nobs values): the wrapper must refuse it first.
            with pytest.raises(ValueError):
                call()
            continue
        with pytest.raises(tessera.TesseraError) as err:
            call()
        assert err.value.status_name == status and err.value.message
    with pytest.raises(ValueError):
        tc.complete(rows, cols, vals, (3, 3), 1, [2], [2], method="nope")
