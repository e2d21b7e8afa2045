"""The typed evidence model shared by every engine, run kind and importer (see model.py)."""

from .model import EvidenceRun, MetricRow, Producer, Slice, Threshold

__all__ = ["EvidenceRun", "MetricRow", "Producer", "Slice", "Threshold", "load_evidence"]


def load_evidence(run) -> EvidenceRun:
    """A stored run's evidence: the typed document written with it, or its adapter's reading of older rows."""
    if getattr(run, "evidence", None):
        try:
            return EvidenceRun.model_validate(run.evidence)
        except ValueError:
            pass  # written by an older schema: read the results document again
    from .adapters import to_evidence

    return to_evidence(run)
