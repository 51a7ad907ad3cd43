"""Backends: what a checked network is emitted as. Each backend imports its own heavy dependency, never another."""
