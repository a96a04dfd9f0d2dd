"""The generator on a fixture header with every planned shape pattern (per-point scalars,
matrices m[q,p], gyroplanes k, several outputs, a scalar parameter): the generated layers must
compile in C++ and Fortran and describe the shapes right in Python. Also: malformed Shapes
lines are errors, never silently skipped operations."""
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BINDINGS = Path(__file__).resolve().parents[2]
HEADER = (BINDINGS.parent / "include" / "tessera.h").read_text(encoding="utf-8")
sys.path.insert(0, str(BINDINGS))
import generate  # noqa: E402

# (op, doc, shapes, scalar params) in the header's own style; each gets _f32 and _f64 unless
# the real header already declares it (then the real declaration, with the same shapes, is used).
FIXTURE_OPS = [
    ("conformal_factor", "Conformal factor.", "x[n,d] out[n,1]", []),
    ("mobius_scalar_mul", "Scalar multiplication.", "r[n,1] x[n,d] out[n,d]", []),
    ("mobius_scalar_mul_vjp", "Its VJP.", "r[n,1] x[n,d] grad[n,d] grad_r[n,1] grad_x[n,d]", []),
    ("mobius_matvec", "Matrix-vector product.", "m[q,p] x[n,p] out[n,q]", []),
    ("mobius_matvec_vjp", "Its VJP.", "m[q,p] x[n,p] grad[n,q] grad_m[q,p] grad_x[n,p]", []),
    ("gyroplane_dist", "Gyroplane distances.", "x[n,d] p[k,d] a[k,d] out[n,k]", []),
    ("dist", "Distance.", "x[n,d] y[n,d] out[n,1]", []),
    ("fixture_scaled", "With a scalar parameter.", "x[n,d] out[n,d]", [("double", "alpha")]),
]


def fixture_header() -> str:
    protos = []
    for op, doc, shapes, scalars in FIXTURE_OPS:
        if f"tsr_poincare_{op}_f64(" in HEADER:
            continue  # the real header has this pattern now; keep its declaration
        for t in ("f64", "f32"):
            params = ["const struct tsr_poincare *ball"]
            names = [tok.split("[")[0] for tok in shapes.split()]
            outs = [n for n in names if n in ("out",) or n.startswith("grad_")]
            ins = [n for n in names if n not in outs]
            params += [f"struct tsr_matref_{t} {n}" for n in ins]
            params += [f"{ct} {n}" for ct, n in scalars]
            params += [f"struct tsr_matmut_{t} {n}" for n in outs]
            protos.append(f"// {doc}\n// Shapes: {shapes}\ntsr_status tsr_poincare_{op}_{t}({', '.join(params)});\n")
    marker = "// Static, NUL-terminated name of a status code"
    assert marker in HEADER
    return HEADER.replace(marker, "\n".join(protos) + "\n" + marker)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    (out / "include").mkdir()
    hdr = out / "include" / "tessera.h"
    hdr.write_text(fixture_header(), encoding="utf-8")
    assert generate.main(["--header", str(hdr), "--out", str(out)]) == 0
    return out


def test_python_table(generated):
    spec = importlib.util.spec_from_file_location("ll_fixture", generated / generate.OUTPUTS["python"])
    ll = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ll)
    ops = ll.POINCARE_OPS
    assert {op for op, *_ in FIXTURE_OPS} <= set(ops)
    assert ops["mobius_matvec"][2] == (("m", "in", "q", "p"), ("x", "in", "n", "p"), ("out", "out", "n", "q"))
    assert ops["fixture_scaled"][2][1] == ("alpha", "scalar", "ctypes.c_double", "")
    assert ops["gyroplane_dist"][3] == {"f32": "tsr_poincare_gyroplane_dist_f32", "f64": "tsr_poincare_gyroplane_dist_f64"}
    assert "tsr_poincare_mobius_matvec_vjp_f32" in ll.FUNCTIONS


def hand_written_files(language, pattern):
    """The binding's files that generate.py does not write (they are used as they are)."""
    generated = {(generate.ROOT / path).resolve() for path in generate.OUTPUTS.values()}
    return [f for f in sorted((BINDINGS / language).glob(pattern)) if f.resolve() not in generated]


