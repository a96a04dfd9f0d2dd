"""Static checks of the hand-written Julia package (no Julia on the build machines).

The generated layer (LibTessera.jl, ops.jl) is checked against the header by test_generated.py.
Here the hand-written sources (Tessera.jl, tensor.jl, completability.jl, nn.jl and
test/runtests.jl) are checked against that generated layer:

- every `LibTessera.name` they use exists (function, struct or constant);
- every call `LibTessera.tsr_f(args)` passes as many arguments as the generated wrapper takes,
  and every struct construction `LibTessera.tsr_s(fields)` (also through a local alias such as
  `S = LibTessera.tsr_nn_info; S(...)`) gives one value per field of the struct;
- every file of src/ is included by Tessera.jl, every exported name is defined;
- each entry point of the network, f-divergence and QSGD modules of the header is called;
- the sources parse as Julia without errors, with tree-sitter-julia
  (`pip install tree-sitter tree-sitter-julia`, done by tools/ensure-test-deps).
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PKG = ROOT / "bindings" / "julia" / "Tessera"
SRC = PKG / "src"
GENERATED = {"LibTessera.jl", "ops.jl"}
HAND_WRITTEN = sorted(p for p in SRC.glob("*.jl") if p.name not in GENERATED) + [PKG / "test" / "runtests.jl"]


def strip_julia(src: str) -> str:
    """`src` with comments, strings and character literals blanked (newlines kept)."""
    out = list(src)
    n = len(src)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    def code(i, until_paren):
        """Lexes code from i; with until_paren, up to the `)` closing an interpolation."""
        depth = 0
        while i < n:
            c = src[i]
            if src.startswith("#=", i):
                j, level = i + 2, 1
                while j < n and level:
                    if src.startswith("#=", j):
                        level, j = level + 1, j + 2
                    elif src.startswith("=#", j):
                        level, j = level - 1, j + 2
                    else:
                        j += 1
                blank(i, j)
                i = j
            elif c == "#":
                j = src.find("\n", i)
                j = n if j < 0 else j
                blank(i, j)
                i = j
            elif c == '"':
                j = string(i)
                blank(i + 1, j - 1)
                i = j
            elif c == "'":
                prev = src[i - 1] if i else " "
                if prev.isalnum() or prev in "_)]}'.":
                    i += 1  # adjoint
                else:
                    j = i + 1
                    while j < n and src[j] != "'":
                        j += 2 if src[j] == "\\" else 1
                    blank(i + 1, j)
                    i = j + 1
            elif until_paren and c in "([{":
                depth += 1
                i += 1
            elif until_paren and c in ")]}":
                if depth == 0:
                    return i + 1
                depth -= 1
                i += 1
            else:
                i += 1
        return i

    def string(i):
        """Index just past the string starting at i (a `"` or `\"\"\"`)."""
        triple = src.startswith('"""', i)
        j = i + (3 if triple else 1)
        while j < n:
            if src[j] == "\\":
                j += 2
            elif src.startswith("$(", j):
                j = code(j + 2, True)
            elif triple and src.startswith('"""', j):
                return j + 3
            elif not triple and src[j] == '"':
                return j + 1
            else:
                j += 1
        return j

    code(0, False)
    return "".join(out)


def generated_layer():
    text = (SRC / "LibTessera.jl").read_text()
    functions = {m.group(1): m.group(2) for m in re.finditer(r"^function (\w+)\((.*?)\)\s*$", text, re.M)}
    arity = {name: len([a for a in args.split(",") if a.strip()]) for name, args in functions.items()}
    structs = {}
    for m in re.finditer(r"^struct (\w+)\n(.*?)^end$", text, re.M | re.S):
        structs[m.group(1)] = len(re.findall(r"^\s+\w+::", m.group(2), re.M))
    opaque = set(re.findall(r"^mutable struct (\w+) end$", text, re.M))  # only used as Ptr{...}
    consts = set(re.findall(r"^const (\w+)\s*=", text, re.M))
    return arity, structs, consts | opaque | {"library_path"}


def call_args(text: str, open_paren: int):
    """The top-level arguments of the call whose `(` is at `open_paren`, and the end index."""
    depth, start, args = 0, open_paren + 1, []
    for k in range(open_paren, len(text)):
        c = text[k]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:k])
                return [a.strip() for a in args if a.strip()], k
        elif c in ",;" and depth == 1:
            args.append(text[start:k])
            start = k + 1
    raise AssertionError("unbalanced parentheses")


def line_of(text, k):
    return text.count("\n", 0, k) + 1


@pytest.fixture(scope="module")
def layer():
    return generated_layer()


