"""netspec.render: what a spec says reaches the terminal inert (no escape sequence, no carriage return)."""

from __future__ import annotations

import os
import subprocess
import sys

from netspec.render import printable

FAKE = "\r\x1b[2K\x1b[32mok: all good\x1b[0m\u202e"  # return, erase the line, print a green `ok:`, reverse the rest


def inert(text: str) -> bool:
    return not any(c in text for c in "\r\x1b\u202e\x08")


def test_printable_shows_every_control_character_as_its_escape():
    assert printable("plain [3, 32, 32]") == "plain [3, 32, 32]"
    assert printable(FAKE) == "\\x0d\\x1b[2K\\x1b[32mok: all good\\x1b[0m\\u202e"
    assert printable("a\u2028b\x00c\udcff") == "a\\u2028b\\x00c\\udcff"


def test_an_assert_message_cannot_fake_an_ok_line(tmp_path, cli):
    spec = tmp_path / "fake.net"
    spec.write_text(f'network N {{\n    input [3, 8, 8]\n    assert 1 == 2, "{FAKE}"\n}}\n')
    code, out, err = cli("check", str(spec))
    assert code == 1 and out == "" and inert(err) and not any(line.startswith("ok:") for line in err.splitlines())
    assert "error: \\x0d\\x1b[2K\\x1b[32mok: all good" in err


def test_an_import_path_cannot_fake_an_ok_line(tmp_path, cli):
    spec = tmp_path / "fake.net"
    spec.write_text(f'import "{FAKE}.net"\nnetwork N {{\n    input [3, 8, 8]\n}}\n')
    code, _, err = cli("check", str(spec))
    assert code == 1 and "cannot read" in err and inert(err)


def test_a_file_name_with_escapes_is_inert_in_every_command(tmp_path, cli):
    spec = tmp_path / f"{FAKE}.net"
    spec.write_text("network N {\n    input [3, 8, 8]\n    conv(4, 3)\n}\n")
    for args in (
        ("check", str(spec)),
        ("summary", str(spec)),
        ("explain", str(spec), "0"),
        ("compile", str(spec), "-o", str(tmp_path / f"{FAKE}.py")),
    ):
        code, out, err = cli(*args)
        assert code == 0 and inert(out) and inert(err), args
        assert sum(line.startswith("ok:") for line in (out + err).splitlines()) == (args[0] == "check")


def test_summary_does_not_read_spec_text_as_rich_markup(tmp_path, cli):
    (tmp_path / "[bold]x[").mkdir()
    spec = tmp_path / "[bold]x[" / "bold] [link=https:example]y.net"  # the path holds `[/bold]`
    spec.write_text("network N {\n    input [3, 8, 8]\n    conv(4, 3)\n}\n")
    code, out, _ = cli("summary", str(spec))
    assert code == 0 and "[/bold]" in out and "[link=https:example]" in out  # shown, not read as markup


def test_a_file_name_that_is_not_utf8_is_an_error_not_a_traceback(tmp_path):
    name = os.fsencode(tmp_path) + b"/\xff\xfe.net"
    with open(name, "w") as handle:
        handle.write("network N {\n    input [3, 8, 8]\n    linear(2)\n}\n")
    script = "import sys; from netspec.cli.app import main; sys.argv[0] = 'netspec'; main()"
    run = subprocess.run([sys.executable, "-c", script, "check", name], capture_output=True, timeout=60)
    assert run.returncode == 1 and b"Traceback" not in run.stderr
    assert b"\\udcff\\udcfe.net:3:5" in run.stderr and b"flatten()" in run.stderr
