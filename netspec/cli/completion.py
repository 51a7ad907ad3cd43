"""Shell completion from the command definitions: `netspec completion SHELL` prints a script for bash, zsh or
fish; the script asks `netspec __complete CURRENT WORD...` what may come next, so it can never disagree with
the parser. Spec files, option values, `--set` names of the spec on the line and `explain`'s layer names are
completed; `@files:EXT` asks the shell for its own file completion (of `*.EXT`, or of any file).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from netspec.cli.app import COMMANDS, Arg, Command, argument, command, one_of
from netspec.diagnostics import NetspecError

SHELLS = ("bash", "zsh", "fish")
SPEC_FILES, ANY_FILE = "@files:net", "@files:"


def candidates(words: list[str], current: str) -> list[str]:
    """What may replace `current` after `netspec WORDS...`, from the command definitions."""
    if not words:
        names = ["--help", "--version"] if current.startswith("-") else list(COMMANDS)
        return _prefixed(names, current)
    found = COMMANDS.get(words[0])
    if found is None:
        return []
    options = {name: arg for arg in found.args for name in arg.names}
    read = _read_so_far(found, words[1:])
    previous = words[-1] if len(words) > 1 else ""
    if previous in options and not options[previous].flag:
        return _values(options[previous], current, read)
    if current.startswith("--") and "=" in current:
        name, _, value = current.partition("=")
        arg = options.get(name)
        values = _values(arg, value, read) if arg is not None and not arg.flag else []
        return [f"{name}={v}" for v in values if not v.startswith("@")]
    if current.startswith("-") and current != "-":
        return _prefixed(_option_names(found, read) + ["--help"], current)
    return _positional(found, read, current)


def _positional(found: Command, read: dict[str, Any], current: str) -> list[str]:
    positionals = [a for a in found.args if not a.option]
    index = len(read["_words"])
    if index < len(positionals):
        return _values(positionals[index], current, read)
    if positionals and positionals[-1].many:
        return _values(positionals[-1], current, read)
    return []


def _read_so_far(found: Command, words: list[str]) -> dict[str, Any]:
    """The values on the line before the cursor, by dest (positionals too), as far as they can be told."""
    options = {name: arg for arg in found.args for name in arg.names}
    read: dict[str, Any] = {"_words": []}
    taking: Arg | None = None
    for word in words:
        if taking is not None:
            _store(read, taking, word)
            taking = None
        elif word.startswith("--") and "=" in word and word.partition("=")[0] in options:
            _store(read, options[word.partition("=")[0]], word.partition("=")[2])
        elif word in options:
            taking = None if options[word].flag else options[word]
            if options[word].flag:
                read[options[word].dest] = True
        elif not (word.startswith("-") and word != "-"):
            read["_words"].append(word)
    positionals = [a for a in found.args if not a.option]
    for index, (arg, word) in enumerate(zip(positionals, read["_words"], strict=False)):  # the line may stop anywhere
        read[arg.dest] = read["_words"][index:] if arg.many else word
    return read


def _store(read: dict[str, Any], arg: Arg, value: str) -> None:
    if arg.many:
        read.setdefault(arg.dest, []).append(value)
    else:
        read[arg.dest] = value


def _option_names(found: Command, read: dict[str, Any]) -> list[str]:
    names = []
    for arg in found.args:
        if arg.option and (arg.many or arg.dest not in read):
            names += [n for n in arg.names if n.startswith("--")]
            names += [f"--no-{n[2:]}" for n in arg.names if arg.negatable and n.startswith("--")]
    return names


def _values(arg: Arg, current: str, read: dict[str, Any]) -> list[str]:
    if arg.complete == "spec":
        return [SPEC_FILES]
    if arg.complete == "file":
        return [ANY_FILE]
    if callable(arg.complete):
        return _prefixed(arg.complete(read), current)
    return _prefixed(arg.choices, current)


def _prefixed(names, current: str) -> list[str]:
    return [name for name in names if name.startswith(current)]


def _spec_on_line(read: dict[str, Any]) -> Path | None:
    files = read.get("files") or [read.get("file") or read.get("a")]  # diff's A
    return Path(files[0]) if files[0] and files[0] != "-" and Path(files[0]).is_file() else None


def spec_params(read: dict[str, Any]) -> list[str]:
    """`name=` for every parameter of the network of the spec on the line."""
    from netspec.diagnostics import Diagnostics
    from netspec.elaborate import Loader

    path = _spec_on_line(read)
    if path is None:
        return []
    spec = Loader(Diagnostics()).read(path, None)
    networks = spec.networks if spec is not None else []
    return [f"{p.name}=" for net in networks[:1] for p in net.params]


def layer_names(read: dict[str, Any]) -> list[str]:
    """Every layer, group and block of the spec on the line, as `explain` names them."""
    from netspec.api import analyse_partial
    from netspec.cli.app import parse_sets

    path = _spec_on_line(read)
    if path is None:
        return []
    report, _ = analyse_partial(path, **parse_sets(read.get("set")))
    if report is None:
        return []
    names = [scope.path for scope in report.scopes if scope.path] + [layer.name for layer in report.layers[1:]]
    return list(dict.fromkeys(names))  # a block and its residual scope share a path


def complete_words(words: list[str]) -> None:
    """`netspec __complete CURRENT WORD...`: one candidate a line; nothing (never a traceback) when unsure."""
    from netspec.cli import register

    register()
    current, before = (words[0], words[1:]) if words else ("", [])
    try:
        found = candidates(before, current)
    except (NetspecError, OSError, ValueError):  # a half-typed spec or --set: nothing to offer
        found = []
    for name in found:
        print(name)


BASH = r"""# bash completion for netspec: eval "$(netspec completion bash)"
_netspec() {
    local line="${COMP_LINE:0:COMP_POINT}" cur="" word prefix candidate
    local -a words=() reply=()
    read -ra words <<< "$line"  # split on blanks only: `--set classes=10` stays one word
    [[ "$line" =~ [[:space:]]$ ]] || { cur="${words[-1]}"; unset 'words[-1]'; }
    word="${COMP_WORDS[COMP_CWORD]}"
    prefix="${cur%"$word"}"  # what bash took as words of their own (it splits at = and :)
    [[ "$prefix" == "$cur" ]] && prefix=""
    while IFS= read -r candidate; do
        case "$candidate" in
            @files:?*) compopt -o filenames 2>/dev/null
                       reply+=($(compgen -d -- "$cur") $(compgen -f -X "!*.${candidate#@files:}" -- "$cur")) ;;
            @files:)   compopt -o filenames 2>/dev/null; reply+=($(compgen -f -- "$cur")) ;;
            *)         reply+=("${candidate#"$prefix"}") ;;
        esac
    done < <("${words[0]}" __complete "$cur" "${words[@]:1}" 2>/dev/null)
    [[ ${#reply[@]} -eq 1 && "${reply[0]}" == *= ]] && compopt -o nospace 2>/dev/null
    COMPREPLY=("${reply[@]}")
}
complete -F _netspec netspec
"""

ZSH = r"""#compdef netspec
# zsh completion for netspec: eval "$(netspec completion zsh)", or save as _netspec in your $fpath
_netspec() {
    local -a found plain ending
    local candidate
    found=("${(@f)$(${words[1]} __complete "$PREFIX" "${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
    for candidate in $found; do
        case $candidate in
            @files:?*) _files -g "*.${candidate#@files:}" ;;
            @files:)   _files ;;
            *=)        ending+=("$candidate") ;;
            ?*)        plain+=("$candidate") ;;
        esac
    done
    (( $#plain )) && compadd -a plain
    (( $#ending )) && compadd -S '' -a ending
    return 0
}
compdef _netspec netspec
"""

FISH = r"""# fish completion for netspec: netspec completion fish > ~/.config/fish/completions/netspec.fish
function __netspec_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    for candidate in ($words[1] __complete "$current" $words[2..-1] 2>/dev/null)
        switch $candidate
            case '@files:?*'
                # fish's own path completion, kept to directories and files of the extension
                set -l pattern '(?:/|\.'(string replace '@files:' '' -- $candidate)')(?:\t.*)?$'
                __fish_complete_path $current | string match -r -e -- $pattern
            case '@files:'
                __fish_complete_path $current
            case '*'
                echo $candidate
        end
    end
end
complete -c netspec -f -a '(__netspec_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


@command(argument("shell", f"{', '.join(SHELLS)}.", metavar="SHELL", type=one_of(*SHELLS), choices=SHELLS))
def completion(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish. Commands, options, their values, spec files,
    a spec's parameters after --set and explain's layer names complete with TAB.

    bash: add `eval "$(netspec completion bash)"` to ~/.bashrc
    zsh:  add `eval "$(netspec completion zsh)"` to ~/.zshrc (after compinit)
    fish: netspec completion fish > ~/.config/fish/completions/netspec.fish"""
    sys.stdout.write(SCRIPTS[shell])
