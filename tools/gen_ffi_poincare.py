#!/usr/bin/env python3
"""Generates ffi/src/poincare_ops.rs, the C entry points of every Poincaré-ball operation.

One table row per operation gives its inputs and outputs with symbolic shapes; each row
becomes four `extern "C"` functions (forward and VJP, f32 and f64) that forward to the core
method of the same name through `poincare::call`, which validates everything first. cbindgen
cannot see macro-generated functions on stable Rust, hence a generated, committed file.

    python3 tools/gen_ffi_poincare.py          # rewrite
    python3 tools/gen_ffi_poincare.py --check  # exit 1 if the committed file is stale
"""
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "ffi" / "src" / "poincare_ops.rs"

# (name, doc, inputs, outputs); an argument is (name, rows, cols) with symbols
# N points, D dimension, K planes, P/Q matrix columns/rows, One.
OPS = [
    ("conformal_factor", "Conformal factor `out = λ_x = 2 / (1 - c‖x‖²)`.",
     [("x", "N", "D")], [("out", "N", "One")]),
    ("mobius_add", "Möbius addition `out = x ⊕_c y`.",
     [("x", "N", "D"), ("y", "N", "D")], [("out", "N", "D")]),
    ("mobius_scalar_mul", "Möbius scalar multiplication `out = r ⊗_c x`, one scalar per point.",
     [("r", "N", "One"), ("x", "N", "D")], [("out", "N", "D")]),
    ("mobius_matvec", "Möbius matrix-vector product `out = M ⊗_c x` with one q × p matrix for all points.",
     [("m", "Q", "P"), ("x", "N", "P")], [("out", "N", "Q")]),
    ("expmap", "Exponential map at `x`: `out = exp_x(u)`.",
     [("x", "N", "D"), ("u", "N", "D")], [("out", "N", "D")]),
    ("expmap0", "Exponential map at the origin: `out = exp_0(u)`.",
     [("u", "N", "D")], [("out", "N", "D")]),
    ("logmap", "Logarithmic map at `x`: `out = log_x(y)`.",
     [("x", "N", "D"), ("y", "N", "D")], [("out", "N", "D")]),
    ("logmap0", "Logarithmic map at the origin: `out = log_0(y)`.",
     [("y", "N", "D")], [("out", "N", "D")]),
    ("dist", "Geodesic distance `out = d_c(x, y)`.",
     [("x", "N", "D"), ("y", "N", "D")], [("out", "N", "One")]),
    ("dist0", "Geodesic distance to the origin `out = d_c(0, x)`.",
     [("x", "N", "D")], [("out", "N", "One")]),
    ("geodesic", "Point at time `t` on the geodesic from `x` (t = 0) to `y` (t = 1): `out = x ⊕ (t ⊗ ((-x) ⊕ y))`.",
     [("x", "N", "D"), ("y", "N", "D"), ("t", "N", "One")], [("out", "N", "D")]),
    ("gyration", "Gyration `out = gyr[u, v] w`.",
     [("u", "N", "D"), ("v", "N", "D"), ("w", "N", "D")], [("out", "N", "D")]),
    ("transport", "Parallel transport of the tangent vector `v` from `x` to `y`.",
     [("x", "N", "D"), ("y", "N", "D"), ("v", "N", "D")], [("out", "N", "D")]),
    ("transport_from_origin", "Parallel transport of `v` from the origin to `y`: `out = (1 - c‖y‖²) v`.",
     [("y", "N", "D"), ("v", "N", "D")], [("out", "N", "D")]),
    ("transport_to_origin", "Parallel transport of `v` from `x` to the origin: `out = v / (1 - c‖x‖²)`.",
     [("x", "N", "D"), ("v", "N", "D")], [("out", "N", "D")]),
    ("project", "Projection onto the ball: rows longer than `(1 - margin)/√c` are pulled back to it. Accepts points outside the ball.",
     [("x", "N", "D")], [("out", "N", "D")]),
    ("egrad_to_rgrad", "Riemannian gradient from a Euclidean one: `out = g / λ_x²`.",
     [("x", "N", "D"), ("g", "N", "D")], [("out", "N", "D")]),
    ("gyroplane_dist", "Signed distance of every point `x` to every gyroplane through `p` with normal `a` (pvae's gyroplane layer).",
     [("x", "N", "D"), ("p", "K", "D"), ("a", "K", "D")], [("out", "N", "K")]),
]

SCALARS = ["f64", "f32"]


def shapes(args):
    sym = {"N": "n", "D": "d", "K": "k", "P": "p", "Q": "q", "One": "1"}
    return " ".join(f"{a}[{sym[r]},{sym[c]}]" for a, r, c in args)


def function(op, doc, inputs, outputs, t, vjp):
    if vjp:
        (oname, orow, ocol), = outputs
        ins = inputs + [("grad", orow, ocol)]
        outs = [(f"grad_{a}", r, c) for a, r, c in inputs]
        names = ", ".join(f"`{a}`" for a, _, _ in inputs)
        doc = f"Vector-Jacobian product of `{op}`: gradients of `sum <grad, out>` with respect to {names}."
        method = f"{op}_vjp"
        cname = f"tsr_poincare_{op}_vjp_{t}"
    else:
        ins, outs, method, cname = inputs, outputs, op, f"tsr_poincare_{op}_{t}"
    params = ["ball: *const tsr_poincare"]
    params += [f"{a}: tsr_matref_{t}" for a, _, _ in ins]
    params += [f"{a}: tsr_matmut_{t}" for a, _, _ in outs]
    in_args = ", ".join(f'arg("{a}", {a}, {r}, {c})' for a, r, c in ins)
    out_args = ", ".join(f'arg("{a}", {a}, {r}, {c})' for a, r, c in outs)
    in_names = ", ".join(a for a, _, _ in ins)
    out_names = ", ".join(a for a, _, _ in outs)
    return (
        f"/// {doc}\n"
        f"/// Shapes: {shapes(ins + outs)}\n"
        f"#[no_mangle]\n"
        f"pub extern \"C\" fn {cname}({', '.join(params)}) -> tsr_status {{\n"
        f"    call(ball, [{in_args}], [{out_args}], |b, [{in_names}], [{out_names}], par| {{\n"
        f"        b.{method}({in_names}, {out_names}, par)\n"
        f"    }})\n"
        f"}}\n"
    )


def generate():
    parts = [
        "// Generated by tools/gen_ffi_poincare.py from its table of operations; do not edit.\n",
        "// Every function validates its arguments through `call` (see poincare.rs).\n\n",
        "use crate::poincare::{arg, call, tsr_poincare, Dim::*};\n",
        "use crate::status::tsr_status;\n",
        "use crate::view::*;\n",
    ]
    for op, doc, inputs, outputs in OPS:
        for vjp in (False, True):
            for t in SCALARS:
                parts.append("\n" + function(op, doc, inputs, outputs, t, vjp))
    return "".join(parts)


def main():
    text = generate()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run python3 tools/gen_ffi_poincare.py", file=sys.stderr)
            sys.exit(1)
        return
    OUT.write_text(text)


if __name__ == "__main__":
    main()
