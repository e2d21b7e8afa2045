"""Generative-AI testing engine: targets, banks, attacks, scorers, metrics and resumable runs.

The shape follows Inspect: suites, attacks, scorers and targets are small functions registered
by decorator (`registry.py`), and every run leaves a typed, re-readable log (a `runs` row, one
`genai_samples` row per sample and a JSONL file) so results can be re-read and re-scored.
Test banks are versioned data files under `banks/`; thresholds (the TC260-003 gates) are data
too (`banks/gates.yaml`). See docs/genai-tests.md for the results schema.
"""

from .schema import BankItem, GenParams, Sample, SampleRecord

__all__ = ["BankItem", "GenParams", "Sample", "SampleRecord"]
