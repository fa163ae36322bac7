"""Signed update bundles (docs/architecture.md, Updates)."""
