"""netspec.cli.completion: what TAB offers, from the command definitions, and each shell's script in that shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from netspec.cli import COMMANDS
from netspec.cli.completion import ANY_FILE, SCRIPTS, SPEC_FILES, candidates

ROOT = Path(__file__).resolve().parent.parent
LECTURE = str(ROOT / "specs" / "lecture.net")
RESNET18 = str(ROOT / "specs" / "resnet18.net")
CIFAR = str(ROOT / "specs" / "resnet_cifar.net")


@pytest.mark.parametrize(
    "words, current, expected",
    [
        ([], "", list(COMMANDS)),
        ([], "s", ["summary", "sizes"]),
        ([], "--v", ["--version"]),
        (["check"], "", [SPEC_FILES]),
        (["check", "a.net"], "", [SPEC_FILES]),  # check takes several files
        (["check", "a.net"], "--s", ["--set", "--strict"]),
        (["check", "a.net", "--strict"], "--s", ["--set"]),  # a flag once given is not offered again
        (["diagram", "a.net", "--rankdir"], "", ["TB", "LR", "BT", "RL"]),
        (["diagram", "a.net", "-o"], "", [ANY_FILE]),
        (["diagram", "a.net"], "--rankdir=L", ["--rankdir=LR"]),
        (["summary", "a.net", "--depth"], "b", ["blocks"]),
        (["export", "a.net"], "--no", ["--no-verify"]),
        (["memory", "a.net", "--optimizer"], "a", ["adam", "adamw"]),
        (["completion"], "", ["bash", "zsh", "fish"]),
        (["explain", LECTURE, "conv1"], "", []),  # explain takes one layer: nothing after it
        (["bogus"], "", []),
    ],
)
def test_candidates_follow_the_definitions(words, current, expected):
    assert candidates(words, current) == expected


def test_a_specs_own_names_are_offered():
    assert candidates(["summary", CIFAR, "--set"], "") == ["depth=", "classes=", "plain="]
    assert candidates(["explain", LECTURE], "") == ["conv1"]
    names = candidates(["explain", RESNET18], "layer1.0.c")
    assert names == ["layer1.0.conv1", "layer1.0.conv2"]
    assert "layer2.0.downsample" in candidates(["explain", RESNET18, "--set", "classes=10"], "layer2.0.d")
    assert candidates(["diff", CIFAR, "--set"], "") == ["depth=", "classes=", "plain="]  # A's, as diff names it
    assert candidates(["diff", CIFAR, "--vs"], "d") == ["depth="]
    assert candidates(["diff", LECTURE, CIFAR, "--vs"], "") == ["depth=", "classes=", "plain="]  # B's
    every = candidates(["explain", RESNET18], "")
    assert len(every) == len(set(every))  # a block and its residual scope share a path: offered once
    assert candidates(["explain", "missing.net"], "") == []  # no spec on the line yet: nothing, not an error


def _shell_env() -> dict[str, str]:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _bash(line: str, word_breaks: list[str] | None = None) -> list[str]:
    """COMPREPLY for the line with the cursor at its end, as bash sets COMP_* before calling the function."""
    words = word_breaks or line.split() + ([""] if line.endswith(" ") else [])
    script = SCRIPTS["bash"] + "\n".join(
        [
            f"COMP_LINE={_quote(line)}",
            f"COMP_POINT={len(line)}",
            "COMP_WORDS=(" + " ".join(_quote(w) for w in words) + ")",
            f"COMP_CWORD={len(words) - 1}",
            "_netspec",
            'printf "%s\\n" "${COMPREPLY[@]}"',
        ]
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        capture_output=True,
        text=True,
        env=_shell_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def test_the_bash_script_completes_in_bash():
    assert _bash("netspec su") == ["summary"]
    assert _bash("netspec check specs/lec") == ["specs/lecture.net"]  # bash's own file completion, *.net only
    assert "specs/lib" in _bash("netspec check specs/li")  # directories, to walk into
    assert _bash("netspec check specs/index") == []  # index.toml is not a spec
    assert _bash("netspec explain specs/lecture.net ") == ["conv1"]
    assert _bash("netspec summary specs/resnet18.net --set cl") == ["classes="]
    # bash splits `--rankdir=L` at the `=`: the candidate is cut to what replaces the last word
    split = ["netspec", "diagram", "x.net", "--rankdir", "=", "L"]
    assert _bash("netspec diagram x.net --rankdir=L", split) == ["LR"]


def _fish(line: str) -> list[str]:
    """What fish itself offers for the line (`complete -C`), with netspec's script loaded."""
    script = f"{SCRIPTS['fish']}\ncomplete -C {_quote(line)}"
    done = subprocess.run(
        ["fish", "--no-config", "-c", script], capture_output=True, text=True, env=_shell_env(), cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [w.split("\t")[0] for w in done.stdout.splitlines() if w]


def test_the_fish_script_completes_in_fish():
    assert _fish("netspec su") == ["summary"]
    assert _fish("netspec check specs/lec") == ["specs/lecture.net"]  # fish's file completion, *.net only
    assert _fish("netspec check specs/li") == ["specs/lib/"]  # directories, to walk into
    assert "specs/lib/resnet.net" in _fish("netspec check specs/lib/")
    assert _fish("netspec check specs/index") == []  # index.toml is not a spec
    assert "specs/index.toml" in _fish("netspec diagram x.net -o specs/ind")  # -o takes any file
    assert _fish("netspec explain specs/lecture.net ") == ["conv1"]
    assert _fish("netspec summary specs/resnet18.net --set cl") == ["classes="]
    assert _fish("netspec diagram x.net --rankdir=L") == ["--rankdir=LR"]


# zsh's completion system only runs inside an interactive line editor; its two entry points the script uses are
# stood in for by functions that print what they were given, so the script's own zsh runs for real.
ZSH_HARNESS = r"""
compdef() { : }
compadd() {
    local suffix=" "; local -a out
    while (( $# )); do
        case $1 in
            -S) shift; suffix=$1 ;;
            -a) shift; out+=("${(@P)1}") ;;
            *) out+=("$1") ;;
        esac
        shift
    done
    print -rl -- "${(@)out/%/$suffix}"
}
_files() { print -r -- _files "$@" }
words=("${(@z)LINE}")
[[ $LINE == *" " ]] && words+=("")
CURRENT=$#words
PREFIX=${words[-1]}
_netspec
"""


def _zsh(line: str) -> list[str]:
    """The candidates the zsh script adds for the line (a trailing space: added with a space after it)."""
    done = subprocess.run(
        ["zsh", "-f", "-c", SCRIPTS["zsh"] + ZSH_HARNESS],
        capture_output=True,
        text=True,
        env=dict(_shell_env(), LINE=line),
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_zsh_script_completes_in_zsh():
    assert _zsh("netspec su") == ["summary "]
    assert _zsh("netspec check specs/lec") == ["_files -g *.net"]  # zsh's file completion, *.net only
    assert _zsh("netspec diagram x.net -o ") == ["_files"]
    assert _zsh("netspec explain specs/lecture.net ") == ["conv1 "]
    assert _zsh("netspec summary specs/resnet18.net --set cl") == ["classes="]  # no space: the value follows
    assert _zsh("netspec diagram x.net --rankdir=L") == ["--rankdir=LR "]


def test_every_shell_gets_a_script_that_asks_the_same_question(cli):
    for shell, script in SCRIPTS.items():
        code, out, _ = cli("completion", shell)
        assert code == 0 and out == script and "__complete" in script and "@files:" in script
    code, out, _ = cli("__complete", "--st", "check", "a.net")
    assert (code, out) == (0, "--strict\n")
