"""Technical tests for classic ML models on tabular data (issue 4).

Fairness, robustness, explainability, performance and data quality, each metric tagged with the
catalog provisions it evidences and judged against thresholds from `metrics.yaml`. The entry
point is `run_tabular(TabularConfig(...))`; `tianping test tabular` is the CLI door to it.
"""

from .models import CallableModel, ModelAdapter, Prediction, load_model
from .results import Metric, TabularResult
from .runner import TabularConfig, run_tabular

__all__ = ["CallableModel", "Metric", "ModelAdapter", "Prediction", "TabularConfig", "TabularResult", "load_model", "run_tabular"]
