"""The main job: register → classify → plan → test → assess → signed report, on bundled defaults.

Two sample systems walk the whole pipeline:
- `eu-credit-scoring` (a classic classifier): a credit model is trained on synthetic applicant
  data generated here from a seed (no third-party data), then the tabular tests run on it;
- `customer-service-chatbot` (generative, EU + CN + ASEAN): a stratified subset of the TC260-003
  banks runs against the bundled local model (SmolLM2-135M-Instruct).
Each system is then assessed and a signed report bundle (HTML/PDF zh+en, JSON, OSCAL) is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import data_home
from .registry.service import RegistryService, load_profile_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "systems"
TABULAR_SYSTEM = "eu-credit-scoring"
GENAI_SYSTEM = "customer-service-chatbot"


@dataclass
class JobResult:
    registered: list[str] = field(default_factory=list)
    runs: dict[str, str] = field(default_factory=dict)  # system -> run id
    bundles: dict[str, str] = field(default_factory=dict)  # system -> bundle path
    totals: dict[str, dict[str, int]] = field(default_factory=dict)


def synthetic_credit_data(n: int = 4000, seed: int = 7):
    """Applicants with a mild, deliberate disparity between groups, so fairness tests have something to find."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    age = rng.integers(18, 75, size=n)
    income = rng.lognormal(mean=10.4, sigma=0.45, size=n) * np.where(sex == "male", 1.08, 1.0)
    debt_ratio = np.clip(rng.normal(0.35, 0.15, size=n), 0, 1.5)
    years_employed = np.clip(rng.normal(8, 6, size=n), 0, 45)
    logit = -6.0 + 0.55 * np.log(income) - 3.2 * debt_ratio + 0.05 * years_employed + 0.01 * (age - 40)
    default = (rng.random(n) > 1 / (1 + np.exp(-logit))).astype(int)  # 1 = repays (favourable)
    return pd.DataFrame(
        {
            "age": age,
            "income": income.round(2),
            "debt_ratio": debt_ratio.round(4),
            "years_employed": years_employed.round(1),
            "sex": sex,
            "repaid": 1 - default,
        }
    )


def _train(df):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    features = ["age", "income", "debt_ratio", "years_employed"]
    model = make_pipeline(
        FunctionTransformer(lambda x: np.column_stack([x[:, 0], np.log(np.clip(x[:, 1], 1.0, None)), x[:, 2], x[:, 3]])),
        StandardScaler(),
        LogisticRegression(max_iter=500),
    )
    model.fit(df[features].to_numpy(dtype=float), df["repaid"].to_numpy())

    class Model:
        """An estimator that takes the data frame's feature columns, as the tabular engine passes them."""

        classes_ = model.classes_

        def predict(self, frame):
            return model.predict(frame[features].to_numpy(dtype=float))

        def predict_proba(self, frame):
            return model.predict_proba(frame[features].to_numpy(dtype=float))

    return Model(), features


def run_main_job(
    db, *, genai_limit: int = 16, max_tokens: int = 64, pdf: bool = True, say: Callable[[str], None] = lambda msg: None
) -> JobResult:
    from .assessment.assess import assess
    from .assessment.checklists import stored_answers
    from .crypto import load_or_init_keys
    from .reporting.build import build_bundle
    from .store.models import RunRow

    out = JobResult()
    reg = RegistryService(db)
    for path in sorted(EXAMPLES.glob("*.yaml")):
        reg.register(load_profile_file(path))
        out.registered.append(path.stem)
    say(f"registered {len(out.registered)} systems")

    # tabular test of the credit model
    from .evaluation.tabular.persist import save_run
    from .evaluation.tabular.runner import TabularConfig, run_tabular

    work = data_home() / "demo"
    work.mkdir(parents=True, exist_ok=True)
    df = synthetic_credit_data()
    data_path = work / "credit-test.csv"
    df.iloc[len(df) // 2 :].to_csv(data_path, index=False)
    model, features = _train(df.iloc[: len(df) // 2])
    cfg = TabularConfig(
        data=str(data_path),
        target="repaid",
        sensitive=["sex"],
        features=features,
        tests=["fairness", "performance", "robustness", "quality"],
        bootstrap=100,
        robustness_rows=400,
        attack_iterations=4,
    )
    say("tabular tests: fairness, performance, robustness, data quality")
    result = run_tabular(cfg, model=model)
    out.runs[TABULAR_SYSTEM] = save_run(db, result, system_id=TABULAR_SYSTEM)

    # generative test of the chatbot with the bundled local model
    from .evaluation.genai.schema import GenParams
    from .evaluation.genai.service import RunConfig, create_run, execute

    say(f"generative tests: {genai_limit} TC260-003 samples against the local SmolLM2-135M model")
    gcfg = RunConfig(
        target="local",
        suite="tc260",
        langs=["zh", "en"],
        limit=genai_limit,
        system_id=GENAI_SYSTEM,
        params=GenParams(max_tokens=max_tokens),
        batch_size=8,
        concurrency=1,
    )
    run_id, samples = create_run(db, gcfg)
    execute(db, run_id, samples)
    out.runs[GENAI_SYSTEM] = run_id

    key = load_or_init_keys()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for system_id, run_id in out.runs.items():
        system = reg.get(system_id)
        with db.session() as s:
            run = s.get(RunRow, run_id)
            s.expunge(run)
        a = assess(system, runs=[run], answers=stored_answers(db, system_id))
        bundle = build_bundle(db, a, data_home() / "reports" / f"{system_id}-{stamp}", key, pdf=pdf)
        out.bundles[system_id] = str(bundle)
        out.totals[system_id] = a["totals"]
        say(f"signed report for {system_id}: {bundle}")
    return out
