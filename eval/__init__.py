"""Evaluation: gold question sets, metrics, and the `python -m eval` harness.

Layout: `goldset` reads the sets, `metrics` holds the pure scoring functions, `scoring` turns one
answered question into numbers and pools them, `harness` is the command line, `runner` runs a
system over a set, `report` prints and writes the results, and `baseline` is the plain
llama-index pipeline we compare with.
"""
