"""Drift test: the committed generated bindings equal a fresh generation from include/tessera.h."""
import subprocess
import sys
from pathlib import Path

BINDINGS = Path(__file__).resolve().parents[2]


def test_generated_bindings_match_header():
    r = subprocess.run([sys.executable, str(BINDINGS / "generate.py"), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_every_header_function_is_bound():
    import re

    from tessera import _lowlevel as ll

    header = (BINDINGS.parent / "include" / "tessera.h").read_text(encoding="utf-8")
    body = header.split("#endif  /* TESSERA_H */")[0]
    declared = set(re.findall(r"^[\w ]+?[ *](tsr_\w+)\(", body, re.M))
    assert declared and declared == set(ll.FUNCTIONS)
    ops = {f for spec in ll.POINCARE_OPS.values() for f in spec[3].values()}
    assert ops == {f for f in declared if re.fullmatch(r"tsr_poincare_\w+_f(32|64)", f)}
