"""Inkwell benchmarks: ``python -m bench.<name> --backend postgres|sqlite`` (see BENCHMARKS.md)."""
