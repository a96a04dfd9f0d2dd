"""Writes core/tests/fixtures/nn_jax.txt: small networks, their inputs and targets, and the
loss, parameter gradient and input gradient JAX computes for them in float64 on the CPU.

    python3 -m venv /opt/jax-venv && /opt/jax-venv/bin/pip install jax numpy
    /opt/jax-venv/bin/python benches/jax/make_fixture.py > core/tests/fixtures/nn_jax.txt

The parameters are written in Tessera's layout: per layer W (n_out x n_in column-major, which
is JAX's (n_in, n_out) kernel row-major) then b; inputs n_0 x B column-major (B rows of
samples); targets likewise (or one label per sample). Read by core/tests/nn/jax_fixture.rs.
"""

import sys

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

ACT = {
    0: lambda z: z,
    1: jax.nn.relu,
    2: lambda z: jax.nn.leaky_relu(z, 0.01),
    3: jnp.tanh,
    4: jax.nn.sigmoid,
    5: jax.nn.softplus,
    6: lambda z: jax.nn.gelu(z, approximate=True),
}

CASES = [
    # name, sizes, activation codes, loss code (0 squared error, 1 softmax CE, 2 logistic), batch
    ("ce_gelu_softplus", [5, 8, 7, 4], [6, 5, 0], 1, 3),
    ("se_sigmoid_leaky_tanh", [4, 6, 6, 3], [4, 2, 3], 0, 4),
    ("logistic_relu", [6, 9, 2], [1, 0], 2, 5),
    ("se_tanh_gelu_out", [3, 5, 2], [3, 6], 0, 2),
]


def unflatten(flat, sizes):
    layers, at = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        k = flat[at:at + n_in * n_out].reshape(n_in, n_out)
        at += n_in * n_out
        layers.append((k, flat[at:at + n_out]))
        at += n_out
    return layers


def loss_fn(flat, x, t, sizes, acts, loss):
    a = x
    for (k, b), code in zip(unflatten(flat, sizes), acts):
        a = ACT[code](a @ k + b)
    if loss == 0:
        return jnp.mean(0.5 * jnp.sum((a - t) ** 2, axis=1))
    if loss == 1:
        lse = jax.scipy.special.logsumexp(a, axis=1)
        return jnp.mean(lse - jnp.take_along_axis(a, t[:, None], axis=1)[:, 0])
    return jnp.mean(jnp.sum(jax.nn.softplus(a) - t * a, axis=1))


def numbers(name, values):
    return name + " " + " ".join(repr(float(v)) for v in np.asarray(values).reshape(-1))


def main():
    rng = np.random.default_rng(20261201)
    out = [line for line in __doc__.strip().splitlines()]
    out = ["# " + line for line in out]
    for name, sizes, acts, loss, batch in CASES:
        n_params = sum((i + 1) * o for i, o in zip(sizes[:-1], sizes[1:]))
        flat = rng.normal(0.0, 0.6, n_params)
        x = rng.uniform(-1.5, 1.5, (batch, sizes[0]))
        if loss == 1:
            t = rng.integers(0, sizes[-1], batch)
        elif loss == 2:
            t = rng.uniform(0.0, 1.0, (batch, sizes[-1]))
        else:
            t = rng.uniform(-1.0, 1.0, (batch, sizes[-1]))
        value, (g, gx) = jax.value_and_grad(loss_fn, argnums=(0, 1))(
            jnp.asarray(flat), jnp.asarray(x), jnp.asarray(t), sizes, acts, loss)
        out.append("case " + name)
        out.append("sizes " + " ".join(map(str, sizes)))
        out.append("acts " + " ".join(map(str, acts)))
        out.append(f"loss {loss}")
        out.append(numbers("params", flat))
        out.append(numbers("input", x))
        out.append(("labels " + " ".join(map(str, t))) if loss == 1 else numbers("targets", t))
        out.append(numbers("value", [value]))
        out.append(numbers("grad", g))
        out.append(numbers("input_grad", gx))
    out.append(f"# jax {jax.__version__}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
