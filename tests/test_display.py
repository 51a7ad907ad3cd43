"""netspec.display and the notebook: a real notebook, executed by a Jupyter kernel (nbclient), shows a report as
its diagram and table, and a bad spec as netspec's rendering rather than a traceback (~4 s: one kernel)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import netspec

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = [
    "import netspec\nreport = netspec.analyse('specs/resnet_cifar.net')\nreport",
    "netspec.analyse('tests/bad/several_errors.net')",
]


@pytest.fixture(scope="module")
def executed():
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(
        book, timeout=120, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    return book


def test_a_report_shows_as_its_diagram_and_its_table(executed):
    (output,) = executed.cells[0].outputs
    html = output["data"]["text/html"]
    assert "<svg" in html and "<table>" in html and "CifarResNet" in html
    params = netspec.analyse(ROOT / "specs/resnet_cifar.net").totals.params
    assert "layer1.0" in html and f"params: {params:,}" in html  # a box of the drawing, the totals of the table
    assert html.index("<svg") < html.index("<table>")


def test_an_error_shows_as_its_rendering_not_a_traceback(executed):
    (output,) = executed.cells[1].outputs
    assert output["output_type"] == "error" and output["ename"] == "NetspecError"
    shown = ANSI.sub("", "\n".join(output["traceback"]))
    try:
        netspec.analyse(ROOT / "tests/bad/several_errors.net")
    except netspec.NetspecError as e:
        expected = str(e)
    assert shown == expected.replace(str(ROOT / "tests"), "tests")
    assert "Traceback" not in shown and "File " not in shown and "error: unknown layer or block `cnov`" in shown


def test_str_of_an_error_is_its_full_rendering():
    with pytest.raises(netspec.NetspecError) as info:
        netspec.analyse(ROOT / "tests/bad/several_errors.net")
    text = str(info.value)
    assert text == info.value.render() and text.endswith("7 errors")
    assert text.count("error: ") == 7 and "= help: " in text and "^^^^" in text
