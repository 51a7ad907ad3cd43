"""The language server (`netspec lsp`): an open .net file -> diagnostics, shapes, hovers, names, over LSP."""
