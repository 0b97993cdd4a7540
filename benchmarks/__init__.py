"""`make bench`: the engine against the alternatives a user would pick, side by side (BENCHMARKS.md)."""
