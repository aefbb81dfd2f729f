"""The simulator: a route that really takes messages and later reports on them."""
