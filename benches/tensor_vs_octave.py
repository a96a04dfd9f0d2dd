#!/usr/bin/env python3
"""Tessera's trace-norm tensor completion against the authors' MATLAB code under GNU Octave.

For each fraction it writes one problem directory (benches/tensor/make_problem.py; format in
benches/tensor/README.md), then runs on that same directory, one after the other, for each method:
  * the reference: benches/tensor/octave/run_reference.m under Octave, with the toolbox
    (github ryotat/tensor, kept outside this repository) from --ref or $TSR_REF_PATH;
  * Tessera: target/release/tensor (cargo build --release -p tessera-benches).
It prints a Markdown table with both errors, iteration counts, solver times and the time ratio.
Octave gets OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=--threads; Tessera gets --threads.

    python3 benches/tensor_vs_octave.py --shape 80,80,80 --rank 5,5,5 --fraction 0.3 \
        --methods constraint,mixture --tol 1e-3 --lambda 0 --threads 1
    python3 benches/tensor_vs_octave.py --shape 50,50,20 --rank 7,8,9 --fraction 0.4,0.7
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benches" / "tensor"))
import make_problem  # noqa: E402

RUN_REFERENCE = ROOT / "benches" / "tensor" / "octave" / "run_reference.m"


def last_json(stdout, impl):
    rows = [json.loads(l) for l in stdout.splitlines() if l.startswith('{"impl"')]
    rows = [r for r in rows if r.get("impl") == impl]
    return rows[-1] if rows else None


def run(cmd, env, impl):
    """Returns (row or None, error text or None)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    except OSError as e:
        return None, f"{cmd[0]}: {e}"
    row = last_json(p.stdout, impl)
    if p.returncode != 0 or row is None:
        tail = (p.stderr.strip().splitlines() or ["(no stderr)"])[-3:]
        return None, f"exit {p.returncode}: " + " | ".join(tail)
    return row, None


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="80,80,80")
    ap.add_argument("--rank", default="5,5,5")
    ap.add_argument("--fraction", default="0.3", help="one fraction or a comma list")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--methods", default="constraint,mixture", help="constraint, mixture, matrix")
    ap.add_argument("--mode", type=int, default=1, help="1-based mode for the matrix method")
    ap.add_argument("--tol", type=float, default=1e-3)
    ap.add_argument("--lambda", dest="lam", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--maxiter", type=int, default=None, help="passed to both (reference default 2000)")
    ap.add_argument("--ref", default=os.environ.get("TSR_REF_PATH", "/work/peers/ryotat-tensor"),
                    help="checkout of the reference toolbox (default $TSR_REF_PATH)")
    ap.add_argument("--rng-seed", type=int, default=None,
                    help="seed Octave's rand/randn before the reference solver (default: unseeded)")
    ap.add_argument("--octave", default="octave")
    ap.add_argument("--tessera", default=str(ROOT / "target" / "release" / "tensor"))
    ap.add_argument("--workdir", default=None, help="where problem directories go (default: a temp dir)")
    ap.add_argument("--skip-octave", action="store_true")
    ap.add_argument("--skip-tessera", action="store_true")
    ap.add_argument("--jsonl", default=None, help="also append every JSON row to this file")
    a = ap.parse_args(argv)

    shape, rank = make_problem.ints(a.shape), make_problem.ints(a.rank)
    fractions = [float(f) for f in a.fraction.split(",") if f]
    methods = [m for m in a.methods.split(",") if m]
    workdir = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="tsr_vs_octave_"))

    tessera = Path(a.tessera)
    tessera_missing = None
    if a.skip_tessera:
        tessera_missing = "skipped"
    elif not tessera.is_file():
        tessera_missing = "binary missing"
        print(f"note: Tessera bench binary {tessera} does not exist (build it with "
              "`cargo build --release -p tessera-benches`); running the Octave side only.",
              file=sys.stderr)
    if not a.skip_octave and not (Path(a.ref) / "tensorconst_adm.m").is_file():
        print(f"error: reference toolbox not found at {a.ref} (set --ref or TSR_REF_PATH)", file=sys.stderr)
        return 2

    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads),
               TSR_REF_PATH=a.ref)
    common = ["--lambda", repr(a.lam), "--tol", repr(a.tol)]
    if a.maxiter is not None:
        common += ["--maxiter", str(a.maxiter)]

    rows, notes = [], []
    load0 = os.getloadavg()[0]
    for frac in fractions:
        tag = "x".join(map(str, shape)) + "_r" + "x".join(map(str, rank)) + f"_f{frac}_s{a.seed}_n{a.noise}"
        pdir = workdir / tag
        truth, idx, val = make_problem.make(shape, rank, frac, a.seed, a.noise)
        make_problem.write(pdir, shape, rank, frac, a.seed, a.noise, truth, idx, val)
        for m in methods:
            margs = ["--data", str(pdir), "--method", m, *common]
            if m == "matrix":
                margs += ["--mode", str(a.mode)]
            ref = ours = None
            if not a.skip_octave:
                seed = [] if a.rng_seed is None else ["--rng-seed", str(a.rng_seed)]
                ref, err = run([a.octave, "--no-gui", "--quiet", "--no-init-file", str(RUN_REFERENCE), *margs, *seed],
                               env, "octave-ref")
                if err:
                    notes.append(f"Octave {m} f={frac}: {err}")
            if tessera_missing is None:
                ours, err = run([str(tessera), *margs, "--threads", str(a.threads)], env, "tessera")
                if err:
                    notes.append(f"Tessera {m} f={frac}: {err}")
            for r in (ref, ours):
                if r is not None and a.jsonl:
                    with open(a.jsonl, "a") as fh:
                        fh.write(json.dumps(dict(r, shape=shape, rank=rank, fraction=frac, seed=a.seed)) + "\n")
            rows.append((frac, m, ref, ours))

    print(f"shape {shape}, Tucker rank {rank}, seed {a.seed}, noise {a.noise}, lambda {a.lam}, "
          f"tol {a.tol}, threads {a.threads}; solver time only; problems in {workdir}")
    print(f"1-min load average {load0:.2f} at start, {os.getloadavg()[0]:.2f} at end "
          f"({os.cpu_count()} CPUs): timings are only clean when nothing else was running\n")
    print("| fraction | method | iters Octave | iters Tessera | test rel err Octave | test rel err Tessera "
          "| rel err Octave | rel err Tessera | s Octave (cpu s) | s Tessera | Octave/Tessera |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for frac, m, ref, ours in rows:
        g = lambda r, k: None if r is None else r.get(k)  # noqa: E731
        label = m + (f" (mode {a.mode})" if m == "matrix" else "")
        ratio = "n/a"
        if ref and ours and ours.get("seconds"):
            ratio = f"{ref['seconds'] / ours['seconds']:.1f}x"
        miss = tessera_missing or "failed"
        t = lambda v, s: (miss if ours is None else fmt(v, s))  # noqa: E731
        print(f"| {frac:g} | {label} | {fmt(g(ref, 'iters'), 'd')} | {t(g(ours, 'iters'), 'd')} "
              f"| {fmt(g(ref, 'test_rel_error'), '.3e')} | {t(g(ours, 'test_rel_error'), '.3e')} "
              f"| {fmt(g(ref, 'rel_error'), '.3e')} | {t(g(ours, 'rel_error'), '.3e')} "
              f"| {fmt(g(ref, 'seconds'), '.3f')} ({fmt(g(ref, 'cpu_seconds'), '.3f')}) "
              f"| {t(g(ours, 'seconds'), '.3f')} | {ratio} |")
    if tessera_missing == "binary missing":
        print(f"\nTessera: {tessera} does not exist; build it with `cargo build --release -p tessera-benches`.")
    for n in notes:
        print(f"\nnote: {n}")
    return 1 if any(n.startswith("Octave") for n in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
