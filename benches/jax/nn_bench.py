"""JAX on the CPU timing the same training step and inference pass as benches/src/bin/nn.rs:
ReLU hidden layers, softmax cross-entropy, SGD with momentum 0.9 (v <- mu v + g, w <- w - eta v),
one jitted function per step, parameters donated so XLA updates them in place; median and
minimum of k timed steps after warm-up. Prints the same JSON lines with "peer": "jax".

    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        taskset -c 0 /opt/jax-venv/bin/python benches/jax/nn_bench.py --threads 1
(benches/nn_vs_jax.py runs it that way for each thread count.)
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

CASES = [([784, 1024, 1024, 10], 256), ([64, 128, 10], 32)]


def init(sizes, dtype):
    rng = np.random.default_rng(1)
    return [(jnp.asarray(rng.normal(0, (2.0 / i) ** 0.5, (i, o)), dtype), jnp.zeros(o, dtype))
            for i, o in zip(sizes[:-1], sizes[1:])]


def forward(params, x):
    for k, b in params[:-1]:
        x = jax.nn.relu(x @ k + b)
    k, b = params[-1]
    return x @ k + b


def loss(params, x, y):
    z = forward(params, x)
    return jnp.mean(jax.scipy.special.logsumexp(z, axis=1) - jnp.take_along_axis(z, y[:, None], axis=1)[:, 0])


def make_step(eta, mu):
    def step(params, vel, x, y):
        value, g = jax.value_and_grad(loss)(params, x, y)
        vel = jax.tree.map(lambda v, gi: mu * v + gi, vel, g)
        params = jax.tree.map(lambda p, v: p - eta * v, params, vel)
        return params, vel, value
    return jax.jit(step, donate_argnums=(0, 1))


def times(k, f):
    """Median and minimum seconds of k calls after warm-up."""
    for _ in range(k // 4 + 2):
        f()
    ts = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2], ts[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dtypes", default="f32,f64")
    a = ap.parse_args()
    for sizes, batch in CASES:
        for name in a.dtypes.split(","):
            if name == "f64":
                jax.config.update("jax_enable_x64", True)
            dtype = {"f32": jnp.float32, "f64": jnp.float64}[name]
            rng = np.random.default_rng(2)
            x = jnp.asarray(rng.uniform(0, 1, (batch, sizes[0])), dtype)
            y = jnp.asarray(np.arange(batch) % sizes[-1], jnp.int32)
            state = {"p": init(sizes, dtype)}
            state["v"] = jax.tree.map(jnp.zeros_like, state["p"])
            step = make_step(jnp.asarray(1e-3, dtype), jnp.asarray(0.9, dtype))

            def train():
                state["p"], state["v"], value = step(state["p"], state["v"], x, y)
                value.block_until_ready()

            t_step, t_step_min = times(a.k, train)
            infer = jax.jit(forward)
            params = state["p"]
            t_inf = times(a.k, lambda: infer(params, x).block_until_ready())[0]
            print(json.dumps({"peer": "jax", "net": "-".join(map(str, sizes)), "batch": batch, "dtype": name,
                              "threads": a.threads, "step_us": round(t_step * 1e6, 2),
                              "step_min_us": round(t_step_min * 1e6, 2),
                              "infer_samples_per_s": round(batch / t_inf)}), flush=True)


if __name__ == "__main__":
    main()
