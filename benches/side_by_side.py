"""Helpers shared by the side-by-side benchmark drivers (benches/*_vs_*.py)."""

import json
import subprocess


def lines(cmd, env=None):
    """The JSON lines a benchmark program prints (other lines are skipped)."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])
