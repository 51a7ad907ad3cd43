"""A value of the spec language -> its text as a spec writes it: `true`, `[false, true]`, `"tiny"`, `1e-6`.

The one place a value is shown to a person as spec text: the IR's text form, the compiled file's header and
network docstring, block labels (`ResNetTrunk(depth=50, dilate=[false, true, true])`), diagnostics, the
language server's hovers and `--set` lines. Generated Python writes Python literals instead (`True`), in
backends/torch/namespace.py.
"""

from __future__ import annotations

import re
from typing import Any

_EXPONENT = re.compile(r"e([-+]?)0*(\d)")


def spec_text(value: Any) -> str:
    """`value` as spec text; a tensor reference as it was written (`@down3`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return f'"{value}"'  # a spec string holds no `"` and no escapes (grammars/netspec.lark)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(spec_text(v) for v in value) + "]"
    return str(value)  # an int; a reference (`@down3`) or a table as they write themselves


def default_text(value: Any) -> str:
    """An argument's default as the language server and docs/language.md show it: a pair of equal numbers as
    the one number a spec writes (`stride=1`), `none` where the default is that the argument is absent."""
    if isinstance(value, tuple) and value and len(set(value)) == 1:
        return spec_text(value[0])
    return "none" if value is None else spec_text(value)


def _float(value: float) -> str:
    """The shortest text that reads back as the same float, with the exponent as specs write it (`1e-6`)."""
    text = repr(value)
    return _EXPONENT.sub(lambda m: f"e{m[1].replace('+', '')}{m[2]}", text)
