"""The parse stage: .net text -> ast.Spec. The only package that imports lark."""

from netspec.parse.parser import decode, parse, parse_expr

__all__ = ["decode", "parse", "parse_expr"]
