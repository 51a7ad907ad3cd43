"""The language server: pygls over stdio, each LSP request answered by netspec.lsp.features."""

from __future__ import annotations

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from netspec.lsp import features
from netspec.lsp.document import Document, analyse_text, path_of
from netspec.lsp.symbols import Index

server = LanguageServer("netspec", "0.1.0")
_docs: dict[str, tuple[Document, Index | None]] = {}


_indexes: dict[str, Index | None] = {}  # built on the first request that needs names, not on every change


def _refresh(uri: str) -> None:
    """Analyse the document's current text and publish its diagnostics."""
    text = server.workspace.get_text_document(uri).source
    previous = _docs.get(uri, (None, None))[0]
    doc = analyse_text(text, path_of(uri), previous)
    _indexes.pop(uri, None)
    index = _index(uri, doc) if features.needs_index(doc) else None
    _docs[uri] = (doc, index)
    server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, features.diagnostics(doc, index)))


def _index(uri: str, doc: Document) -> Index | None:
    if uri not in _indexes:
        try:
            _indexes[uri] = Index(doc.spec, doc.text) if doc.spec is not None else None
        except Exception:  # noqa: BLE001 - a name index that fails must not cost the user diagnostics
            _indexes[uri] = None
    return _indexes[uri]


def _get(uri: str) -> tuple[Document, Index | None]:
    if uri not in _docs:
        _refresh(uri)
    doc = _docs[uri][0]
    return doc, _index(uri, doc)


def _at(position: lsp.Position) -> tuple[int, int]:
    return position.line + 1, position.character + 1


_options = {"cost": False}  # initializationOptions {"inlayHints": {"cost": true}}: params and MACs in the hints


@server.feature(lsp.INITIALIZE)
def initialize(params: lsp.InitializeParams) -> None:
    hints = (
        (params.initialization_options or {}).get("inlayHints", {})
        if isinstance(params.initialization_options, dict)
        else {}
    )
    _options["cost"] = bool(hints.get("cost", False))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    _refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    _refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    _refresh(params.text_document.uri)  # an imported library may have changed


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    _docs.pop(params.text_document.uri, None)


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
def inlay_hint(params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    doc, _ = _get(params.text_document.uri)
    return features.inlay_hints(doc, params.range.start.line, params.range.end.line, _options["cost"])


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    doc, index = _get(params.text_document.uri)
    return features.hover(doc, index, *_at(params.position))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(params: lsp.DefinitionParams) -> lsp.Location | None:
    _, index = _get(params.text_document.uri)
    return features.definition(index, *_at(params.position)) if index else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(params: lsp.ReferenceParams) -> list[lsp.Location]:
    _, index = _get(params.text_document.uri)
    return features.references(index, *_at(params.position)) if index else []


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    _, index = _get(params.text_document.uri)
    return features.rename(index, *_at(params.position), params.new_name) if index else None


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbol(params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    _, index = _get(params.text_document.uri)
    return features.symbols(index) if index else []


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["(", ",", " "]))
def completion(params: lsp.CompletionParams) -> lsp.CompletionList:
    doc, index = _get(params.text_document.uri)
    return lsp.CompletionList(False, features.completion(doc, index, *_at(params.position)))


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    """The whole file through `netspec fmt`; nothing while it has a syntax error."""
    from netspec.diagnostics import NetspecError
    from netspec.format import format_text

    text = server.workspace.get_text_document(params.text_document.uri).source
    try:
        out = format_text(text, path_of(params.text_document.uri))
    except NetspecError:
        return None
    if out == text:
        return []
    end = lsp.Position(len(text.splitlines()) + 1, 0)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), out)]


def serve() -> None:
    """Answer LSP requests on stdin/stdout until the client says exit."""
    server.start_io()
