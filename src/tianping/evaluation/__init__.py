"""Evaluation engines: test runners, scorers and metrics that turn a model into evidence."""