@pytest.mark.skipif(not shutil.which("g++"), reason="no g++")
def test_cpp_compiles(generated, tmp_path):
    for hand_written in hand_written_files("cpp", "*.hpp"):
        shutil.copy(hand_written, tmp_path / hand_written.name)
    shutil.copy(generated / generate.OUTPUTS["cpp_ops"], tmp_path / "tessera_ops.hpp")
    src = tmp_path / "use.cpp"
    src.write_text(
        '#include "tessera.hpp"\n'
        "void use(const tessera::PoincareBall& b, tessera::MatRef<double> x, tessera::MatRef<float> xf) {\n"
        "  tessera::Matrix<double> f = b.conformal_factor(x);\n"
        "  tessera::Matrix<double> mv = b.mobius_matvec(x, x);\n"
        "  auto [gm, gx] = b.mobius_matvec_vjp(x, x, mv);\n"
        "  tessera::Matrix<float> g = b.gyroplane_dist(xf, xf, xf);\n"
        "  tessera::Matrix<double> s = b.fixture_scaled(x, 0.5);\n"
        "  (void)f; (void)gm; (void)gx; (void)g; (void)s;\n}\n")
    r = subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                        f"-I{generated / 'include'}", f"-I{tmp_path}", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not shutil.which("gfortran"), reason="no gfortran")
def test_fortran_compiles(generated, tmp_path):
    fdir = generated / "bindings" / "fortran"
    for hand_written in [*hand_written_files("fortran", "*.f90"), *hand_written_files("fortran", "*.inc")]:
        shutil.copy(hand_written, fdir / hand_written.name)
    (fdir / "use.f90").write_text(
        "subroutine use_it(b, x, r, m, xf)\n"
        "  use, intrinsic :: iso_c_binding\n  use tessera\n  implicit none\n"
        "  type(tsr_ball), intent(in) :: b\n"
        "  real(c_double), intent(in) :: x(:,:), r(:), m(:,:)\n  real(c_float), intent(in) :: xf(:,:)\n"
        "  real(c_double) :: f(size(x,2)), o(size(x,1), size(x,2)), mv(size(m,1), size(x,2))\n"
        "  real(c_float) :: g(size(xf,2), size(xf,2))\n  integer :: st\n"
        "  call b%conformal_factor(x, f)\n  call b%mobius_scalar_mul(r, x, o, stat=st)\n"
        "  call b%mobius_matvec(m, x, mv)\n  call b%gyroplane_dist(xf, xf, xf, g)\n"
        "  call b%fixture_scaled(x, 0.5_c_double, o)\nend subroutine\n")
    for f in ("tessera_c.f90", "tessera.f90", "use.f90"):
        r = subprocess.run(["gfortran", "-std=f2008", "-Wall", "-Werror", "-c", f], cwd=fdir, capture_output=True, text=True)
        assert r.returncode == 0, f + ":\n" + r.stderr


@pytest.mark.parametrize("bad, complaint", [
    ("// Shapes: x[n,d] y[n,d] out[n,d]", None),  # the real line: fine
    ("// Shapes: x[n,d] out[n,d]", "`y` is missing"),
    ("// Shapes: x[n,d] y[n,d] out[n,d] z[n,d]", "unknown parameters"),
    ("// Shapes: x[n,d] y[n,d] out[n,e]", "no input fixes `e`"),
    ("// Shapes: x(n,d) y[n,d] out[n,d]", "cannot parse"),
    ("//", "exactly one doc line"),
])
def test_shapes_lines_are_checked(bad, complaint):
    line = "// Shapes: x[n,d] y[n,d] out[n,d]"
    assert line in HEADER
    text = HEADER.replace(line, bad, 1)
    if complaint is None:
        generate.generate(text)
        return
    with pytest.raises(generate.HeaderError, match=complaint):
        generate.generate(text)


def test_unknown_construct_is_an_error():
    with pytest.raises(generate.HeaderError):
        generate.generate(HEADER.replace("#ifdef __cplusplus", "typedef enum tsr_x { A } tsr_x;\n#ifdef __cplusplus", 1))


class _FakeLib:
    """Stands in for libtessera: Euclidean stand-ins of the fixture ops, reading and writing
    through the C views exactly as the library would, to check the Python layer's plumbing
    (shapes, strides, broadcasting, output allocation) for every shape pattern."""

    def __init__(self, ll):
        import numpy as np

        def arr(v):
            item = ctypes.sizeof(v._fields_[0][1]._type_)
            dtype = np.float64 if item == 8 else np.float32
            if v.nrows * v.ncols == 0:
                return np.zeros((v.nrows, v.ncols), dtype)
            addr = ctypes.cast(v.ptr, ctypes.c_void_p).value
            ends = [(v.nrows - 1) * v.row_stride, (v.ncols - 1) * v.col_stride]
            lo, hi = sum(min(0, e) for e in ends), sum(max(0, e) for e in ends)
            buf = (ctypes.c_char * ((hi - lo + 1) * item)).from_address(addr + lo * item)
            return np.ndarray((v.nrows, v.ncols), dtype, buf, -lo * item, (v.row_stride * item, v.col_stride * item))

        def op(f):
            def call(ball, *views):
                f(*[arr(v) if hasattr(v, "nrows") else v for v in views])
                return ll.TSR_OK
            return call

        def conformal(x, out):
            out[:, 0] = (x * x).sum(1)

        def scalar_mul(r, x, out):
            out[...] = r * x

        def matvec(m, x, out):
            out[...] = x @ m.T

        def gyro(x, p, a, out):
            out[...] = x @ a.T + (p * 0).sum(1)

        def scaled(x, alpha, out):
            out[...] = alpha * x

        for name, f in [("conformal_factor", conformal), ("mobius_scalar_mul", scalar_mul),
                        ("mobius_matvec", matvec), ("gyroplane_dist", gyro), ("fixture_scaled", scaled)]:
            for t in ("f32", "f64"):
                setattr(self, f"tsr_poincare_{name}_{t}", op(f))