@pytest.mark.parametrize("path", HAND_WRITTEN, ids=lambda p: p.name)
def test_calls_match_the_generated_layer(path, layer):
    arity, structs, consts = layer
    text = strip_julia(path.read_text())
    problems = []
    for m in re.finditer(r"\bLibTessera\.(\w+)", text):
        name = m.group(1)
        if name not in arity and name not in structs and name not in consts:
            problems.append(f"line {line_of(text, m.start())}: LibTessera.{name} does not exist")
            continue
        if m.end() < len(text) and text[m.end()] == "(":
            args, _ = call_args(text, m.end())
            if any(a.endswith("...") for a in args):
                continue
            want = arity.get(name, structs.get(name))
            if want is not None and len(args) != want:
                problems.append(f"line {line_of(text, m.start())}: LibTessera.{name} takes {want} arguments, given {len(args)}")
    # Struct constructions through a local alias (`S = LibTessera.tsr_x`), until the function ends.
    aliases = {}
    for lineno, line in enumerate(text.split("\n"), 1):
        if re.match(r"(function |end\b|\S)", line) and not line.startswith(" "):
            aliases = {}
        a = re.match(r"\s*(\w+)\s*=\s*LibTessera\.(tsr_\w+)\s*$", line)
        if a and a.group(2) in structs:
            aliases[a.group(1)] = a.group(2)
            continue
        for alias, struct in aliases.items():
            for m in re.finditer(rf"(?<![\w.{{]){alias}\(", line):
                args, _ = call_args(line, m.end() - 1)
                if not any(x.endswith("...") for x in args) and len(args) != structs[struct]:
                    problems.append(f"line {lineno}: {alias}(...) = {struct} has {structs[struct]} fields, given {len(args)}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_every_source_is_included_and_every_export_defined():
    main = strip_julia((SRC / "Tessera.jl").read_text())
    raw = (SRC / "Tessera.jl").read_text()
    included = set(re.findall(r'^include\("([\w.]+)"\)', raw, re.M))
    assert included == {p.name for p in SRC.glob("*.jl")} - {"Tessera.jl"}
    for name in included:
        assert (SRC / name).exists()
    defined = set()
    for p in SRC.glob("*.jl"):
        t = strip_julia(p.read_text())
        defined |= set(re.findall(r"^\s*(?:function|mutable struct|struct|module|const|macro)\s+(?:Base\.)?([\w!]+)", t, re.M))
        defined |= set(re.findall(r"^\s*([\w!]+)(?:\{[^}]*\})?\([^=\n]*\)\s*(?:where\s*\{[^}]*\}\s*)?=", t, re.M))
    exported = set()
    for line in re.findall(r"^export (.*)$", main, re.M):
        exported |= {e.strip() for e in line.split(",")}
    missing = sorted(exported - defined)
    assert not missing, f"exported but not defined: {missing}"


def test_every_network_fdiv_and_qsgd_entry_point_is_wrapped(layer):
    arity, _, _ = layer
    wanted = {f for f in arity if f.startswith(("tsr_nn_", "tsr_fdiv_", "tsr_qsgd_"))}
    wanted.discard("tsr_nn_last_error_message")  # the thread's message (tsr_last_error_message) is used
    assert len(wanted) > 30
    text = strip_julia((SRC / "nn.jl").read_text())
    called = set(re.findall(r"\bLibTessera\.(tsr_\w+)\(", text))
    assert sorted(wanted - called) == []


def test_block_structure_and_brackets_balance():
    # A rough check that also runs without tree-sitter: block keywords against `end`, brackets.
    token = re.compile(r"[\[\]{}()]|\b(?:end|function|macro|module|baremodule|struct|if|for|while|let|begin|quote|try|do)\b")
    pairs = {")": "(", "]": "[", "}": "{"}
    for path in HAND_WRITTEN + [SRC / "LibTessera.jl", SRC / "ops.jl"]:
        text = strip_julia(path.read_text())
        text = re.sub(r"\babstract type\b.*?\bend\b", " ", text)
        text = re.sub(r":\w+", " ", text)  # symbols and ranges (`:end`, `1:n`)
        stack = []
        for m in token.finditer(text):
            tok, where = m.group(0), f"{path.name}:{line_of(text, m.start())}"
            in_brackets = bool(stack) and stack[-1] != "block"
            if tok in "([{":
                stack.append(tok)
            elif tok in pairs:
                assert stack and stack[-1] == pairs[tok], f"{where}: unbalanced {tok!r} (open: {stack[-3:]})"
                stack.pop()
            elif tok == "end":
                if in_brackets:
                    continue  # `x[end]`
                assert stack, f"{where}: `end` closes nothing"
                stack.pop()
            elif in_brackets and tok in ("for", "if"):
                continue  # comprehensions and generators
            else:
                stack.append("block")
        assert not stack, f"{path.name}: unclosed {stack[-3:]} at the end of the file"


def test_sources_parse_with_tree_sitter():
    # Installed by tools/ensure-test-deps; a missing parser is a failure, not a skip.
    import tree_sitter as ts
    import tree_sitter_julia as tsj
    parser = ts.Parser(ts.Language(tsj.language()))
    for path in HAND_WRITTEN:
        tree = parser.parse(path.read_bytes())
        errors = []

        def walk(node):
            if node.type == "ERROR" or node.is_missing:
                errors.append(f"line {node.start_point[0] + 1}: {node.type} {node.text[:60]!r}")
            for child in node.children:
                walk(child)

        walk(tree.root_node)
        assert not errors, f"{path.name}:\n" + "\n".join(errors[:10])
