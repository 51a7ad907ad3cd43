"""Report -> architecture diagram (dot source, SVG, PNG, PDF), folded by the spec's own groups and blocks.

The only module that imports graphviz (lazily, inside functions): `import netspec` stays light.
"""

from netspec.backends.diagram.dot import RANKDIRS, to_dot
from netspec.backends.diagram.render import Diagram, render, svg
from netspec.backends.diagram.view import DEFAULT, FULL, check_depth

__all__ = ["DEFAULT", "FULL", "RANKDIRS", "Diagram", "check_depth", "render", "svg", "to_dot"]
