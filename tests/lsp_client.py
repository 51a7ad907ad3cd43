"""A real LSP client session with `netspec lsp` over stdio (pygls's client, a subprocess), for the tests."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

NETSPEC = str(Path(sys.executable).parent / "netspec")
TIMEOUT = 60


class Session:
    """`netspec lsp` started, initialised, and driven synchronously: each call waits for the server's answer."""

    def __init__(self, options: dict | None = None):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)  # pygls makes its futures on the current loop
        self.client = LanguageClient("netspec-tests", "1")
        self.published: dict[str, list[lsp.PublishDiagnosticsParams]] = {}
        self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: self._publish(params))
        self.run(self.client.start_io(NETSPEC, "lsp"))
        self.capabilities = self.run(
            self.client.initialize_async(
                lsp.InitializeParams(
                    capabilities=lsp.ClientCapabilities(), root_uri=Path.cwd().as_uri(), initialization_options=options
                )
            )
        ).capabilities
        self.client.initialized(lsp.InitializedParams())
        self.versions: dict[str, int] = {}

    def _publish(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.published.setdefault(params.uri, []).append(params)

    def run(self, coroutine):
        asyncio.set_event_loop(self.loop)  # another session's close() may have unset it (pygls uses the current loop)
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, TIMEOUT))

    def _next_diagnostics(self, uri: str, count: int) -> list[lsp.Diagnostic]:
        async def wait():
            while len(self.published.get(uri, [])) < count:
                await asyncio.sleep(0.002)

        self.run(wait())
        return list(self.published[uri][count - 1].diagnostics)

    def open(self, path: Path, text: str | None = None) -> tuple[str, list[lsp.Diagnostic]]:
        """Open a file (its text on disk unless given); its uri and the diagnostics published for it."""
        uri = path.resolve().as_uri()
        seen = len(self.published.get(uri, []))
        self.versions[uri] = 1
        item = lsp.TextDocumentItem(uri, "netspec", 1, text if text is not None else path.read_text())
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
        return uri, self._next_diagnostics(uri, seen + 1)

    def change(self, uri: str, text: str) -> list[lsp.Diagnostic]:
        """Replace the document's text; the diagnostics published for the new text."""
        seen = len(self.published.get(uri, []))
        self.versions[uri] += 1
        change = lsp.TextDocumentContentChangeWholeDocument(text)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(lsp.VersionedTextDocumentIdentifier(self.versions[uri], uri), [change])
        )
        return self._next_diagnostics(uri, seen + 1)

    def request(self, method: str, params):
        return self.run(self.client.protocol.send_request_async(method, params))

    def close(self) -> None:
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()
        asyncio.set_event_loop(None)


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri)


def position_of(text: str, needle: str, offset: int = 0, nth: int = 0) -> lsp.Position:
    """The 0-based position of the `nth` occurrence of `needle` in `text`, plus `offset` characters."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    return lsp.Position(line, at - (text.rfind("\n", 0, at) + 1))
