"""The whole-pipeline benchmark report: component benchmarks plus cross-cutting figures."""
