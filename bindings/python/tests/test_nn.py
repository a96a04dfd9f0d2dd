"""tessera.Network: training on built-in data to a real accuracy, the forward pass against numpy
from the weight views, gradients against finite differences (float64), the optimisers, parameter
views (writes, lifetime), save/load bit for bit, and bad input with its status."""
import gc
import weakref

import numpy as np
import pytest

import tessera
from tessera import Network


def blobs(n, seed, spread=0.3):
    """Three Gaussian blobs in the plane, one per class (samples in rows)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-1.0, -0.5], [1.0, -0.5], [0.0, 1.0]])
    labels = np.arange(n) % 3
    return centres[labels] + spread * rng.standard_normal((n, 2)), labels


def raises(status, f, *args, **kwargs):
    with pytest.raises(tessera.TesseraError) as info:
        f(*args, **kwargs)
    e = info.value
    assert e.status == status, (e.status_name, e.message)
    assert e.status_name == tessera.status_name(status)
    assert e.message
    return e


ACT = {
    "identity": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "softplus": lambda z: np.logaddexp(0.0, z),
    "gelu": lambda z: 0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z**3))),
}


def numpy_forward(net, x):
    a = x
    for l, act in enumerate(net.info["activations"]):
        a = ACT[act](a @ net.weights(l).T + net.bias(l))
    return a


@pytest.mark.parametrize("dtype, accuracy", [(np.float64, 0.95), (np.float32, 0.95)])
def test_training_on_blobs_reaches_accuracy(dtype, accuracy):
    x, y = blobs(240, seed=1)
    xt, yt = blobs(300, seed=2)  # held-out samples of the same blobs
    with Network([2, 16, 3], ["tanh", "identity"], "softmax_cross_entropy", dtype=dtype, seed=7,
                 max_batch=300, num_threads=1) as net:
        net.set_optimiser("adam", learning_rate=0.02)
        losses = [net.train_step(x[i:i + 60], labels=y[i:i + 60]) for _ in range(80) for i in range(0, 240, 60)]
        assert losses[-1] < 0.25 * losses[0]
        assert net.info["optimiser"] == "adam"
        out = net.forward(xt)
        assert out.shape == (300, 3) and out.dtype == dtype and out.flags.c_contiguous
        assert np.mean(np.argmax(out, axis=1) == yt) >= accuracy
        assert net.backward(xt, labels=yt) < 0.3


def test_squared_error_regression_learns_a_function():
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (200, 1))
    t = np.sin(x)
    net = Network([1, 32, 1], ["gelu", "identity"], "squared_error", dtype=np.float64, seed=3)
    net.set_optimiser("adam", 0.01)
    first = net.backward(x, targets=t)
    for _ in range(1500):
        net.train_step(x, targets=t)
    assert net.backward(x, targets=t) < 0.01 * first
    assert np.max(np.abs(net.forward(x) - t)) < 0.1


@pytest.mark.parametrize("act", sorted(ACT))
def test_forward_matches_numpy_from_weight_views(act):
    rng = np.random.default_rng(11)
    net = Network([3, 7, 5, 4], [act, "tanh", act], "squared_error", dtype=np.float64, seed=2)
    for l in range(3):
        net.bias(l)[:] = rng.standard_normal(net.sizes[l + 1])  # zero after initialisation
    x = rng.standard_normal((9, 3))
    y = net.forward(x)
    assert np.max(np.abs(y - numpy_forward(net, x))) < 1e-12
    # A strided (non-contiguous, negative-stride) batch gives the same outputs, row by row.
    big = np.zeros((18, 6))
    big[::2, ::2] = x
    assert np.array_equal(net.forward(big[::2, ::2]), y)
    assert np.array_equal(net.forward(x[::-1]), y[::-1])
    assert np.array_equal(net.forward(np.asfortranarray(x)), y)
    assert np.array_equal(net(x), y)


def test_f32_network_matches_f64_numpy():
    rng = np.random.default_rng(4)
    net = Network([4, 6, 2], ["softplus", "sigmoid"], "logistic", dtype=np.float32, seed=9)
    x = rng.standard_normal((10, 4))  # float64 input: converted to the network's float32
    y = net.forward(x)
    assert y.dtype == np.float32 and net.params.dtype == np.float32 and net.weights(0).dtype == np.float32
    ref = numpy_forward(net, x.astype(np.float32).astype(np.float64))
    assert np.max(np.abs(y - ref)) < 1e-5


def fd(f, v, k, h=1e-6):
    keep = v[k]
    v[k] = keep + h
    up = f()
    v[k] = keep - h
    down = f()
    v[k] = keep
    return (up - down) / (2 * h)


@pytest.mark.parametrize("loss, out_act", [("squared_error", "sigmoid"), ("logistic", "identity"),
                                           ("softmax_cross_entropy", "identity")])
def test_gradients_against_finite_differences(loss, out_act):
    rng = np.random.default_rng(8)
    net = Network([3, 6, 4], ["tanh", out_act], loss, dtype=np.float64, seed=3)
    x = rng.standard_normal((5, 3))
    kw = {"labels": np.array([0, 3, 1, 2, 3])} if loss == "softmax_cross_entropy" else {"targets": rng.uniform(0, 1, (5, 4))}
    loss0, gx = net.backward(x, input_grad=True, **kw)
    g = net.gradient.copy()
    assert not net.gradient.flags.writeable and g.shape == (net.info["num_params"],)
    p = net.params  # writes through this view move the network
    f = lambda: net.backward(x, **kw)  # noqa: E731
    worst = max(abs(fd(f, p, k) - g[k]) for k in range(p.size))
    assert worst < 1e-8
    assert f() == loss0  # the parameters were restored exactly
    worst = max(abs(fd(f, x.reshape(-1), k) - gx.reshape(-1)[k]) for k in range(x.size))
    assert worst < 1e-8


def test_vjp_is_backward_with_the_loss_gradient():
    rng = np.random.default_rng(9)
    net = Network([3, 5, 2], ["relu", "sigmoid"], "squared_error", dtype=np.float64, seed=1)
    x, t = rng.standard_normal((6, 3)), rng.uniform(0, 1, (6, 2))
    _, gx = net.backward(x, targets=t, input_grad=True)
    g = net.gradient.copy()
    gx2 = net.vjp(x, (net.forward(x) - t) / 6)
    assert np.max(np.abs(gx2 - gx)) < 1e-15 and np.max(np.abs(net.gradient - g)) < 1e-15
    assert net.vjp(x, np.ones((6, 2)), input_grad=False) is None


@pytest.mark.parametrize("kind", ["sgd", "adam", "path_sgd"])
def test_step_with_kept_gradient_equals_step_with_it_passed(kind):
    x, y = blobs(60, seed=3)
    a = Network([2, 8, 3], ["tanh", "identity"], "softmax_cross_entropy", dtype=np.float64, seed=11)
    b = Network.from_bytes(a.to_bytes())
    for n in (a, b):
        n.set_optimiser(kind, 0.01 if kind == "adam" else 0.1)
        assert n.info["optimiser"] == kind
    losses = []
    for _ in range(20):
        losses.append(a.backward(x, labels=y))
        a.step()
        b.backward(x, labels=y)
        b.step(b.gradient)  # the kept gradient passed in (copied: the step rewrites it)
    assert np.array_equal(a.params, b.params)
    assert losses[-1] < losses[0]
    # train_step = backward + step (fresh optimisers on both: the state, e.g. momentum, is not saved).
    c, d = Network.from_bytes(a.to_bytes()), Network.from_bytes(a.to_bytes())
    for n in (c, d):
        n.set_optimiser(kind, 0.01 if kind == "adam" else 0.1)
    for _ in range(3):
        assert c.train_step(x, labels=y) == d.backward(x, labels=y)
        d.step()
    assert np.array_equal(c.params, d.params)


def test_set_optimiser_codes_and_defaults():
    net = Network([2, 3], ["identity"], "squared_error")
    net.set_optimiser(tessera.TSR_NN_SGD, momentum=0.5)
    assert net.info["optimiser"] == "sgd"
    net.set_optimiser()
    assert net.info["optimiser"] == "adam"
    net.set_optimiser("path_sgd", path_p=1.0)
    assert net.info["optimiser"] == "path_sgd"


def test_params_views_write_through():
    net = Network([2, 4, 3], ["relu", "identity"], "squared_error", dtype=np.float64, seed=5)
    info = net.info
    assert info["num_params"] == (2 + 1) * 4 + (4 + 1) * 3 and info["sizes"] == (2, 4, 3)
    x = np.random.default_rng(1).standard_normal((7, 2))
    p = net.params
    # The layer views are windows of the parameter buffer in the documented layout.
    assert np.shares_memory(net.weights(0), p) and net.weights(0).shape == (4, 2) and net.bias(1).shape == (3,)
    assert np.array_equal(p[:8].reshape(2, 4).T, net.weights(0)) and np.array_equal(p[8:12], net.bias(0))
    p[:] = 0.0
    assert np.array_equal(net.forward(x), np.zeros((7, 3)))
    net.bias(1)[:] = [1.0, -2.0, 3.0]
    assert np.array_equal(net.forward(x), np.tile([1.0, -2.0, 3.0], (7, 1)))
    net.weights(0)[:] = np.eye(4, 2)
    net.weights(1)[:] = np.eye(3, 4)
    ref = np.maximum(x @ np.eye(4, 2).T, 0) @ np.eye(3, 4).T + [1.0, -2.0, 3.0]
    assert np.array_equal(net.forward(x), ref)
    net.params = np.arange(p.size, dtype=float) / 100  # the setter copies into the buffer
    assert net.params[5] == 0.05
    with pytest.raises(ValueError):
        net.gradient[0] = 1.0  # read-only


def test_views_keep_the_network_alive_and_close_is_safe():
    p = Network([2, 3], ["identity"], "squared_error", dtype=np.float64, seed=1).params
    gc.collect()
    before = p.copy()
    p += 1.0  # the network is gone from Python, its memory is not
    assert np.array_equal(p, before + 1.0)
    net = Network([2, 3], ["identity"], "squared_error", dtype=np.float64, seed=1)
    w = net.weights(0)
    with net:
        pass
    raises(tessera.TSR_ERR_NULL_POINTER, net.forward, np.zeros((1, 2)))
    raises(tessera.TSR_ERR_NULL_POINTER, lambda: net.params)
    w[:] = 2.0  # still valid memory: freed with the last view
    assert np.all(w == 2.0)
    assert repr(net) == "Network(<closed>)"
    # The handle is freed with the last view (and not before).
    net = Network([2, 3], ["identity"], "squared_error", dtype=np.float64, seed=1)
    handle = weakref.ref(net._owner)
    v, g = net.bias(0), net.gradient
    net.close()
    del w, v
    gc.collect()
    assert handle() is not None
    del g
    gc.collect()
    assert handle() is None


def test_save_load_round_trip_is_bit_exact(tmp_path):
    x, y = blobs(90, seed=4)
    for dtype in (np.float32, np.float64):
        a = Network([2, 8, 5, 3], ["gelu", "leaky_relu", "identity"], "softmax_cross_entropy", dtype=dtype, seed=13)
        for _ in range(10):
            a.train_step(x, labels=y)  # parameters that are not the initial ones
        data = a.to_bytes()
        assert isinstance(data, bytes) and data[:8] == b"TSRNNPAR"
        b = Network.from_bytes(data, max_batch=128)
        path = tmp_path / f"net_{np.dtype(dtype).name}.bin"
        a.save(path)
        c = Network.load(str(path), num_threads=1)
        assert path.read_bytes() == data
        for n in (b, c):
            assert n.dtype == dtype and n.to_bytes() == data
            assert n.params.tobytes() == a.params.tobytes()
            assert n.forward(x).tobytes() == a.forward(x).tobytes()
            assert n.info["activations"] == ["gelu", "leaky_relu", "identity"] and n.info["loss"] == "softmax_cross_entropy"
        assert b.info["max_batch"] == 128 and c.info["max_batch"] == 256 and c.info["num_threads"] == 1
        assert Network.from_bytes(bytearray(data)).to_bytes() == data
        assert Network.from_bytes(np.frombuffer(data, dtype=np.uint8)).to_bytes() == data


def test_corrupted_parameter_files_are_bad_data(tmp_path):
    data = Network([2, 8, 3], ["relu", "identity"], "softmax_cross_entropy", dtype=np.float64, seed=1).to_bytes()
    for n in range(0, len(data), 7):
        raises(tessera.TSR_ERR_BAD_DATA, Network.from_bytes, data[:n])
    for i in range(0, len(data), 5):
        bad = bytearray(data)
        bad[i] ^= 0x10
        raises(tessera.TSR_ERR_BAD_DATA, Network.from_bytes, bytes(bad))
    raises(tessera.TSR_ERR_BAD_DATA, Network.from_bytes, data + b"\0")
    raises(tessera.TSR_ERR_BAD_DATA, Network.from_bytes, b"")
    raises(tessera.TSR_ERR_IO, Network.load, tmp_path / "missing" / "net.bin")
    net = Network.from_bytes(data)
    raises(tessera.TSR_ERR_IO, net.save, tmp_path / "missing" / "net.bin")


def test_bad_input_raises_and_writes_nothing():
    net = Network([2, 8, 3], ["relu", "identity"], "softmax_cross_entropy", dtype=np.float64, seed=1, max_batch=16)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 2))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    before = net.params.copy()
    E = tessera
    # Shapes: wrong widths are reported by the library, wrong ranks here.
    raises(E.TSR_ERR_SHAPE_MISMATCH, net.forward, rng.standard_normal((8, 3)))
    raises(E.TSR_ERR_SHAPE_MISMATCH, net.backward, rng.standard_normal((8, 3)), labels=labels)
    raises(E.TSR_ERR_SHAPE_MISMATCH, net.vjp, x, np.ones((8, 2)))
    raises(E.TSR_ERR_BAD_EXTENT, net.forward, np.zeros((0, 2)))
    raises(E.TSR_ERR_BAD_EXTENT, net.train_step, rng.standard_normal((17, 2)), labels=np.zeros(17, int))  # > max_batch
    with pytest.raises(ValueError):
        net.forward(x[0])
    with pytest.raises(ValueError):
        net.backward(x, labels=labels[:5])  # the C function cannot check the count
    with pytest.raises(ValueError):
        net.backward(x, labels=labels - 1)  # negative
    with pytest.raises(TypeError):
        net.backward(x, labels=labels + 0.5)
    # Values.
    bad = x.copy()
    bad[2, 1] = np.nan
    raises(E.TSR_ERR_NON_FINITE, net.forward, bad)
    raises(E.TSR_ERR_NON_FINITE, net.train_step, bad, labels=labels)
    out_of_range = labels.copy()
    out_of_range[3] = 3
    e = raises(E.TSR_ERR_DOMAIN, net.train_step, x, labels=out_of_range)
    assert "label" in e.message.lower()
    raises(E.TSR_ERR_INVALID_PARAMETER, net.train_step, x, targets=np.zeros((8, 3)))  # CE takes labels
    raises(E.TSR_ERR_NULL_POINTER, net.train_step, x)
    # Steps.
    raises(E.TSR_ERR_SHAPE_MISMATCH, net.step, np.zeros(5))
    g = np.zeros(before.size)
    g[4] = np.inf
    raises(E.TSR_ERR_NON_FINITE, net.step, g)
    raises(E.TSR_ERR_ALIASING, net.step, net.params)
    with pytest.raises(ValueError):
        net.step(np.zeros((before.size, 1)))
    raises(E.TSR_ERR_INVALID_PARAMETER, net.weights, 2)
    raises(E.TSR_ERR_INVALID_PARAMETER, net.bias, -1)
    # Optimisers.
    raises(E.TSR_ERR_INVALID_ENUM, net.set_optimiser, 9)
    raises(E.TSR_ERR_INVALID_PARAMETER, net.set_optimiser, "sgd", momentum=1.0)
    raises(E.TSR_ERR_INVALID_PARAMETER, net.set_optimiser, "path_sgd", path_p=0.5)
    raises(E.TSR_ERR_INVALID_PARAMETER, net.set_optimiser, "adam", learning_rate=-1.0)
    with pytest.raises(ValueError):
        net.set_optimiser("rmsprop")
    assert np.array_equal(net.params, before)  # nothing above changed the parameters
    # A non-finite parameter written in place is caught by the next pass.
    p = net.params
    p[-1] = np.nan
    raises(E.TSR_ERR_NON_FINITE, net.forward, x)
    p[-1] = before[-1]
    assert net.forward(x).shape == (8, 3)

    # Targets for a loss that takes values.
    sq = Network([2, 8, 3], ["relu", "identity"], "logistic", dtype=np.float64, seed=2)
    t = np.zeros((8, 3))
    raises(E.TSR_ERR_INVALID_PARAMETER, sq.train_step, x, labels=labels, targets=t)
    raises(E.TSR_ERR_SHAPE_MISMATCH, sq.train_step, x, targets=t[:7])
    raises(E.TSR_ERR_SHAPE_MISMATCH, sq.train_step, x, targets=np.zeros((8, 2)))
    t[2, 1] = 1.5
    raises(E.TSR_ERR_DOMAIN, sq.train_step, x, targets=t)
    t[2, 1] = np.nan
    raises(E.TSR_ERR_NON_FINITE, sq.backward, x, targets=t)


def test_bad_specs():
    E = tessera
    raises(E.TSR_ERR_BAD_EXTENT, Network, [2], [], "squared_error")
    raises(E.TSR_ERR_BAD_EXTENT, Network, [2, 0, 3], ["relu", "identity"], "squared_error")
    raises(E.TSR_ERR_BAD_EXTENT, Network, [2, -3, 3], ["relu", "identity"], "squared_error")
    raises(E.TSR_ERR_INVALID_ENUM, Network, [2, 3], [99], "squared_error")
    raises(E.TSR_ERR_INVALID_ENUM, Network, [2, 3], ["identity"], 17)
    raises(E.TSR_ERR_INVALID_PARAMETER, Network, [2, 3], ["identity"], "squared_error", max_batch=0)
    raises(E.TSR_ERR_INVALID_PARAMETER, Network, [2, 3], ["identity"], "squared_error", num_threads=-1)
    with pytest.raises(ValueError):
        Network([2, 4, 3], ["relu"], "squared_error")  # one activation per layer
    with pytest.raises(ValueError):
        Network([2, 3], ["swish"], "squared_error")
    with pytest.raises(ValueError):
        Network([2, 3], ["identity"], "hinge")
    with pytest.raises(ValueError):
        Network([2, 3], ["identity"], "squared_error", dtype=np.int32)
    with pytest.raises(ValueError):
        Network([2, 3], [-1], "squared_error")
    # Codes and names are interchangeable.
    net = Network([2, 3], [tessera.TSR_NN_SOFTPLUS], tessera.TSR_NN_LOGISTIC, dtype="float64")
    assert net.info["activations"] == ["softplus"] and net.info["loss"] == "logistic" and net.dtype == np.float64
    assert Network([2, 3], "tanh", "squared_error").info["activations"] == ["tanh"]


def test_defaults_and_repr():
    net = Network([3, 2], ["identity"], "squared_error")
    i = net.info
    assert i["dtype"] == np.float32 and i["max_batch"] == 256 and i["optimiser"] == "adam" and i["nlayers"] == 1
    assert repr(net).startswith("Network([3, 2], ['identity'], 'squared_error', dtype=float32")
    assert np.array_equal(net.gradient, np.zeros(8, dtype=np.float32))  # zeros before any pass
    # Same seed, same parameters; another seed, others.
    assert np.array_equal(Network([3, 2], ["identity"], "squared_error", seed=4).params,
                          Network([3, 2], ["identity"], "squared_error", seed=4).params)
    assert not np.array_equal(Network([3, 2], ["identity"], "squared_error", seed=4).params, net.params)
