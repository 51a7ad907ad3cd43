"""netspec.analysis.allocation: load and export refuse, before allocating, a module bigger than the byte limit."""

from __future__ import annotations

import pytest

import netspec
from netspec.analysis.allocation import DEFAULT_MAX_BYTES, check_memory, max_bytes, size
from netspec.diagnostics import NetspecError

HUGE = "network Big {\n    input [3, 8, 8]\n    flatten()\n    fc: linear(%d)\n}\n"


def test_the_figures_of_a_refusal_are_exact():
    graph = netspec.build(HUGE % 1000)  # 192*1000 + 1000 weights, activations 192 + 192 + 1000, float32
    with pytest.raises(NetspecError) as caught:
        check_memory(graph, 10_000)
    (error,) = caught.value.errors
    need = (192 * 1000 + 1000) * 4 + (3 * 8 * 8 + 192 + 1000) * 4
    assert error.message == (
        f"building `Big` needs {size(need)}: parameters and buffers {size(193_000 * 4)}, "
        f"activations of one sample {size(1384 * 4)}; the limit is {size(10_000)}"
    )
    assert (error.span.line, error.span.col) == (4, 9)
    check_memory(graph, need)  # exactly the need is allowed


@pytest.mark.parametrize("out", [2_000_000_000, 2**31 - 1])
def test_load_refuses_a_layer_of_terabytes_without_allocating_it(out, torch_one_thread):
    with pytest.raises(NetspecError, match=r"needs .* TiB.*the limit is 8.00 GiB"):
        netspec.load(HUGE % out)


def test_a_huge_input_is_refused_too():
    with pytest.raises(NetspecError, match=r"activations of one sample 24.00 GiB"):
        check_memory(netspec.build("network I {\n    input [3, 32768, 32768]\n    relu()\n}\n"))


def test_the_limit_comes_from_the_argument_the_environment_or_the_default(monkeypatch):
    monkeypatch.delenv("NETSPEC_MAX_BYTES", raising=False)
    assert max_bytes() == DEFAULT_MAX_BYTES == 8 * 2**30
    monkeypatch.setenv("NETSPEC_MAX_BYTES", "16GiB")
    assert max_bytes() == 16 * 2**30 and max_bytes("500MB") == 500 * 10**6 and max_bytes(123) == 123
    for bad in ("lots", "-5", "1.5QB"):
        with pytest.raises(ValueError, match="cannot read the size"):
            max_bytes(bad)
    with pytest.raises(TypeError):
        max_bytes(1.5)


def test_a_raised_limit_lets_a_big_model_build(torch_one_thread):
    model = netspec.load(HUGE % 100_000, max_bytes="1GiB")
    assert model.fc.weight.shape == (100_000, 192)
    with pytest.raises(NetspecError, match=r"the limit is 1\.00 MiB"):
        netspec.load(HUGE % 100_000, max_bytes=2**20)


def test_export_refuses_with_the_figure(cli, tmp_path):
    spec = tmp_path / "big.net"
    spec.write_text(HUGE % 2_000_000_000)
    code, _, err = cli("export", str(spec), "-o", str(tmp_path / "big.onnx"))
    assert code == 1 and "needs 1.41 TiB" in err and "--max-bytes" in err
    assert list(tmp_path.iterdir()) == [spec]


def test_sizes_never_overflow():
    assert size(0) == "0 B" and size(1536) == "1.50 KiB" and size(2**70) == "1.00 ZiB"
    assert size(2**200).endswith(" YiB")
