"""Tianping's side of one benchmark step, in its own process (so peak RSS is its own).

    python bench_ours.py shap MODEL DATA N [auto|tree|kernel] -> SHAP with N background rows and N explained rows
    python bench_ours.py robustness MODEL DATA N              -> perturbations + boundary attack on N rows

Prints one JSON line: seconds for load+read+compute, and what was computed.
"""

from __future__ import annotations

import json
import sys
import time

FEATURES = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week", "workclass_code",
            "marital-status_code", "occupation_code", "relationship_code", "race_code", "sex_code"]


def main() -> None:
    step, model_path, data_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    explainer = sys.argv[5] if len(sys.argv) > 5 else "auto"
    t0 = time.perf_counter()
    from tianping.evaluation.tabular.data import read_all
    from tianping.evaluation.tabular.labels import encode
    from tianping.evaluation.tabular.models import load_model
    from tianping.evaluation.tabular.querier import Querier
    from tianping.evaluation.tabular.results import MetricSink
    from tianping.evaluation.tabular.spec import load_spec

    t_import = time.perf_counter() - t0
    model = load_model(model_path)
    df = read_all(data_path).iloc[: max(n, 1) if step == "robustness" else None]
    pred = model.predict(df[FEATURES])
    enc = encode(df["income"].to_numpy(), pred.labels, pred.proba, model_classes=model.classes, task_hint=None, target="income")
    q = Querier(model, df[FEATURES], enc, FEATURES)
    sink = MetricSink(load_spec(), "explain" if step == "shap" else "robustness")
    t1 = time.perf_counter()
    if step == "shap":
        from tianping.evaluation.tabular.explain import shap_values

        out = shap_values(sink, q, background=n, samples=n, seed=0, explainer=explainer)
        top = sorted(zip(out["mean_abs_shap"], out["features"]), reverse=True)[:3]
        info = {"explainer": out["explainer"], "explained_rows": out["explained_rows"], "background_rows": out["background_rows"],
                "max_evals": out.get("max_evals"), "feature_perturbation": out.get("feature_perturbation"),
                "output": out.get("output"), "top_features": [f for _, f in top]}
    else:
        from tianping.evaluation.tabular.robustness import run_robustness

        run_robustness(sink, q, categorical=[], attack=True)
        m = {x.name: x for x in sink.metrics}
        info = {"adversarial_accuracy": m["adversarial_accuracy"].value, "epsilon": m["adversarial_accuracy"].details["epsilon"],
                "attack_success_rate": m["attack_success_rate"].value, "median_minimal_perturbation": m["median_minimal_perturbation"].value,
                "model_queries": m["adversarial_accuracy"].details["model_queries"], "accuracy": float((enc.y == enc.pred).mean())}
    t2 = time.perf_counter()
    print(json.dumps({"step": step, "rows": len(df), "n": n, "import_s": round(t_import, 3), "compute_s": round(t2 - t1, 3),
                      "total_s": round(t2 - t0, 3), **info}))


if __name__ == "__main__":
    main()
