"""One claim, many mentions (issue 17), without a server: promote makes one verification task per
cluster of mentions and keeps it as exports grow; the verdict given once reaches the mentions the
verifier confirmed (verdicts table, ClaimReview, FEVER), not the ones they rejected; a past
fact-check shows on the task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.labelstudio.api.projects import ensure_project, load_project
from annotate.labelstudio.exported.exports import open_exports
from annotate.labelstudio.exported.rules import rules_from_config
from annotate.labelstudio.exported.validate import validate_task
from annotate.loop.match import Cluster, Mention, write_matches
from annotate.loop.promote import verification_records
from annotate.loop.verification import promote

from .builders import annotation, span, status
from .conftest import ROOT, write_export
from .fakes import FakeLabelStudio

# Three articles state one claim in different words; a fourth states another; a fifth, later, the first again.
ARTICLES = {
    "kyiv-post": ("2026-11-01", "Putin ruled out sending NATO troops to Ukraine, the Kremlin said on Monday.",
                  "Putin ruled out sending NATO troops to Ukraine", "Putin ruled out NATO troops in Ukraine"),
    "daily-wire": ("2026-11-02", "Russia's president rejects any NATO soldiers on Ukrainian soil, officials say.",
                   "Russia's president rejects any NATO soldiers on Ukrainian soil",
                   "Putin ruled out NATO troops in Ukraine"),
    "evening-news": ("2026-11-03", "Moscow will not accept troops from NATO countries in Ukraine, Putin said.",
                     "Moscow will not accept troops from NATO countries in Ukraine",
                     "Putin ruled out NATO troops in Ukraine"),
    "city-desk": ("2026-11-02", "The new bridge cost the city 2 million euros, the mayor said.",
                  "The new bridge cost the city 2 million euros", "The new bridge cost 2 million euros"),
    "weekly": ("2026-11-10", "Putin again said no to NATO troops in Ukraine.",
               "Putin again said no to NATO troops in Ukraine", "Putin ruled out NATO troops in Ukraine"),
}  # fmt: skip
FIRST = ("kyiv-post", "daily-wire", "evening-news", "city-desk")


def _claims_task(tid: int, article: str) -> dict[str, Any]:
    published, text, claim, normalized = ARTICLES[article]
    data = {"text": text, "kind": "sentence", "article_id": article, "sentence_id": f"{article}-0",
            "sentence_index": 0, "char_start": 0, "char_end": len(text), "title": f"{article} headline",
            "url": f"https://{article}.example/story", "published": published}  # fmt: skip
    marked = span("c", text, claim, "CLAIM")
    value = marked["value"]
    normalised = {"id": "c", "from_name": "normalized_claim", "to_name": "text", "type": "textarea",
                  "value": {"start": value["start"], "end": value["end"], "text": [normalized]}}  # fmt: skip
    result = [marked, normalised, status("claim_checkworthy")]
    return {"id": tid, "data": data, "predictions": [], "annotations": [annotation(tid * 10, "ann@x.org", result)]}


def _claims_export(folder: Path, articles: tuple[str, ...], name: str) -> Path:
    tasks = [_claims_task(i + 1, a) for i, a in enumerate(articles)]
    return write_export(folder / f"{name}.json", tasks, "claims")


def _matches(folder: Path, export: Path, groups: list[list[str]], past: list[dict] | None = None) -> Path:
    """A matches.jsonl as `annotate match` writes it, with these clusters (articles, earliest first)."""
    from annotate.dataset.collect import read_collection

    records = {r["article_id"]: r for r in verification_records(read_collection(_exports(export)).part(False))}
    clusters = []
    for group in groups:
        mentions = tuple(Mention(records[a]) for a in group)
        clusters.append(Cluster(mentions[0].claim_id, mentions))
    path = folder / "matches.jsonl"
    write_matches(clusters, path)
    if past:  # the first cluster matched these past checks
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        lines[0]["matches"] = past
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _exports(*paths: Path) -> Any:
    return open_exports(list(paths), project="claims", projects_dir=ROOT / "projects")


@pytest.fixture
def fake(tmp_path: Path) -> tuple[FakeLabelStudio, Any, Path]:
    client = FakeLabelStudio()
    spec = load_project("verification", projects_dir=ROOT / "projects")
    config_dir = tmp_path / "config"
    ensure_project(client, spec, config_dir=config_dir)
    return client, spec, config_dir


def _tasks(client: FakeLabelStudio) -> list[dict[str, Any]]:
    return [t for t in sorted(client.stored.values(), key=lambda t: t["id"])]


def test_three_mentions_make_one_task_and_a_fourth_joins_it(fake, tmp_path: Path) -> None:
    client, spec, config_dir = fake
    first = _claims_export(tmp_path, FIRST, "claims-1")
    matches = _matches(tmp_path, first, [["kyiv-post", "daily-wire", "evening-news"], ["city-desk"]])
    report = promote(_exports(first), client, spec, config_dir=config_dir, matches=matches)
    assert (report.claims, report.clusters, report.load.created) == (4, 2, 2)
    putin, bridge = _tasks(client)
    data = putin["data"]
    assert data["cluster_id"] == data["claim_id"] == "kyiv-post-0/0-46"
    assert [m["article_id"] for m in data["mentions"]] == ["kyiv-post", "daily-wire", "evening-news"]
    assert [o["value"] for o in data["mention_options"]] == ["daily-wire-0/0-62", "evening-news-0/0-60"]
    assert data["mention_options"][0]["html"] == (
        "daily-wire headline — Russia's president rejects any NATO soldiers on Ukrainian soil, officials say. "
        "(https://daily-wire.example/story, 2026-11-02)"
    )
    assert data["previously_checked"] == "" and data["past_checks"] == []
    assert bridge["data"]["mentions"][0]["claim_id"] == bridge["data"]["claim_id"]
    assert bridge["data"]["mention_options"] == []
    again = promote(_exports(first), client, spec, config_dir=config_dir, matches=matches)
    assert (again.load.created, again.plan.present, again.plan.extend) == (0, 2, {})

    # The verifier has answered; a later export brings a fourth mention: it joins the task, the answer stays.
    client.annotate(putin["id"], [{"id": "v", "from_name": "verdict", "to_name": "claim", "type": "choices",
                                   "value": {"choices": ["false"]}}])  # fmt: skip
    later = _claims_export(tmp_path, (*FIRST, "weekly"), "claims-2")
    grown = _matches(tmp_path, later, [["kyiv-post", "daily-wire", "evening-news", "weekly"], ["city-desk"]])
    report = promote(_exports(later), client, spec, config_dir=config_dir, matches=grown)
    assert (report.load.created, report.plan.added) == (0, {putin["id"]: ["weekly-0/0-45"]})
    assert len(client.stored) == 2
    data = client.stored[putin["id"]]["data"]
    assert [m["article_id"] for m in data["mentions"]] == ["kyiv-post", "daily-wire", "evening-news", "weekly"]
    assert data["mentions"][-1]["added_at"] and "added_at" not in data["mentions"][1]
    assert len(data["mention_options"]) == 3 and client.stored[putin["id"]]["total_annotations"] == 1


def test_without_a_matches_file_promote_clusters_the_claims_itself(fake, tmp_path: Path) -> None:
    client, spec, config_dir = fake
    export = _claims_export(tmp_path, FIRST, "claims")
    report = promote(_exports(export), client, spec, config_dir=config_dir)
    assert (report.claims, report.clusters, report.load.created) == (4, 2, 2)
    mentions = {t["data"]["cluster_id"]: [m["article_id"] for m in t["data"]["mentions"]] for t in _tasks(client)}
    assert mentions == {"kyiv-post-0/0-46": ["kyiv-post", "daily-wire", "evening-news"],
                        "city-desk-0/0-44": ["city-desk"]}  # fmt: skip


def test_a_past_fact_check_shows_on_the_task(fake, tmp_path: Path) -> None:
    client, spec, config_dir = fake
    export = _claims_export(tmp_path, FIRST, "claims")
    review = {"@context": "https://schema.org", "@type": "ClaimReview", "url": "https://other.example/fc/1",
              "claimReviewed": "Putin ruled out NATO troops in Ukraine",
              "reviewRating": {"@type": "Rating", "alternateName": "False", "ratingValue": 1},
              "author": {"@type": "Organization", "name": "Other Fact Desk"}}  # fmt: skip
    (tmp_path / "claimreview.jsonld").write_text(json.dumps([review]))
    against = str(tmp_path / "claimreview.jsonld")
    matched = CliRunner().invoke(app, ["match", str(export), "--project", "claims", "--against", against,
                                       "-o", str(tmp_path / "m.jsonl")])  # fmt: skip
    assert matched.exit_code == 0, matched.stderr
    promote(_exports(export), client, spec, config_dir=config_dir, matches=tmp_path / "m.jsonl")
    putin = next(t for t in _tasks(client) if t["data"]["claim_id"].startswith("kyiv-post"))
    assert (
        putin["data"]["previously_checked"]
        == "previously checked: false by Other Fact Desk (https://other.example/fc/1)"
    )
    assert putin["data"]["past_checks"][0]["verdict"] == "false"
    bridge = next(t for t in _tasks(client) if t["data"]["claim_id"].startswith("city-desk"))
    assert bridge["data"]["previously_checked"] == ""


def test_per_claim_tasks_are_kept_and_attached_merges_are_reported(fake, tmp_path: Path) -> None:
    client, spec, config_dir = fake
    export = _claims_export(tmp_path, FIRST, "claims")
    records = {r["article_id"]: r for r in verification_records(_collection(export))}
    project_id = next(iter(client.projects))
    old = {"kyiv-post", "city-desk"}
    client.import_tasks(project_id, [{"data": records[a] | {"mention_options": "", "previously_checked": "",
                                                                  "source_type_label": "", "context_marked": ""}}
                                     for a in sorted(old)])  # fmt: skip
    kyiv = next(t for t in _tasks(client) if t["data"]["article_id"] == "kyiv-post")
    client.annotate(kyiv["id"], [{"id": "v", "from_name": "verdict", "to_name": "claim", "type": "choices",
                                  "value": {"choices": ["false"]}}])  # fmt: skip
    matches = _matches(tmp_path, export, [["kyiv-post", "daily-wire", "evening-news"], ["city-desk"]])
    report = promote(_exports(export), client, spec, config_dir=config_dir, matches=matches)
    assert (report.load.created, sorted(report.plan.attached)) == (0, sorted(t["id"] for t in _tasks(client)))
    data = client.stored[kyiv["id"]]["data"]
    assert data["cluster_id"] == data["claim_id"] and len(data["mentions"]) == 3
    assert all(m.get("added_at") for m in data["mentions"][1:]) and client.stored[kyiv["id"]]["total_annotations"] == 1

    # Clusters that now join two tasks, or a task's mentions that now fall apart, are reported, never rewritten.
    before = json.dumps(client.stored, sort_keys=True, default=str)
    merged = _matches(tmp_path, export, [["kyiv-post", "daily-wire", "evening-news", "city-desk"]])
    report = promote(_exports(export), client, spec, config_dir=config_dir, matches=merged)
    assert len(report.plan.merged) == 1 and "left as they are" in report.plan.merged[0]
    split = _matches(tmp_path, export, [["kyiv-post", "daily-wire"], ["evening-news"], ["city-desk"]])
    report = promote(_exports(export), client, spec, config_dir=config_dir, matches=split)
    assert len(report.plan.split) == 1 and report.load.created == 0
    assert json.dumps(client.stored, sort_keys=True, default=str) == before


def _collection(export: Path) -> Any:
    from annotate.dataset.collect import read_collection

    return read_collection(_exports(export)).part(False)


def _verdict(task: dict[str, Any], *, same: list[str], updated: str) -> dict[str, Any]:
    """The verification export of a task whose verifier said false and ticked `same`."""

    def choice(name: str, values: list[str]) -> dict:
        return {"id": name, "from_name": name, "to_name": "claim", "type": "choices", "value": {"choices": values}}

    def text(name: str, value: str) -> dict:
        return {"id": name, "from_name": name, "to_name": "claim", "type": "textarea", "value": {"text": [value]}}

    result = [choice("verdict", ["false"]), choice("verification_state", ["verified"]),
              text("factcheck_url", "https://factcheck.example.org/putin"),
              text("evidence_1_url", "https://kremlin.example/transcript"),
              choice("evidence_1_stance", ["refutes"])]  # fmt: skip
    if same:
        result.append(choice("same_claim", same))
    return {"id": task["id"], "data": task["data"], "predictions": [],
            "annotations": [annotation(task["id"] * 10, "v@x.org", result, updated=updated)]}  # fmt: skip


def _promoted_with_a_fourth_mention(fake, tmp_path: Path) -> list[dict[str, Any]]:
    """The Putin cluster promoted with three mentions, then a later export's fourth added to it:
    the two verification tasks (Putin, bridge)."""
    client, spec, config_dir = fake
    early = _claims_export(tmp_path, FIRST, "claims-1")
    first = _matches(tmp_path, early, [["kyiv-post", "daily-wire", "evening-news"], ["city-desk"]])
    promote(_exports(early), client, spec, config_dir=config_dir, matches=first)
    later = _claims_export(tmp_path, (*FIRST, "weekly"), "claims-2")
    grown = _matches(tmp_path, later, [["kyiv-post", "daily-wire", "evening-news", "weekly"], ["city-desk"]])
    promote(_exports(later), client, spec, config_dir=config_dir, matches=grown)
    return _tasks(client)


def test_a_verdict_given_once_reaches_every_confirmed_mention(fake, tmp_path: Path) -> None:
    putin, bridge = _promoted_with_a_fourth_mention(fake, tmp_path)
    ids = [m["claim_id"] for m in putin["data"]["mentions"]]
    added_at = putin["data"]["mentions"][3]["added_at"]

    # The verifier answered after the fourth mention came: two ticked (with the task's own claim,
    # three mentions get the verdict), the fourth left unticked (rejected).
    tasks = [_verdict(putin, same=ids[1:3], updated="2099-01-01T00:00:00Z"), {**bridge, "annotations": []}]
    path = write_export(tmp_path / "verification.json", tasks, "verification")
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(path), "--project", "verification"]).exit_code == 0
    done = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "ds"), "--table-format", "parquet"])
    assert done.exit_code == 0, done.stderr
    table = pd.read_parquet(tmp_path / "ds" / "verdicts.parquet").set_index("claim_id")
    assert list(table.loc[ids, "verdict_source"]) == ["direct", "cluster_confirmed", "cluster_confirmed",
                                                      "cluster_rejected"]  # fmt: skip
    assert list(table.loc[ids, "verdict"].fillna("-")) == ["false", "false", "false", "-"]
    assert (
        set(table.loc[ids, "cluster_id"]) == {ids[0]} and table.loc[ids[1], "url"] == "https://daily-wire.example/story"
    )
    assert (
        table.loc[ids[1], "justification"] is None
        and table.loc[ids[1], "factcheck_url"] == "https://factcheck.example.org/putin"
    )
    schema = json.loads((ROOT / "schemas" / "tables" / "verdicts.schema.json").read_text())
    assert list(table.reset_index().columns) == list(schema["properties"])
    for row in json.loads(table.reset_index().to_json(orient="records")):
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(row)) == []

    (review,) = json.loads((tmp_path / "ds" / "formats" / "claimreview.jsonld").read_text())
    assert [a["url"] for a in review["itemReviewed"]["appearance"]] == [
        f"https://{a}.example/story" for a in ("kyiv-post", "daily-wire", "evening-news")
    ]
    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "claimreview.schema.json").read_text()),
                                                format_checker=jsonschema.FormatChecker())  # fmt: skip
    assert list(validator.iter_errors(review)) == []
    (fever,) = [json.loads(line) for line in (tmp_path / "ds" / "formats" / "fever.jsonl").open()]
    assert (fever["id"], fever["label"]) == (ids[0], "REFUTES")
    assert fever["claim"] == "Putin ruled out NATO troops in Ukraine"
    per_mention = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "dm"), "--fever-rows", "mention"])
    assert per_mention.exit_code == 0, per_mention.stderr
    fever = [json.loads(line) for line in (tmp_path / "dm" / "formats" / "fever.jsonl").open()]
    assert [r["id"] for r in fever] == ids[:3]
    assert fever[1]["evidence"] == [[[ids[1], 1, "https://kremlin.example/transcript", None]]]

    # A verdict given before the fourth mention came does not reach it: it is flagged as automatic,
    # and stays out of ClaimReview and FEVER.
    assert added_at > "2026-11-20"
    tasks = [_verdict(putin, same=ids[1:3], updated="2026-11-20T10:00:00Z")]
    path = write_export(tmp_path / "earlier.json", tasks, "verification")
    done = runner.invoke(app, ["combine", str(path), "-o", str(tmp_path / "de"), "--fever-rows", "mention"])
    assert done.exit_code == 0, done.stderr
    table = pd.read_parquet(tmp_path / "de" / "verdicts.parquet").set_index("claim_id")
    assert (table.loc[ids[3], "verdict_source"], table.loc[ids[3], "verdict"]) == ("cluster_automatic", "false")
    assert len((tmp_path / "de" / "formats" / "fever.jsonl").read_text().splitlines()) == 3
    (review,) = json.loads((tmp_path / "de" / "formats" / "claimreview.jsonld").read_text())
    assert len(review["itemReviewed"]["appearance"]) == 3


@pytest.mark.parametrize("near_miss", ["", "different numbers"])
def test_a_cluster_nobody_verified_takes_the_verdict_of_a_past_check(tmp_path: Path, near_miss: str) -> None:
    """...unless a near-miss guard doubts that check: then it is listed, and no verdict comes of it."""
    export = _claims_export(tmp_path, FIRST, "claims")
    past = [{"id": "fc-1", "claim": "Putin ruled out NATO troops in Ukraine", "verdict": "false", "rating": "False",
             "organization": "Other Fact Desk", "url": "https://other.example/fc/1", "origin": "claimreview",
             "score": 0.9, "near_miss": near_miss}]  # fmt: skip
    matches = _matches(tmp_path, export, [["kyiv-post", "daily-wire"], ["evening-news"], ["city-desk"]], past)
    client, spec = FakeLabelStudio(), load_project("verification", projects_dir=ROOT / "projects")
    ensure_project(client, spec, config_dir=tmp_path / "config")
    promote(_exports(export), client, spec, config_dir=tmp_path / "config", matches=matches)
    tasks = [{**t, "annotations": []} for t in _tasks(client)]
    path = write_export(tmp_path / "verification.json", tasks, "verification")
    args = ["combine", str(path), "-o", str(tmp_path / "ds"), "--table-format", "parquet"]
    done = CliRunner().invoke(app, args + (["--allow-empty"] if near_miss else []))  # no verdict at all: empty
    assert done.exit_code == 0, done.stderr
    table = pd.read_parquet(tmp_path / "ds" / "verdicts.parquet").set_index("claim_id")
    pairs = zip(table["verdict_source"].fillna("-"), table["verdict"].fillna("-"), strict=True)
    sources = dict(zip(table["article_id"], pairs, strict=True))
    given = ("-", "-") if near_miss else ("previous_factcheck", "false")
    assert sources == {"kyiv-post": given, "daily-wire": given, "evening-news": ("-", "-"), "city-desk": ("-", "-")}
    shown = [t["data"]["previously_checked"] for t in tasks if t["data"]["article_id"] == "kyiv-post"]
    assert shown == ["" if near_miss else "previously checked: false by Other Fact Desk (https://other.example/fc/1)"]
    assert json.loads((tmp_path / "ds" / "formats" / "claimreview.jsonld").read_text()) == []
    assert (tmp_path / "ds" / "formats" / "fever.jsonl").read_text() == ""


def test_validate_takes_same_claim_values_from_the_task() -> None:
    rules = rules_from_config((ROOT / "projects" / "verification" / "config.xml").read_text(), ())
    same_claim = rules.controls["same_claim"]
    assert same_claim.values is None and same_claim.options_from == "mention_options"
    data = {"claim": "x", "mention_options": [{"value": "b/0-1", "html": "B"}]}

    def task(values: list[str]) -> dict:
        result = [{"id": "s", "from_name": "same_claim", "to_name": "claim", "type": "choices",
                   "value": {"choices": values}}]  # fmt: skip
        return {"id": 1, "data": data, "annotations": [annotation(1, "v@x.org", result)], "predictions": []}

    assert [p for p in validate_task(task(["b/0-1"]), 0, file="f", rules=rules) if p.kind == "label"] == []
    (problem,) = [p for p in validate_task(task(["c/0-1"]), 0, file="f", rules=rules) if p.kind == "label"]
    assert "'c/0-1' is not one of the task's mention_options (b/0-1)" in problem.line()


def test_a_bad_matches_file_stops_promote_before_the_server(tmp_path: Path) -> None:
    export = _claims_export(tmp_path, FIRST, "claims")
    (tmp_path / "bad.jsonl").write_text('{"cluster_id": "x"}\nnot json\n')
    runner = CliRunner()
    env = {"LABEL_STUDIO_API_KEY": "k" * 40}
    for name, said in (("missing.jsonl", "missing.jsonl: no such file"),
                       ("bad.jsonl", "bad.jsonl: line 1: not a cluster of matches")):  # fmt: skip
        done = runner.invoke(app, ["promote", str(export), "--matches", str(tmp_path / name), "--url",
                                   "http://127.0.0.1:9"], env=env)  # fmt: skip
        assert done.exit_code == 1 and said in done.stderr and "Traceback" not in done.stderr


def test_against_a_verification_export_takes_only_what_the_verifier_decided(fake, tmp_path: Path) -> None:
    """A verification export read by `annotate match --against` gives past checks for the task's own
    claim and the mentions the verifier confirmed: not a rejected mention, not one added after the
    verdict (automatic), not a verdict copied from an earlier fact-check."""
    from annotate.dataset.verdicts import load_mapping
    from annotate.loop.pastchecks import read_against

    putin, bridge = _promoted_with_a_fourth_mention(fake, tmp_path)
    ids = [m["claim_id"] for m in putin["data"]["mentions"]]
    past = {"id": "fc-9", "claim": "x", "verdict": "true", "rating": "True", "organization": "Other", "url": "u",
            "origin": "table", "score": 0.9}  # fmt: skip
    bridge["data"] |= {"past_checks": [past], "previously_checked": "previously checked: true by Other (u)"}
    tasks = [_verdict(putin, same=ids[1:2], updated="2026-11-20T10:00:00Z"), {**bridge, "annotations": []}]
    path = write_export(tmp_path / "verification.json", tasks, "verification")
    checks = read_against(path, load_mapping())
    assert [(c.id, c.verdict, c.origin) for c in checks] == [(ids[0], "false", "verification"),
                                                             (ids[1], "false", "verification")]  # fmt: skip


def test_the_verification_screen_shows_the_source_type_as_the_claims_editor_did_and_marks_the_sentence(
    fake, tmp_path: Path
) -> None:
    client, spec, config_dir = fake
    task = _claims_task(1, "city-desk")
    text = task["data"]["text"]
    task["data"] |= {"context_before": "Roads were closed.", "context_after": "Work ends in May."}
    source = span("s", text, "the mayor", "SOURCE")
    where = {k: source["value"][k] for k in ("start", "end", "text")}
    kind = {"id": "s", "from_name": "source_type", "to_name": "text", "type": "choices",
            "value": where | {"choices": ["named_person"]}}  # fmt: skip
    relation = {"from_id": "c", "to_id": "s", "type": "relation", "direction": "right", "labels": []}
    task["annotations"][0]["result"] += [source, kind, relation]
    export = write_export(tmp_path / "claims.json", [task, _claims_task(2, "kyiv-post")], "claims")
    promote(_exports(export), client, spec, config_dir=config_dir)
    shown = {t["data"]["article_id"]: t["data"] for t in _tasks(client)}
    assert (shown["city-desk"]["source_type_label"], shown["kyiv-post"]["source_type_label"]) == ("Named person", "")
    assert shown["city-desk"]["context_marked"] == f"Roads were closed. <mark>{text}</mark> Work ends in May."


def test_context_marked_escapes_what_the_article_says() -> None:
    from annotate.loop.verification import context_marked

    assert context_marked("Before <b>. Prices rose 5% & more. After.", "Prices rose 5% & more.") == (
        "Before &lt;b&gt;. <mark>Prices rose 5% &amp; more.</mark> After."
    )
    assert context_marked("<i>x</i>", "not there") == "&lt;i&gt;x&lt;/i&gt;"
