"""`netspec sizes`: the legal input heights and widths of a spec, and where and why the others fail; no torch."""

from __future__ import annotations

import json
from pathlib import Path

from netspec.cli.app import (
    InputOption,
    JsonOption,
    SetOption,
    SpecArgument,
    command,
    fail,
    option,
    parse_input,
    parse_sets,
    spec_name,
    spec_source,
    whole,
)
from netspec.diagnostics import NetspecError

LIMIT = option(
    "limit",
    "--max",
    metavar="MAX",
    type=whole(1, 1_000_000),
    default=4096,
    help="Check input sizes 1..MAX in each dimension.",
)


@command(SpecArgument, LIMIT, SetOption, InputOption, JsonOption)
def sizes(file: Path, limit: int, set: list[str] | None, input: str | None, json_: bool) -> None:
    """The input heights and widths at which the network runs (the other one kept as declared), described
    compactly, and for every rejected size the layer that rejects it and why."""
    from netspec.api import sizes as legal_sizes

    try:
        found = legal_sizes(spec_source(file), limit=limit, input=parse_input(input), **parse_sets(set))
    except NetspecError as e:
        fail(e)
    except ValueError as e:  # an input without height and width
        fail(_no_image(file, str(e)))
    data = found.to_dict()
    print(json.dumps(data, indent=2) if json_ else text(data))


def text(data: dict) -> str:
    """The human-readable form of Sizes.to_dict()."""
    c, h, w = data["input"]
    lines = [
        f"{data['network']} ({data['file']}): input [{c}, H, W] declared [{c}, {h}, {w}]; "
        f"sizes 1..{data['limit']:,} checked"
    ]
    for dim in ("height", "width"):
        lines += _dim(dim, data[dim], data["limit"])
    coupled = data["coupled"]
    if coupled is not None:
        at = coupled["at"]
        flat = coupled["flatten_at"]
        lines.append(
            f"height and width are coupled: {coupled['layer']} ({at['file']}:{at['line']}) needs "
            f"H' * W' = {coupled['area']:,} at the flatten ({flat['file']}:{flat['line']}); the lines "
            "above keep the other dim as declared, netspec.sizes(...).legal(h, w) answers any pair"
        )
    return "\n".join(lines)


def _dim(dim: str, d: dict, limit: int) -> list[str]:
    other, value = next(iter(d["fixed"].items()))
    lines = [f"{dim} ({other} {value}): {d['text']}  [{d['count']:,} of {limit:,} legal]"]
    if d["rejected"]:
        lines.append("  rejected:")
    width = min(24, max((len(r["text"]) for r in d["rejected"]), default=0))
    for r in d["rejected"]:
        at = r["at"]
        lines.append(
            f"    {r['text'] + ':':<{width + 1}}  {r['layer']} ({at['file']}:{at['line']}:{at['col']}) "
            f"{r['message']} (at {dim[0].upper()} = {r['example']} {r['detail']})"
        )
    return lines


def _no_image(file: Path, message: str) -> NetspecError:
    from netspec.diagnostics import Diagnostics

    diags = Diagnostics()
    diags.error(f"{spec_name(file)}: {message}", None, help="`netspec sizes` needs an input [C, H, W]")
    return NetspecError(diags.items)
