#!/usr/bin/env python3
"""Side by side: QSGD in Tessera (benches/src/bin/qsgd.rs: Elias-ω coded stream, one thread)
and as the common PyTorch reimplementations write it (benches/torch/qsgd_bench.py: int8
levels and one norm per bucket, no entropy coding), same N(0, 1) input size, same
configurations, alternating for `--rounds` rounds; PyTorch on one and on two threads (its
tensor operations parallelise, Tessera's encoder writes one bit string on one thread). The
table gives medians over the rounds, in GB/s of input, with the one-thread read rate of the
same input measured in the Rust run (the limit of a one-pass encoder) and the bits per
coordinate each sends.

    cargo build --release -p tessera-benches --bin qsgd
    python3 benches/qsgd_vs_torch.py [--k 5] [--rounds 3] [--torch-python /opt/peers-venv/bin/python]
"""

import argparse
import os

from side_by_side import lines, median

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--torch-python", default="/opt/peers-venv/bin/python")
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "qsgd"))
    a = ap.parse_args()
    rows = {}  # (dtype, levels, bucket) -> {"tessera": [...], "torch1": [...], "torch2": [...]}
    for _ in range(a.rounds):
        for r in lines(["taskset", "-c", "0", a.bin, "--k", str(a.k)]):
            rows.setdefault((r["dtype"], r["levels"], r["bucket"]), {}).setdefault("tessera", []).append(r)
        for threads in (1, 2):
            cpus = ",".join(str(c) for c in range(threads))
            for r in lines(["taskset", "-c", cpus, a.torch_python, os.path.join(HERE, "torch", "qsgd_bench.py"),
                            "--k", str(a.k), "--threads", str(threads)]):
                rows.setdefault((r["dtype"], r["levels"], r["bucket"]), {}).setdefault(f"torch{threads}", []).append(r)
    print(f"{a.rounds} rounds, medians over them, GB/s of input")
    print("| type | s | bucket | read limit | Tessera encode | / limit | PyTorch encode, 1 thread | 2 threads | "
          "Tessera / PyTorch (1) | Tessera decode | PyTorch decode, 1 thread | 2 threads | Tessera quantize | "
          "Tessera bits | Theorem 3.2 bound | PyTorch bits |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (dtype, s, bucket), r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        m = lambda who, key: median([x[key] for x in r[who]])
        enc, limit = m("tessera", "encode_gbs"), m("tessera", "read_gbs")
        print(f"| {dtype} | {s} | {bucket} | {limit:.1f} | {enc:.3f} | {enc / limit:.1%} | {m('torch1', 'encode_gbs'):.3f} | "
              f"{m('torch2', 'encode_gbs'):.3f} | {enc / m('torch1', 'encode_gbs'):.2f} | {m('tessera', 'decode_gbs'):.3f} | "
              f"{m('torch1', 'decode_gbs'):.3f} | {m('torch2', 'decode_gbs'):.3f} | {m('tessera', 'quantize_gbs'):.3f} | "
              f"{m('tessera', 'bits'):.3f} | {m('tessera', 'bound'):.3f} | {m('torch1', 'bits'):.3f} |")


if __name__ == "__main__":
    main()
