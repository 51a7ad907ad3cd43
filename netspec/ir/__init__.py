"""The intermediate representation: elaborated networks as a DAG of nodes in a tree of scopes."""

from netspec.ir.graph import Expectation, Graph, Node, Scope

__all__ = ["Expectation", "Graph", "Node", "Scope"]
