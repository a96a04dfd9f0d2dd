#!/usr/bin/env python3
"""The peer of benches/src/bin/qsgd.rs: QSGD as the common PyTorch reimplementations write it
(bucketed 2-norm scaling, `floor` plus a uniform draw against the remainder, signed levels
sent as an int8 tensor next to one norm per bucket, no entropy coding), timed on the same
N(0, 1) input sizes and configurations. One JSON line per configuration, `"peer": "torch"`.

    python3 benches/torch/qsgd_bench.py [--k 5] [--n 10000000] [--threads 1]
"""

import argparse
import json
import time

import torch


def median_seconds(k, f):
    f()
    times = []
    for _ in range(k):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def encode(v, s, bucket, gen):
    """Signed levels (int8) and per-bucket 2-norms; `v` is a multiple of `bucket` long."""
    x = v.view(-1, bucket)
    norm = x.norm(dim=1, keepdim=True)
    level = x.abs() * (s / norm)
    floor = level.floor()
    up = torch.rand(x.shape, dtype=x.dtype, generator=gen) < (level - floor)
    return ((floor + up) * x.sign()).to(torch.int8), norm


def decode(levels, norm, s):
    return (levels.to(norm.dtype) * (norm / s)).view(-1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(7)
    base = torch.randn(a.n, dtype=torch.float64, generator=gen)
    for dtype, name in ((torch.float32, "f32"), (torch.float64, "f64")):
        v = base.to(dtype)
        for s, bucket in ((1, 128), (7, 512), (16, 512), (127, 512)):
            m = a.n // bucket * bucket  # whole buckets (the Rust side also ends with a partial one)
            u = v[:m].contiguous()
            levels, norm = encode(u, s, bucket, gen)
            t_enc = median_seconds(a.k, lambda: encode(u, s, bucket, gen))
            t_dec = median_seconds(a.k, lambda: decode(levels, norm, s))
            nbytes = m * u.element_size()
            print(json.dumps({
                "peer": "torch", "dtype": name, "levels": s, "bucket": bucket, "n": m, "threads": a.threads,
                "encode_gbs": nbytes / t_enc / 1e9, "decode_gbs": nbytes / t_dec / 1e9,
                "bits": 8 + 8 * u.element_size() / bucket,
            }))


if __name__ == "__main__":
    main()
