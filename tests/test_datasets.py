"""Datasets from exports where three annotators disagree: tables, gold, splits and formats, exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.dataset.build import build_dataset
from annotate.dataset.collect import collect, pseudonym
from annotate.dataset.gold import golds
from annotate.dataset.splits import SplitPlan, assign_splits

from .builders import TEXTS, export
from .builders import span as _span
from .conftest import views, write_export


def test_gold_rules() -> None:
    collection = collect([views(export())])
    gold = {sid: g[:2] for sid, g in golds(collection).items()}
    assert gold == {
        "a1-0": ("claim_checkworthy", "majority"),
        "a1-55": (None, "tie"),
        "a2-0": ("claim_checkworthy", "ground_truth"),
        "a3-0": ("claim_checkworthy", "single"),
    }
    assert collection.replaced == [f"sentence a3-0: annotation 41 by {pseudonym('cai@x.org')} replaced by 42"]


def test_tables_and_formats(tmp_path: Path) -> None:
    report = build_dataset(collect([views(export())]), tmp_path, plan=SplitPlan((0.34, 0.33, 0.33), seed=1))
    assert report["rows"] == {"annotations": 15, "sentences": 4, "claims": 1, "sources": 1, "relations": 2}

    sentences = pd.read_parquet(tmp_path / "sentences.parquet").set_index("sentence_id")
    assert sentences.loc["a1-0", "claim_status_distribution"] == '{"claim_checkworthy": 2, "claim_not_checkworthy": 1}'
    assert sentences.loc["a1-0", "n_annotators"] == 3
    assert round(sentences.loc["a1-0", "agreement"], 3) == 0.667
    assert bool(sentences.loc["a1-55", "tie"]) and pd.isna(sentences.loc["a1-55", "gold_claim_status"])
    splits = json.loads((tmp_path / "splits.json").read_text())["articles"]
    assert set(splits) == {"a1", "a2", "a3"}
    assert {sentences.loc[s, "split"] for s in ("a1-0", "a1-55")} == {splits["a1"]}  # an article stays together

    (claim,) = pd.read_parquet(tmp_path / "claims.parquet").to_dict("records")
    assert (claim["text"], claim["source_text"], claim["source_type"], claim["cue_text"]) == (
        "Unemployment fell by 3% last year", "the minister", "named_person", "said",
    )  # fmt: skip
    assert (claim["start"], claim["article_start"], json.loads(claim["claim_types"])) == (0, 0, ["quantity", "quote"])
    relations = pd.read_parquet(tmp_path / "relations.parquet")
    assert set(zip(relations.relation, relations.from_region, relations.to_region, strict=True)) == {
        ("attributed_to", "c", "s"),
        ("cue_of", "q", "c"),
    }
    annotators = set(pd.read_parquet(tmp_path / "annotations.parquet").annotator)
    assert annotators == {pseudonym(e) for e in ("ann@x.org", "bea@x.org", "cai@x.org")}

    checkthat = "".join((tmp_path / "formats" / f"checkthat_{s}.tsv").read_text().split("\n", 1)[1] for s in
                        ("train", "dev", "test"))  # fmt: skip
    assert sorted(checkthat.splitlines()) == [  # quoted as CheckThat! quotes a text with a comma
        'a1-0\t"Unemployment fell by 3% last year, the minister said."\tYes',
        'a2-0\t"Prices will rise, according to the central bank."\tYes',
        "a3-0\tThe mayor said the bridge cost $2 million.\tYes",
    ]
    claimbuster = pd.read_csv(tmp_path / "formats" / "claimbuster.csv")
    assert list(claimbuster.columns) == ["Sentence_id", "Text", "Verdict", "split"]
    assert set(claimbuster.Verdict) == {1}
    spans = {json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "formats" / "spans.jsonl").open()}
    assert spans["a1-0"]["spans"] == [
        {"start": 0, "end": 33, "label": "CLAIM"},
        {"start": 35, "end": 47, "label": "SOURCE"},
        {"start": 48, "end": 52, "label": "CUE"},
    ]


def test_splits_keep_old_assignments_and_group_by_article() -> None:
    plan = SplitPlan((0.8, 0.1, 0.1), seed=7)
    first = assign_splits({f"art{i}": "claim_checkworthy" if i % 2 else "no_claim" for i in range(50)}, plan, {})
    assert [list(first.values()).count(s) for s in ("train", "dev", "test")] == [40, 5, 5]
    more = {f"art{i}": "no_claim" for i in range(80)}
    second = assign_splits(more, plan, first)
    assert all(second[a] == s for a, s in first.items())
    assert assign_splits(more, plan, first) == second  # seeded: the same on every run


def test_combine_cli_pseudonymises_and_keeps_identity_on_request(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.json", export(), "claims")
    runner = CliRunner()
    hidden = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "hidden"), "--table-format", "parquet"])
    assert hidden.exit_code == 0, hidden.stderr
    assert not list((tmp_path / "hidden").glob("*.csv"))
    kept = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "kept"), "--keep-annotator-identity"])
    assert kept.exit_code == 0, kept.stderr
    assert set(pd.read_csv(tmp_path / "kept" / "annotations.csv").annotator) == {"ann@x.org", "bea@x.org", "cai@x.org"}
    assert "annotation 41 by cai@x.org replaced by 42" in kept.stderr
    bad = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "x"), "--split", "90/20/10"])
    assert bad.exit_code == 2
    # The card's loading example names the dataset folder, not the folder it was built in.
    assert f"ds = load_dataset({str(tmp_path / 'kept')!r})" in (tmp_path / "kept" / "README.md").read_text()


def test_agreement_matches_the_libraries_own_computation() -> None:
    import krippendorff
    import numpy as np

    from annotate.dataset.agreement import claim_status_agreement, span_agreement
    from annotate.dataset.votes import votes_of

    collection = collect([views(export())], keep_identity=True)
    report = claim_status_agreement(votes_of(collection))
    # Rows ann, bea, cai; columns a1-0, a1-55, a2-0, a3-0; codes in sorted label order:
    # claim_checkworthy 0, claim_not_checkworthy 1, no_claim 2.
    nan = np.nan
    matrix = np.array([[0, 2, 1, nan], [0, 1, 1, nan], [1, nan, 0, 0]])
    assert report["krippendorff_alpha"] == round(
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"), 4
    )
    assert report["fleiss_kappa"]["raters"] == 3 and report["fleiss_kappa"]["items"] == 2
    assert report["cohen_kappa_pairs"]["ann@x.org / bea@x.org"] == {"items": 3, "cohen_kappa": 0.5}

    # A second annotator marks the same CLAIM exactly and a SOURCE that only overlaps.
    data = export()
    t = TEXTS["a1-0"]
    data[0]["annotations"][1]["result"] += [_span("c2", t, "Unemployment fell by 3% last year", "CLAIM"),
                                            _span("s2", t, "minister", "SOURCE")]  # fmt: skip
    both = votes_of(collect([views(data)]))
    assert span_agreement(both, "CLAIM")["exact_f1"] == 0.5  # ann-bea match; cai marked none
    assert (span_agreement(both, "SOURCE")["exact_f1"], span_agreement(both, "SOURCE")["overlap_f1"]) == (0.0, 0.5)


def test_dataset_card_plots_and_hugging_face_layout(tmp_path: Path) -> None:
    build_dataset(collect([views(export())]), tmp_path, plan=SplitPlan((1.0, 0.0, 0.0), seed=1))
    card = (tmp_path / "README.md").read_text()
    assert card.startswith("---\nconfigs:\n")
    assert (
        "        names:\n          '0': no_claim\n          '1': claim_not_checkworthy\n          '2': claim_checkworthy"
        in card
    )
    assert "Krippendorff's alpha (claim_status, nominal): -0.1053" in card
    for plot in ("label_distribution.png", "agreement_per_label.png"):
        assert (tmp_path / plot).read_bytes().startswith(b"\x89PNG")
    train = pd.read_parquet(tmp_path / "hf" / "train.parquet")
    assert list(train.columns) == ["sentence_id", "article_id", "text", "label"]
    assert sorted(train.sentence_id) == ["a1-0", "a2-0", "a3-0"] and set(train.label) == {2}


def test_every_table_matches_its_json_schema(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    from .conftest import ROOT

    build_dataset(collect([views(export())]), tmp_path)
    for name in ("annotations", "sentences", "claims", "sources", "relations"):
        schema = json.loads((ROOT / "schemas" / "tables" / f"{name}.schema.json").read_text())
        table = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert list(table.columns) == list(schema["properties"]), name
        rows = json.loads(table.to_json(orient="records"))
        assert rows, name
        errors = [e.message for row in rows for e in Draft202012Validator(schema).iter_errors(row)]
        assert errors == [], (name, errors[:3])


def test_claim_types_agreement_uses_the_libraries() -> None:
    import numpy as np
    from statsmodels.stats.inter_rater import fleiss_kappa

    from annotate.dataset.agreement import claim_types_agreement
    from annotate.dataset.votes import votes_of

    report = claim_types_agreement(votes_of(collect([views(export())], keep_identity=True)))
    assert sorted(report) == ["quantity", "quote"]
    # a1-0: ann chose quantity, bea and cai did not; a2-0: nobody did (three raters each; False, True).
    expected = round(fleiss_kappa(np.array([[2, 1], [3, 0]])), 4)
    assert report["quantity"]["fleiss_kappa"] == {"raters": 3, "items": 2, "kappa": expected}
    assert report["quantity"]["cohen_kappa_pairs"]["ann@x.org / bea@x.org"]["items"] == 2


def test_ties_are_not_silent_and_the_card_counts_add_up(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.json", export(), project="claims")
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d"), "--split", "100/0/0"])
    assert result.exit_code == 0, result.output
    tie_line = (
        "1 sentence(s) have no gold because their annotators disagree (a tie): `annotate adjudicate "
        "--project claims` sends them to review; export `claims-adjudication` and combine again with it."
    )
    assert tie_line in result.output  # the summary on stderr
    card = (tmp_path / "d" / "README.md").read_text()
    assert tie_line in card
    assert (
        "3 articles, 4 sentences: 3 with a gold claim_status, 1 ties, 0 not annotated (3 + 1 + 0 = 4 sentences)."
        in card
    )
    assert "| (none: tie) | 1 |" in card and "| **total** | 4 |" in card
    # per split: articles, sentences, and the rows its CheckThat! file holds
    assert "| train | 3 | 4 | 3 |" in card
    rows = len((tmp_path / "d" / "formats" / "checkthat_train.tsv").read_text().splitlines()) - 1
    assert rows == 3
    assert "| annotations | 15 | answers (annotator x sentence x answer) |" in card


def test_combine_table_format_and_its_old_name(tmp_path: Path) -> None:
    """--table-format chooses the tables; --format, its old name, still works with a deprecation line."""
    from .conftest import ROOT

    export = ROOT / "tests" / "data" / "claims_export_valid.json"
    new = CliRunner().invoke(app, ["combine", str(export), "-o", str(tmp_path / "a"), "--table-format", "jsonl",
                                   "--project", "claims"])  # fmt: skip
    old = CliRunner().invoke(app, ["combine", str(export), "-o", str(tmp_path / "b"), "--format", "jsonl",
                                   "--project", "claims"])  # fmt: skip
    assert new.exit_code == 0 and old.exit_code == 0, new.stderr + old.stderr
    assert "deprecated" in old.stderr and "--table-format" in old.stderr and "deprecated" not in new.stderr
    tables = [sorted(p.name for p in (tmp_path / d).glob("*.jsonl")) for d in ("a", "b")]
    assert tables[0] == tables[1] and tables[0]
    assert not list((tmp_path / "a").glob("*.parquet"))


def test_the_sentences_table_carries_each_tasks_language(tmp_path: Path) -> None:
    """`language` and `language_confidence` from the task data (detected: both; given with --language:
    no confidence); a task split before languages were recorded builds with both null, in every
    table format."""
    tasks = export()
    recorded = {"a1-0": ("es", 0.93), "a1-55": ("es", 0.93), "a2-0": ("nl", None)}  # a3-0: none (an older task)
    for task in tasks:
        code, confidence = recorded.get(task["data"]["sentence_id"], (None, None))
        if code:
            task["data"] |= {"language": code, "language_confidence": confidence}
    path = write_export(tmp_path / "export.json", tasks, project="claims")
    assert CliRunner().invoke(app, ["validate", str(path), "--project", "claims"]).exit_code == 0
    out = tmp_path / "dataset"
    formats = ["--table-format", "parquet", "--table-format", "csv", "--table-format", "jsonl"]
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(out), *formats])
    assert result.exit_code == 0, result.output
    expected = {"a1-0": ("es", 0.93), "a1-55": ("es", 0.93), "a2-0": ("nl", None), "a3-0": (None, None)}
    for table in (pd.read_parquet(out / "sentences.parquet"), pd.read_csv(out / "sentences.csv"),
                  pd.read_json(out / "sentences.jsonl", lines=True)):  # fmt: skip
        got = {s: (None if pd.isna(c) else c, None if pd.isna(p) else p)
               for s, c, p in zip(table.sentence_id, table.language, table.language_confidence, strict=True)}  # fmt: skip
        assert got == expected
    assert str(pd.read_parquet(out / "sentences.parquet").language_confidence.dtype) == "float64"


def test_tasks_without_a_language_give_null_columns(tmp_path: Path) -> None:
    build_dataset(collect([views(export())]), tmp_path)
    sentences = pd.read_parquet(tmp_path / "sentences.parquet")
    assert sentences.language.isna().all() and sentences.language_confidence.isna().all()


def test_a_table_row_names_every_column_of_its_table_and_no_other() -> None:
    from annotate.dataset.tables import SOURCE_COLUMNS, Rows

    rows = Rows(SOURCE_COLUMNS)
    full = dict.fromkeys(SOURCE_COLUMNS, "x")
    rows.add(full)
    with pytest.raises(ValueError, match=r"without \['source_type'\]"):
        rows.add({k: v for k, v in full.items() if k != "source_type"})
    with pytest.raises(ValueError, match=r"with \['sourcetype'\]"):
        rows.add({k: v for k, v in full.items() if k != "source_type"} | {"sourcetype": "x"})
    assert list(rows.frame().columns) == SOURCE_COLUMNS and len(rows.frame()) == 1
