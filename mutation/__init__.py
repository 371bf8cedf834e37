"""Mutation testing of the pure modules, on demand: ``python -m mutation [module ...]``.

Not part of CI nor of pytest's default run. See ``mutation/README.md``.
"""
