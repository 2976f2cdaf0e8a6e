"""Calibrated certainty: Platt scaling fitted on held-out rows, and its reliability table."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from annotate.loop import calibration


def test_an_overconfident_model_is_brought_down_to_what_it_gets_right() -> None:
    rng = np.random.default_rng(1)
    claimed = rng.uniform(0.5, 1.0, 4000)
    right = rng.uniform(0, 1, 4000) < 0.5 + (claimed - 0.5) * 0.4  # says 0.95, right about 68% of the time
    found = calibration.fit(claimed, right)
    assert found is not None and found.rows == 4000
    raw = calibration.reliability(claimed, right)
    fixed = calibration.reliability(found(claimed), right)
    gap = lambda table: sum(abs(b["predicted"] - b["observed"]) * b["rows"] for b in table) / 4000  # noqa: E731
    assert gap(raw) > 0.1 and gap(fixed) < 0.03
    assert sum(b["rows"] for b in fixed) == 4000 and all(b["from"] < b["to"] for b in fixed)


def test_too_few_or_one_sided_rows_calibrate_nothing() -> None:
    assert calibration.fit(np.full(49, 0.8), np.arange(49) % 2 == 0) is None
    assert calibration.fit(np.full(100, 0.8), np.ones(100, bool)) is None


def test_train_calibrates_on_the_dev_split_and_reports_reliability_on_test(tmp_path: Path) -> None:
    from annotate.loop.train import load_model, train

    worthy = ["Prices rose {n} percent in {m}, data showed.", "Crime doubled to {n} cases since {m}."]
    other = ["Thank you all for coming tonight number {n}.", "We will keep fighting for families in {m}."]
    rows = []
    for i in range(400):
        label = "claim_checkworthy" if i % 2 else "no_claim"
        # Each split holds both wordings of each kind (a model is not judged on wordings it never saw).
        text = (worthy if i % 2 else other)[i // 4 % 2].format(n=i, m=["May", "June"][i % 3 % 2])
        if i % 7 == 0:  # some noise, so that the model is not always right
            label = "no_claim" if label == "claim_checkworthy" else "claim_checkworthy"
        rows.append({"sentence_id": f"s{i}", "text": text, "gold_claim_status": label,
                     "split": ("train", "train", "dev", "test")[i % 4]})  # fmt: skip
    (tmp_path / "ds").mkdir()
    pd.DataFrame(rows).to_parquet(tmp_path / "ds" / "sentences.parquet", index=False)
    meta = train(tmp_path / "ds", tmp_path / "m", seed=3)
    assert meta["calibration"]["rows"] == 100 and meta["reliability"]
    assert sum(b["rows"] for b in meta["reliability"]) == 100
    model = load_model(tmp_path / "m")
    ((_, certainty),) = model.predict(["Prices rose 9 percent in May, data showed."])
    # About 1 in 7 labels is flipped: the calibrated certainty says so, the raw probability did not.
    assert 0.7 < certainty < 0.95
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert f"# {meta['model_id']}" in card and "calibrated by Platt scaling on 100 dev sentences" in card
    assert "| certainty | sentences | mean certainty | share right |" in card and "## Do not use it for" in card
    assert (tmp_path / "m" / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_min_confidence_prefills_a_choice_only_from_that_certainty(tmp_path: Path, trained_model: Path) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app
    from annotate.loop.prelabel import model_predictor
    from annotate.loop.train import load_model

    shutil.copytree(trained_model, tmp_path / "m")
    texts = ["Prices rose 9 percent in May, the minister said.", "We will keep fighting for families, the mayor said."]
    certainty = [p for _, p in load_model(tmp_path / "m").predict(texts)]
    model_id = load_model(tmp_path / "m").model_id
    assert model_predictor(tmp_path / "m")[1] == model_id
    for floor, choices in ((min(certainty), 1), (max(certainty) + 0.0001, 0)):
        predict, version = model_predictor(tmp_path / "m", min_confidence=floor)
        assert version == f"{model_id}-min{floor:g}"
        for (result, score), p in zip(predict(texts), certainty, strict=True):
            statuses = [r for r in result if r.get("from_name") == "claim_status"]
            assert score == p and len(statuses) == choices and len(result) > choices  # the spans stay
    runner = CliRunner()
    outside = runner.invoke(app, ["prelabel", "--project", "claims", "--model", str(tmp_path / "m"),
                                  "--min-confidence", "1.5"])  # fmt: skip
    assert outside.exit_code == 2
    without_model = runner.invoke(app, ["prelabel", "--project", "claims", "--min-confidence", "0.5"])
    assert without_model.exit_code == 2 and "--model" in without_model.stderr


def test_a_model_trained_on_other_labels_is_refused_before_any_request(tmp_path: Path, trained_model: Path) -> None:
    import json

    from annotate.errors import InputError
    from annotate.labelstudio.api.projects import load_project
    from annotate.loop.prelabel import predictor_for
    from annotate.resources import shipped_projects_dir

    shutil.copytree(trained_model, tmp_path / "m")  # changed below
    claims = load_project("claims", projects_dir=shipped_projects_dir())
    predictor_for(tmp_path / "m", spec=claims)  # its own labels: accepted
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta | {"labels": [*meta["labels"], "rumour"]}))
    with pytest.raises(InputError, match="predicts rumour, which project 'claims' does not offer"):
        predictor_for(tmp_path / "m", spec=claims)
    with pytest.raises(InputError, match="no claim_status choice"):
        predictor_for(tmp_path / "m", spec=load_project("verification", projects_dir=shipped_projects_dir()))
