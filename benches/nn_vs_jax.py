#!/usr/bin/env python3
"""Side by side: the dense network engine (benches/src/bin/nn.rs) and JAX on the CPU
(benches/jax/nn_bench.py) on the same training step and inference pass, each pinned to the
same number of cores (taskset; XLA's intra-op threads set to match). Prints one table with
the step times, the products-only time, and the ratios.

This 2-vCPU VM's speed drifts by tens of percent over seconds, so the two engines are run
alternately, `--rounds` times (Tessera then JAX, for each thread count), and the table gives
medians over the rounds: of each engine's time and of the per-round ratio, with the range of
that ratio. Interference only ever adds time, so the table also gives each engine's fastest
step over all rounds and their ratio, the steadiest comparison on a shared machine.

    cargo build --release -p tessera-benches --bin nn
    python3 benches/nn_vs_jax.py [--k 20] [--rounds 5] [--jax-python /opt/jax-venv/bin/python]
"""

import argparse
import os

from side_by_side import lines, median

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--jax-python", default="/opt/jax-venv/bin/python")
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "nn"))
    a = ap.parse_args()
    rows = {}  # (net, dtype, threads) -> {"tessera": [runs], "jax": [runs]}
    for _ in range(a.rounds):
        for threads in (1, 2):
            cpus = ",".join(str(c) for c in range(threads))
            for r in lines(["taskset", "-c", cpus, a.bin, "--k", str(a.k), "--threads", str(threads)]):
                rows.setdefault((r["net"], r["dtype"], threads), {}).setdefault("tessera", []).append(r)
            env = dict(os.environ)
            env["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                                f"intra_op_parallelism_threads={threads}")
            for r in lines(["taskset", "-c", cpus, a.jax_python, os.path.join(HERE, "jax", "nn_bench.py"),
                            "--k", str(a.k), "--threads", str(threads)], env):
                rows.setdefault((r["net"], r["dtype"], threads), {}).setdefault("jax", []).append(r)
    print(f"{a.rounds} rounds, medians over them (ratio range in brackets)")
    print(f"| network | dtype | threads | Tessera µs | backward µs | update µs | products µs | JAX µs | JAX / Tessera | "
          f"Tessera / products | JAX / products | fastest Tessera µs | fastest products µs | fastest JAX µs | "
          f"fastest JAX / Tessera | inference/s Tessera | inference/s JAX |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (net, dtype, threads), r in sorted(rows.items()):
        t, j = r.get("tessera", []), r.get("jax", [])
        if len(t) != len(j) or not t:
            continue
        m = lambda runs, key: median([x[key] for x in runs])
        fast = lambda runs, key: min(x[key] for x in runs)
        ratio = [y["step_us"] / x["step_us"] for x, y in zip(t, j)]
        print(f"| {net} | {dtype} | {threads} | {m(t, 'step_us'):.1f} | {m(t, 'backward_us'):.1f} | {m(t, 'update_us'):.1f} | "
              f"{m(t, 'products_us'):.1f} | {m(j, 'step_us'):.1f} | {median(ratio):.2f} [{min(ratio):.2f}, {max(ratio):.2f}] | "
              f"{median([x['step_us'] / x['products_us'] for x in t]):.2f} | "
              f"{median([y['step_us'] / x['products_us'] for x, y in zip(t, j)]):.2f} | "
              f"{fast(t, 'step_min_us'):.1f} | {fast(t, 'products_min_us'):.1f} | {fast(j, 'step_min_us'):.1f} | "
              f"{fast(j, 'step_min_us') / fast(t, 'step_min_us'):.2f} | "
              f"{m(t, 'infer_samples_per_s'):.0f} | {m(j, 'infer_samples_per_s'):.0f} |")


if __name__ == "__main__":
    main()