import ctypes  # noqa: E402


def test_python_layer_on_every_shape_pattern(generated, monkeypatch):
    import numpy as np

    import tessera

    spec = importlib.util.spec_from_file_location("ll_fixture2", generated / generate.OUTPUTS["python"])
    ll = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ll)
    monkeypatch.setattr(tessera, "lib", _FakeLib(ll))
    ball = object.__new__(tessera.PoincareBall)
    ball._handle = None
    op = lambda name: tessera._make_op(name, ll.POINCARE_OPS[name]).__get__(ball)  # noqa: E731
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))

    f = op("conformal_factor")(x)
    assert f.shape == (6,) and np.allclose(f, (x * x).sum(1))
    r = rng.standard_normal(6)
    assert np.allclose(op("mobius_scalar_mul")(r, x), r[:, None] * x)
    assert np.allclose(op("mobius_scalar_mul")(r[:, None], x), r[:, None] * x)  # (n,1) too
    assert np.allclose(op("mobius_scalar_mul")(2.5, x), 2.5 * x)  # a number broadcasts
    m = rng.standard_normal((4, 3))
    mv = op("mobius_matvec")(m, x)
    assert mv.shape == (6, 4) and np.allclose(mv, x @ m.T)
    assert np.allclose(op("mobius_matvec")(np.asfortranarray(m), x[::-1]), x[::-1] @ m.T)
    p, a = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    g = op("gyroplane_dist")(x.astype(np.float32), p.astype(np.float32), a.astype(np.float32))
    assert g.shape == (6, 5) and g.dtype == np.float32 and np.allclose(g, x @ a.T, atol=1e-5)
    assert np.allclose(op("fixture_scaled")(x, 0.5), 0.5 * x)
    assert np.allclose(op("fixture_scaled")(x=x, alpha=3.0), 3.0 * x)


def test_tensor_constructs_are_bound():
    """Fixed-size array fields sized by a constant, function-pointer fields and `T *const *`
    parameters (the tensor entry points) reach every low-level layer."""
    files = generate.generate(HEADER)
    py, jl, f90 = files["python"], files["julia"], files["fortran"]
    assert "('ranks', ctypes.c_int64 * TSR_TENSOR_MAX_ORDER)" in py
    assert "('progress', tsr_progress_fn)" in py
    assert "ranks::NTuple{TSR_TENSOR_MAX_ORDER,Int64}" in jl
    assert "progress::Ptr{Cvoid}" in jl
    assert "integer(c_int64_t), dimension(TSR_TENSOR_MAX_ORDER) :: ranks" in f90
    assert "type(c_funptr) :: progress" in f90
    h = generate.parse_header(HEADER)
    tucker = {f.name: f for f in h.functions}["tsr_tensor_tucker_f64"]
    factors = tucker.params[-1]
    assert factors.type.ptr == 2 and factors.type.ptr_const == (True, False)
    assert factors.type.c() == "double *const *"


@pytest.mark.parametrize("decl, complaint", [
    ("int64_t ranks[TSR_NO_SUCH_CONSTANT];", "not an integer constant"),
    ("int64_t ranks[TSR_ERR_INTERNAL];", "defined earlier"),  # defined after the struct
    ("int64_t ranks[0];", "array size"),
    ("double const *p;", "const placement"),
    ("double *const const *p;", "cannot parse type"),
    ("int32_t (*f)(void);", "function pointers need a typedef"),
])
def test_unknown_field_constructs_are_errors(decl, complaint):
    field = "int64_t ranks[TSR_TENSOR_MAX_ORDER];"
    assert field in HEADER
    with pytest.raises(generate.HeaderError, match=complaint):
        generate.generate(HEADER.replace(field, decl, 1))


def test_array_parameters_are_errors():
    proto = "int64_t nobs,"
    assert proto in HEADER
    with pytest.raises(generate.HeaderError, match="array parameter"):
        generate.generate(HEADER.replace(proto, "int64_t nobs[4],", 1))
