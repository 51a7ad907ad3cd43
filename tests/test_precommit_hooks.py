""".pre-commit-hooks.yaml: each hook, run as pre-commit runs it (its entry + the staged files its patterns
select), passes on good specs and fails on bad ones."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from netspec.format import format_text

ROOT = Path(__file__).parent.parent
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def run_hook(hook_id: str, root: Path) -> subprocess.CompletedProcess:
    """The hook on every file under `root` its `files`/`exclude` select, paths relative as git gives them."""
    hook = HOOKS[hook_id]
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    chosen = [f for f in files if re.search(hook["files"], f) and not re.search(hook.get("exclude", "^$"), f)]
    command, *args = shlex.split(hook["entry"])
    assert command == "netspec" and hook["language"] == "python"
    return subprocess.run(
        [str(Path(sys.executable).parent / command), *args, *chosen], cwd=root, capture_output=True, text=True
    )


def test_check_hook(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    done = run_hook("netspec-check", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ok: ") == len(list((ROOT / "specs").rglob("*.net")))  # libraries too
    (tmp_path / "specs/broken.net").write_text("network B {\n    input [3, 8, 8]\n    conv(4, 9)\n}\n")
    assert run_hook("netspec-check", tmp_path).returncode == 1


def test_fmt_hook(tmp_path):
    for path in (ROOT / "specs").rglob("*.net"):
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(format_text(path.read_text(), str(path)))
    assert run_hook("netspec-fmt", tmp_path).returncode == 0
    messy = tmp_path / "specs/lib/messy.net"
    messy.write_text("block M {\nrelu()\n}\n")
    done = run_hook("netspec-fmt", tmp_path)
    assert done.returncode == 1 and "would reformat specs/lib/messy.net" in done.stderr
    assert messy.read_text() == "block M {\nrelu()\n}\n"
