#!/usr/bin/env python3
"""Side by side: the dense network engine (benches/src/bin/nn.rs) and JAX on the CPU
(benches/jax/nn_bench.py) on the same training step and inference pass, each pinned to the
same number of cores (taskset; XLA's intra-op threads set to match). Prints one table with
the step times, the products-only time, and the ratios.

    cargo build --release -p tessera-benches --bin nn
    python3 benches/nn_vs_jax.py [--k 20] [--jax-python /opt/jax-venv/bin/python]
"""

import argparse
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def lines(cmd, env=None):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--jax-python", default="/opt/jax-venv/bin/python")
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "nn"))
    a = ap.parse_args()
    rows = {}
    for threads in (1, 2):
        cpus = ",".join(str(c) for c in range(threads))
        for r in lines(["taskset", "-c", cpus, a.bin, "--k", str(a.k), "--threads", str(threads)]):
            rows.setdefault((r["net"], r["dtype"], threads), {})["tessera"] = r
        env = dict(os.environ)
        env["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                            f"intra_op_parallelism_threads={threads}")
        for r in lines(["taskset", "-c", cpus, a.jax_python, os.path.join(HERE, "jax", "nn_bench.py"),
                        "--k", str(a.k), "--threads", str(threads)], env):
            rows.setdefault((r["net"], r["dtype"], threads), {})["jax"] = r
    print(f"{'network':>18} {'dtype':>5} {'thr':>3} | {'tessera µs':>11} {'products µs':>11} {'jax µs':>10} | "
          f"{'jax/tessera':>11} {'tessera/products':>16} {'jax/products':>12} | {'infer/s tessera':>15} {'infer/s jax':>12}")
    for (net, dtype, threads), r in sorted(rows.items()):
        t, j = r.get("tessera"), r.get("jax")
        if not (t and j):
            continue
        print(f"{net:>18} {dtype:>5} {threads:>3} | {t['step_us']:>11.1f} {t['products_us']:>11.1f} {j['step_us']:>10.1f} | "
              f"{j['step_us'] / t['step_us']:>11.2f} {t['step_us'] / t['products_us']:>16.2f} {j['step_us'] / t['products_us']:>12.2f} | "
              f"{t['infer_samples_per_s']:>15.0f} {j['infer_samples_per_s']:>12.0f}")


if __name__ == "__main__":
    main()
