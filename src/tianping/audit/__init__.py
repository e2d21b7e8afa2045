"""The hash-chained audit trail: every registration, change, run, assessment, approval and export."""

from .log import AuditLog, append_event, canonical_json

__all__ = ["AuditLog", "append_event", "canonical_json"]
