"""The adversarial corpus: hostile specs, paths, outputs and limits, each run as a real `netspec` process under a
CPU-time and address-space limit. Whatever it is fed, netspec ends within the bounds, with status 1 or 2 and a
message, never a traceback, never echoing a secret, never faking an `ok:` line, never touching a file it was
not asked to write. The files live in tests/adversarial/; bulky ones are generated here.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "adversarial"
CPU_SECONDS = 30
ADDRESS_SPACE = 3 * 2**30  # bytes of virtual memory; an unbounded allocation fails instead of swapping
SCRIPT = "import sys; from netspec.cli.app import main; sys.argv[0] = 'netspec'; main()"
SECRET = "do-not-print-me"


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # {dir}: the case's working directory; {corpus}: tests/adversarial
    status: int
    says: tuple[str, ...] = ()  # substrings of stdout + stderr
    env: tuple[tuple[str, str], ...] = ()


def bounded():
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CANARY_SECRET": SECRET, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=10 * CPU_SECONDS,
        preexec_fn=bounded,
        env=environment,
    )


def generated(tmp: Path) -> None:
    """The bulky hostile files: dense operators, a long list, a diamond of imports, a deep import chain."""
    net = "network N {\n    input [3, 8, 8]\n    let a = %s\n}\n"
    (tmp / "dense2m.net").write_text(net % ("1" + "+1" * 990_000))  # 2 MB of operators: 2 million tokens
    (tmp / "dense.net").write_text(net % ("1" + "+1" * 450_000))  # 900 kB: under the token limit
    (tmp / "longlist.net").write_text(net % ("[" + "1," * 450_000 + "1]"))
    table = "{" + ", ".join(f"{i}: {i}" for i in range(60_000)) + "}"  # every key looked up: hashed, not scanned
    (tmp / "bigtable.net").write_text(net % f"{table}\n    let s = sum([a[i] for i in range(60_000)])")
    (tmp / ".git").mkdir()
    for i in range(17):
        nxt = f'import "d{i + 1}.net"\nimport "./d{i + 1}.net"\n' if i < 16 else ""
        (tmp / f"d{i}.net").write_text(nxt + f"block B{i}() {{\n    relu()\n}}\n")
    (tmp / "diamond.net").write_text('import "d0.net"\nnetwork D {\n    input [3, 8, 8]\n    B16()\n}\n')
    for i in range(40):
        (tmp / f"c{i}.net").write_text(f'import "c{i + 1}.net"\n' if i < 39 else "")
    (tmp / "chain.net").write_text('import "c0.net"\nnetwork C {\n    input [3, 8, 8]\n}\n')
    (tmp / "fifo.net").touch()
    os.mkfifo(tmp / "pipe.pt")
    (tmp / "ok.net").write_text("network Ok {\n    input [3, 8, 8]\n    conv(4, 3)\n}\n")
    (tmp / "keep.txt").write_text("mine")


CASES = [
    Case("spoofed assert", ("check", "{corpus}/spoof_assert.net"), 1, ("\\x1b[32mok: Spoof passed",)),
    Case("spoofed import path", ("check", "{corpus}/spoof_import.net"), 1, ("cannot read", "\\x1b[2K\\x0dok.net")),
    Case("environment import", ("check", "{corpus}/import_environ.net"), 1, ("imports read .net files only",)),
    Case("environment import, json", ("check", "--json", "{corpus}/import_environ.net"), 1, ('"ok": false',)),
    Case("climbing import", ("check", "{corpus}/import_climb.net"), 1, ("it is outside the project",)),
    Case("text import", ("check", "{corpus}/import_text.net"), 1, ("imports read .net files only",)),
    Case("linked text import", ("check", "{corpus}/import_link.net"), 1, ("not a .net file",)),
    Case("a secret as the spec", ("check", "{corpus}/canary.txt"), 1, ("is not spec text",)),
    Case("a secret as the spec, json", ("check", "--json", "{corpus}/canary.txt"), 1, ("is not spec text",)),
    Case("explain a global pool", ("explain", "{corpus}/global_pools.net", "max"), 0, ("the maximum over all",)),
    Case(
        "a 1.4 TiB layer",
        ("export", "{corpus}/huge_linear.net", "-o", "{dir}/huge.onnx"),
        1,
        ("needs 1.41 TiB", "NETSPEC_MAX_BYTES"),
    ),
    Case("2 MB of operators", ("check", "{dir}/dense2m.net"), 1, ("too many tokens",)),
    Case("900 kB of operators", ("check", "{dir}/dense.net"), 1, ("operators in a row",)),
    Case("a list of 450k items", ("check", "{dir}/longlist.net"), 1, ("items in one list",)),
    Case("60k lookups in a 60k-entry table", ("check", "{dir}/bigtable.net"), 0, ("ok: ",)),
    Case("a diamond of 17 imports", ("check", "{dir}/diamond.net"), 0, ("ok: ",)),
    Case("imports 40 deep", ("check", "{dir}/chain.net"), 1, ("imports nest too deeply",)),
    Case("-o the spec", ("compile", "{dir}/ok.net", "-o", "{dir}/ok.net"), 1, ("an input of this command",)),
    Case("-o a directory", ("export", "{dir}/ok.net", "-o", "{dir}"), 1, ("it is a directory",)),
    Case("-o a device", ("diagram", "{dir}/ok.net", "-o", "/dev/null"), 1, ("it is a character device",)),
    Case(
        "-o the weights",
        ("export", "{dir}/ok.net", "--weights", "{dir}/keep.txt", "-o", "{dir}/keep.txt"),
        1,
        ("an input of this command",),
    ),
    Case(
        "weights from a FIFO",
        ("export", "{dir}/ok.net", "--weights", "{dir}/pipe.pt", "-o", "{dir}/o.onnx"),
        1,
        ("it is a FIFO",),
    ),
    Case(
        "a bad size limit",
        ("export", "{dir}/ok.net", "--max-bytes", "lots", "-o", "{dir}/o.onnx"),
        1,
        ("cannot read the size 'lots'",),
    ),
    Case("channels at 2**31-1", ("summary", "--json", "{corpus}/integer_limits.net"), 0, ('"params"',)),
    Case("a shortcut of 2**31-1 channels", ("explain", "{corpus}/integer_limits.net", "r"), 0, ("residual",)),
    Case(
        "a 2**31-1 model's export",
        ("export", "{corpus}/integer_limits.net", "-o", "{dir}/l.onnx"),
        1,
        ("the limit is 8.00 GiB",),
    ),
    Case("numbers past the limits", ("check", "{corpus}/past_limits.net"), 1, ("number too large",)),
    Case("stdout on a full disk", ("compile", "{dir}/ok.net"), 1, ("cannot write to standard output",)),
]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adversarial")
    generated(tmp)
    return tmp


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_ends_cleanly_within_bounds(case, workdir):
    before = {p.name: p.lstat().st_mtime_ns for p in workdir.iterdir()}
    args = [a.format(dir=workdir, corpus=CORPUS) for a in case.args]
    if case.name == "stdout on a full disk":
        with open("/dev/full", "w") as full:
            result = subprocess.run(
                [sys.executable, "-c", SCRIPT, *args],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                timeout=10 * CPU_SECONDS,
                preexec_fn=bounded,
            )
        result.stdout = ""
    else:
        result = run(args, workdir, dict(case.env))
    said = result.stdout + result.stderr
    assert result.returncode == case.status, said[-2000:]
    assert "Traceback" not in said and SECRET not in said and "CANARY" not in said
    assert not any(c in said for c in "\x1b\r\u202e")
    assert all(text in said for text in case.says), said[-2000:]
    after = {p.name: p.lstat().st_mtime_ns for p in workdir.iterdir()}
    assert after == before  # nothing written, replaced or left behind beside the inputs


# ---- in-process: hostile weights and API arguments -------------------------------------------------------------

LINEAR = "network L {\n    input [4]\n    fc: linear(2)\n}\n"


def hostile_weights():
    import torch

    good = {"fc.weight": torch.zeros(2, 4), "fc.bias": torch.zeros(2)}
    return {
        "a bare tensor": (torch.zeros(3), "holds a Tensor, not a state_dict"),
        "a list": ([torch.zeros(2)], "holds a list, not a state_dict"),
        "None": (None, "holds nothing (None), not a state_dict"),
        "sparse": ({**good, "fc.weight": torch.zeros(2, 4).to_sparse()}, "fc.weight is a sparse_coo tensor"),
        "meta": ({**good, "fc.weight": torch.zeros(2, 4, device="meta")}, "fc.weight is a meta tensor"),
        "bool": ({**good, "fc.weight": torch.zeros(2, 4, dtype=torch.bool)}, "bool [2, 4] (not floating point)"),
        "uint8": ({**good, "fc.weight": torch.zeros(2, 4, dtype=torch.uint8)}, "uint8 [2, 4] (not floating point)"),
        "complex": ({**good, "fc.weight": torch.zeros(2, 4, dtype=torch.complex64)}, "complex64 [2, 4]"),
        "float8": ({**good, "fc.weight": torch.zeros(2, 4).to(torch.float8_e4m3fn)}, "float8_e4m3fn [2, 4]"),
    }


@pytest.mark.parametrize(
    "kind", ["a bare tensor", "a list", "None", "sparse", "meta", "bool", "uint8", "complex", "float8"]
)
def test_hostile_weights_are_refused_with_the_reason(kind, tmp_path, torch_one_thread):
    import torch

    import netspec

    obj, reason = hostile_weights()[kind]
    torch.save(obj, tmp_path / "w.pt")
    with pytest.raises(netspec.NetspecError) as caught:
        netspec.load(LINEAR, weights=tmp_path / "w.pt")
    assert reason in caught.value.render()


def test_weights_of_another_float_precision_load(tmp_path, torch_one_thread):
    import torch

    import netspec

    torch.save({"fc.weight": torch.ones(2, 4, dtype=torch.float64), "fc.bias": torch.zeros(2)}, tmp_path / "w.pt")
    assert netspec.load(LINEAR, weights=tmp_path / "w.pt").fc.weight.sum().item() == 8


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda n: n.analyse("specs/lenet5.net", input=3), TypeError, "input must be a shape"),
        (lambda n: n.analyse("specs/lenet5.net", dtype="float7"), ValueError, "dtype must be one of"),
        (lambda n: n.analyse(3), TypeError, "source must be a path or spec text"),
        (lambda n: n.diagram("specs/lenet5.net", depth=-1), ValueError, "depth must be"),
        (lambda n: n.diagram("specs/lenet5.net", rankdir=3), ValueError, "rankdir must be"),
        (lambda n: n.analyse("specs/lenet5.net", input=(1, 32, -1)), Exception, "the input shape must be"),
    ],
)
def test_api_arguments_of_the_wrong_kind_say_so(call, error, message, monkeypatch):
    import netspec

    monkeypatch.chdir(Path(__file__).parent.parent)
    with pytest.raises(error, match=message) as caught:
        call(netspec)
    assert isinstance(caught.value, (TypeError, ValueError, netspec.NetspecError))


def test_names_the_generated_code_uses_compile_to_the_same_module(tmp_path, torch_one_thread):
    """`network x`, `block torch`, `block F`, labels `self`, `super`, `nn`: the source imports, runs, equals load."""
    import importlib.util

    import torch

    import netspec

    spec = CORPUS / "colliding_names.net"
    (tmp_path / "colliding.py").write_text(netspec.compile_source(spec))
    loader = importlib.util.spec_from_file_location("colliding", tmp_path / "colliding.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    compiled, live = module.x(), netspec.load(spec)
    live.load_state_dict(compiled.state_dict(), strict=True)
    sample = torch.randn(2, 3, 8, 8)
    assert torch.equal(compiled(sample), live(sample))
