"""Local fake providers speaking their documented formats (pytest-httpserver)."""
