"""`netspec zoo`: the models of specs/index.toml with their spec, parameters, params and MACs; no torch import."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from netspec.cli.app import Exit, JsonOption, argument, colour, command, fail
from netspec.diagnostics import NetspecError

COLUMNS = ("model", "spec", "set", "params", "MACs")


INDEX = argument(
    "index", "The index file (default: specs/index.toml).", metavar="INDEX", type=Path, optional=True, complete="file"
)


@command(INDEX, JsonOption)
def zoo(index: Path | None, json_: bool) -> None:
    """List the zoo: every model of the index, the spec and parameters that build it, its params and MACs."""
    from netspec.zoo import default_index, read_index

    path = index or default_index()
    try:
        entries = read_index(path)
    except NetspecError as e:
        fail(e)
    rows, failed = [_row(entry, path.parent) for entry in entries], False
    for row in rows:
        if row["error"] is not None:
            failed = True
            print(row["error"].render(colour()), file=sys.stderr)
    good = [{k: v for k, v in row.items() if k != "error"} for row in rows if row["error"] is None]
    print(json.dumps({"ok": not failed, "index": str(path), "models": good}, indent=2) if json_ else _table(good))
    if failed:
        raise Exit(1)


def _row(entry, root: Path) -> dict:
    from netspec.api import analyse

    row = {
        "name": entry.name,
        "spec": entry.spec.relative_to(root).as_posix(),
        "set": entry.params,
        "set_text": entry.set_text,
        "params": None,
        "macs": None,
        "error": None,
    }
    try:
        totals = analyse(entry.spec, **entry.params).totals
    except NetspecError as e:
        row["error"] = e
        return row
    row["params"], row["macs"] = totals.params, totals.macs
    return row


def _table(rows: list[dict]) -> str:
    cells = [COLUMNS] + [(r["name"], r["spec"], r["set_text"], f"{r['params']:,}", f"{r['macs']:,}") for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    right = {3, 4}
    lines = [
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return (
        "\n".join(lines)
        + f"\n\n{len(rows)} models; MACs count conv, transposed conv and linear layers (FLOPs = 2 x MACs)"
    )
