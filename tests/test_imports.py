"""netspec.elaborate.imports: what an import may read, each file parsed once, and one block per name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from netspec import analyse
from netspec.diagnostics import Diagnostics, NetspecError
from netspec.elaborate import Loader, elaborate

NET = "network N {\n    input [3, 8, 8]\n    %s\n}\n"


def errors(path: Path) -> list[str]:
    with pytest.raises(NetspecError) as info:
        analyse(path)
    return [d.message for d in info.value.errors]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    (root / "lib").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "lib" / "pair.net").write_text("block Pair(out: int) {\n    conv(out, 3, padding=1)\n    relu()\n}\n")
    return root


def test_a_diamond_of_imports_reads_and_parses_each_file_once(tmp_path):
    """17 levels, each importing the next under two spellings: 2**17 reads before, 17 now."""
    levels = 17
    (tmp_path / "sub").mkdir()
    for i in range(levels):
        nxt = f'import "L{i + 1}.net"\nimport "sub/../L{i + 1}.net"\n' if i + 1 < levels else ""
        (tmp_path / f"L{i}.net").write_text(nxt + f"block B{i}() {{\n    relu()\n}}\n")
    (tmp_path / "main.net").write_text('import "L0.net"\nimport "./L0.net"\n' + NET % "B16()")
    loader = Loader(Diagnostics())
    graph = elaborate(loader.read(tmp_path / "main.net", None), loader)
    assert loader.parses == levels + 1 and len(loader.specs) == levels + 1
    assert [node.op for node in graph.nodes[1:]] == ["relu"]


def test_imports_inside_the_project_may_use_dotdot_and_absolute_paths(project):
    (project / "specs").mkdir()
    spec = project / "specs" / "net.net"
    spec.write_text(f'import "../lib/pair.net"\nimport "{project}/lib/pair.net"\n' + NET % "Pair(4)")
    assert analyse(spec).totals.params == 3 * 3 * 3 * 4 + 4


def test_imports_outside_the_project_are_refused_unless_opened(project, tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "blocks.net").write_text("block Two() {\n    relu()\n}\n")
    for path in (outside / "blocks.net", "../elsewhere/blocks.net"):
        (project / "net.net").write_text(f'import "{path}"\n' + NET % "Two()")
        found = errors(project / "net.net")
        assert found[0].startswith("cannot read") and found[0].endswith(": it is outside the project")
    monkeypatch.setenv("NETSPEC_IMPORT_PATH", f"/nonexistent{os.pathsep}{outside}")
    assert analyse(project / "net.net").network == "N"


def test_a_symlink_inside_the_project_to_a_file_outside_is_outside(project, tmp_path):
    (tmp_path / "secret.net").write_text("block S() {\n    relu()\n}\n")
    (project / "lib" / "link.net").symlink_to(tmp_path / "secret.net")
    (project / "net.net").write_text('import "lib/link.net"\n' + NET % "S()")
    assert errors(project / "net.net")[0] == f"cannot read {project / 'lib' / 'link.net'}: it is outside the project"


SECRET = "API_TOKEN=hunter2-do-not-print"


@pytest.mark.parametrize("name", ["notes.txt", "/proc/self/environ", "link.net"])
def test_an_import_of_a_file_that_is_not_a_spec_never_shows_its_content(project, cli, name, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "hunter2-do-not-print")
    (project / "notes.txt").write_text(SECRET + "\n")
    (project / "link.net").symlink_to(project / "notes.txt")
    (project / "net.net").write_text(f'import "{name}"\n' + NET % "relu()")
    code, out, err = cli("check", str(project / "net.net"))
    assert code == 1 and "imports read .net files only" in err and "hunter2" not in out + err
    code, out, _ = cli("check", str(project / "net.net"), "--json")
    assert code == 1 and "hunter2" not in out and json.loads(out)["ok"] is False


def test_a_spec_that_is_not_named_net_is_not_quoted_when_it_does_not_parse(project, cli):
    (project / "notes.txt").write_text(SECRET + "\n")
    code, out, err = cli("check", str(project / "notes.txt"))
    assert code == 1 and f"error: {project / 'notes.txt'} is not spec text" in err and "hunter2" not in err
    code, out, _ = cli("check", str(project / "notes.txt"), "--json")
    assert "hunter2" not in out and "API_TOKEN" not in out


def test_a_symlink_loop_in_imports_is_a_located_error(project):
    (project / "a.net").symlink_to(project / "b.net")
    (project / "b.net").symlink_to(project / "a.net")
    (project / "net.net").write_text('import "a.net"\n' + NET % "relu()")
    assert errors(project / "net.net") == [f"cannot read {project / 'a.net'}: Too many levels of symbolic links"]


def test_a_cycle_through_two_spellings_of_one_file_is_found(project):
    (project / "lib" / "c.net").write_text('import "../lib/./c.net"\nblock C() {\n    relu()\n}\n')
    (project / "net.net").write_text('import "lib/c.net"\n' + NET % "C()")
    assert errors(project / "net.net") == ["import cycle"]


def test_the_same_block_name_from_two_libraries_is_an_error(project):
    (project / "lib" / "other.net").write_text("block Pair(out: int) {\n    linear(out)\n}\n")
    (project / "net.net").write_text('import "lib/pair.net"\nimport "lib/other.net"\n' + NET % "Pair(4)")
    assert errors(project / "net.net") == [
        f"two blocks named `Pair`: from {project / 'lib' / 'pair.net'} and from {project / 'lib' / 'other.net'}"
    ]
    (project / "net.net").write_text(
        'from "lib/pair.net" import Pair\nblock Pair() {\n    relu()\n}\n' + NET % "Pair()"
    )
    assert errors(project / "net.net") == [f"block `Pair` is also imported, from {project / 'lib' / 'pair.net'}"]


def test_one_library_reached_twice_is_one_block(project):
    (project / "lib" / "again.net").write_text('import "pair.net"\n')
    (project / "net.net").write_text('import "lib/pair.net"\nimport "lib/again.net"\n' + NET % "Pair(4)")
    assert analyse(project / "net.net").network == "N"
