#!/usr/bin/env python3
"""Tessera against geoopt on the same batch, same thread count: points per second and ratios.

Runs `poincare` from `$CARGO_TARGET_DIR/release` (default `target/release`; build it with
`cargo build --release -p tessera-benches`, or pass `--bin`) and
`benches/geoopt/geoopt_bench.py` under the peer venv (see benches/geoopt/README.md) one after
the other with the same n, d, c, threads and k, and prints a Markdown table for
docs/performance.md. "Limit" is the memory limit of the same call measured by `poincare` on the
same buffers (each input read once, each output written once with streaming stores);
"validated" adds one more read of every input of every call, the least a call can cost when it
must reject bad input before its first store, as Tessera's C ABI requires. The last two columns
put Tessera and 10x geoopt (the goal) against that validated limit: a goal above 100% is out of
reach for any implementation that validates first.

    python3 benches/poincare_vs_geoopt.py [--n 1000000] [--d 16] [--threads 1] [--k 3]
        [--dtypes f64,f32] [--python /opt/peers-venv/bin/python] [--bin path/to/poincare]
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Tessera name -> geoopt benchmark name.
PEER_NAME = {
    "transport": "transp",
    "transport_from_origin": "transp0",
    "transport_to_origin": "transp0back",
    "egrad_to_rgrad": "egrad2rgrad",
    "gyroplane_dist": "dist2plane",
}


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--dtypes", default="f64,f32")
    ap.add_argument("--python", default="/opt/peers-venv/bin/python")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap.add_argument("--bin", default=str(target / "release" / "poincare"), help="Tessera's benchmark binary")
    a = ap.parse_args()
    common = ["--n", str(a.n), "--d", str(a.d), "--threads", str(a.threads), "--k", str(a.k), "--dtypes", a.dtypes]
    ours = run([a.bin, *common])
    peer = run([a.python, str(ROOT / "benches/geoopt/geoopt_bench.py"), *common])
    theirs = {(r["op"], r["dtype"], r["mode"]): r["points_per_s"] for r in peer}
    print(f"n = {a.n}, d = {a.d}, threads = {a.threads}, best of {a.k}; points per second (millions)\n")
    print("| op | dtype | mode | Tessera | geoopt | ratio | limit | validated | Tessera / validated "
          "| 10x geoopt / validated |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in ours:
        key = (PEER_NAME.get(r["op"], r["op"]), r["dtype"], r["mode"])
        p = theirs.get(key)
        ours_s, limit, cap = r["points_per_s"], r["limit_points_per_s"], r["validated_limit_points_per_s"]
        ratio = f"{ours_s / p:.1f}x" if p else "n/a"
        peer_s = f"{p / 1e6:.2f}" if p else "n/a"
        goal = f"{10 * p / cap:.0%}" if p else "n/a"
        print(f"| {r['op']} | {r['dtype']} | {r['mode']} | {ours_s / 1e6:.2f} | {peer_s} | {ratio} "
              f"| {limit / 1e6:.1f} | {cap / 1e6:.1f} | {ours_s / cap:.0%} | {goal} |")


if __name__ == "__main__":
    sys.exit(main())
