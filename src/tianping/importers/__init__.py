"""Evidence from the tools people already use: Inspect, lm-eval, garak, promptfoo, PyRIT, AI Verify.

Each format has one module that reads the tool's own result file into a `Parsed` record (tool and
version, task, model, metrics, per-sample records); `service.import_file` maps the metrics to
Tianping test ids and catalog provisions through the map (map.yaml + a user's `--map FILE`),
builds one `EvidenceRun(kind="imported")` and stores it with an audit event in one transaction.

Importers are found through one registry: built-ins register with `@importer(...)`, outside
packages through the Python entry-point group `tianping.importers` (an object with `name`,
`tool`, `sniff(probe) -> int` and `parse(path, probe) -> Parsed`). The format is detected from the
file's content (`detect`), never from its name.
"""

from __future__ import annotations

from .base import Importer, Parsed, Probe, RawMetric, detect, get_importer, importer, importers

__all__ = ["Importer", "Parsed", "Probe", "RawMetric", "detect", "get_importer", "importer", "importers"]
