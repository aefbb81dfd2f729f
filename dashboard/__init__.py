"""The home page: what a marketer checks first, drawn from every app below it."""
