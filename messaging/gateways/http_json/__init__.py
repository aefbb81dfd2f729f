"""Generic JSON-over-HTTP SMS route, described by its settings."""
