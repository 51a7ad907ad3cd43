"""The intermediate representation: elaborated networks as a DAG of nodes in a tree of scopes."""

from netspec.ir.graph import Graph, Node, Scope

__all__ = ["Graph", "Node", "Scope"]
