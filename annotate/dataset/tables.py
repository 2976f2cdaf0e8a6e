"""Datasets from combined exports: gold labels, the sentences/claims/sources tables, article-grouped
splits, and the formats that classifier training and the fact-checking benchmarks read directly.

Gold policy for claim_status, in order: an adjudication (`annotate adjudicate`); else an
annotation marked ground truth; else the majority of the annotators (a tie is flagged and left
without gold, never guessed); else the one annotator. The `gold_rule` column says which rule
decided, and `adjudicated_by` who adjudicated.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from annotate.dataset.agreement import agreement_report
from annotate.dataset.collect import (
    SPAN_COLUMNS,
    Collection,
    Sentence,
    annotation_rows,
    choices_of,
    per_region_answers,
    relation_rows,
    span_rows,
    write_table,
)
from annotate.errors import ConfigError, InputError
from annotate.labelstudio.export import manifest_path

SPLITS = ("train", "dev", "test")
STATUS = "claim_status"
CHECKTHAT_LABEL = {"claim_checkworthy": "Yes", "claim_not_checkworthy": "No", "no_claim": "No"}
CLAIMBUSTER_VERDICT = {"no_claim": -1, "claim_not_checkworthy": 0, "claim_checkworthy": 1}


SENTENCE_COLUMNS = [
    "sentence_id", "article_id", "kind", "text", "char_start", "char_end", "gold_claim_status", "gold_rule", "tie",
    "claim_status_distribution", "n_annotators", "agreement", "split", "adjudicated_by",
]  # fmt: skip
CLAIM_COLUMNS = [
    *SPAN_COLUMNS, "claim_types", "normalized_claim", "source_outside_sentence", "source_text", "source_region_id",
    "source_type", "cue_text",
]  # fmt: skip
SOURCE_COLUMNS = [*SPAN_COLUMNS, "source_type"]


@dataclass(frozen=True)
class SplitPlan:
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 13


def gold_status(
    annotations: dict[str, dict[str, Any]], answers: dict[str, str], adjudicated: str | None = None
) -> tuple[str | None, str, dict[str, int]]:
    """(gold claim_status, the rule that decided, the distribution of answers), from a sentence's
    annotations, their claim_status answers (annotator -> answer) and an adjudicator's answer."""
    distribution = Counter(answers.values())
    if adjudicated:
        return adjudicated, "adjudicated", dict(distribution)
    truth = [answers[who] for who, a in annotations.items() if a.get("ground_truth") and who in answers]
    if truth:
        return truth[-1], "ground_truth", dict(distribution)
    if not distribution:
        return None, "none", {}
    ranked = distribution.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None, "tie", dict(distribution)
    return ranked[0][0], "majority" if sum(distribution.values()) > 1 else "single", dict(distribution)


Gold = dict[str, tuple[str | None, str, dict[str, int]]]  # sentence -> gold_status(...)


def adjudicated_answer(sentence: Sentence, control: str = STATUS) -> str | None:
    chosen = choices_of(sentence.adjudication[1], control) if sentence.adjudication else []
    return chosen[0] if chosen else None


def golds(collection: Collection) -> Gold:
    status = collection.claim_status
    return {
        sid: gold_status(s.annotations, status[sid], adjudicated_answer(s)) for sid, s in collection.sentences.items()
    }


def gold_annotation(
    sentence: Sentence, answers: dict[str, str], gold: str | None, control: str = STATUS
) -> tuple[str, dict[str, Any]] | None:
    """(who, annotation) that stands for the gold answer of `control` (for its spans, evidence...):
    the adjudication; else the last ground-truth annotation with the gold answer (the one
    gold_status takes); else the first annotator who gave it."""
    if sentence.adjudication and adjudicated_answer(sentence, control) == gold:
        return sentence.adjudication
    agreeing = [(who, a) for who, a in sentence.annotations.items() if gold is not None and answers.get(who) == gold]
    truth = [(who, a) for who, a in agreeing if a.get("ground_truth")]
    return truth[-1] if truth else (agreeing or [None])[0]


def gold_spans(collection: Collection, gold_by: Gold) -> dict[str, list[dict[str, Any]]]:
    """sentence -> the spans of its gold annotation (see gold_annotation)."""
    status = collection.claim_status
    found = {}
    for sid, sentence in collection.sentences.items():
        chosen = gold_annotation(sentence, status[sid], gold_by[sid][0])
        found[sid] = [] if chosen is None else [
            {"start": r["value"]["start"], "end": r["value"]["end"], "label": label, "region_id": r.get("id")}
            for r in chosen[1].get("result", []) if r.get("type") == "labels"
            for label in r["value"].get("labels") or []
        ]  # fmt: skip
    return found


def sentences_table(collection: Collection, splits: dict[str, str], gold_by: Gold) -> pd.DataFrame:
    rows = []  # tuples in the order of SENTENCE_COLUMNS
    dumped: dict[tuple[tuple[str, int], ...], str] = {}  # few distinct distributions: serialise each once
    for s in collection.sentences.values():
        gold, rule, distribution = gold_by[s.sentence_id]
        key = tuple(sorted(distribution.items()))
        if key not in dumped:
            dumped[key] = json.dumps(dict(key))
        voters = sum(distribution.values())
        data = s.data
        rows.append((
            s.sentence_id, data.get("article_id"), data.get("kind"), data.get("text"), data.get("char_start"),
            data.get("char_end"), gold, rule, rule == "tie", dumped[key], voters,
            (max(distribution.values()) / voters) if voters else None, splits.get(str(data.get("article_id"))),
            s.adjudication[0] if rule == "adjudicated" and s.adjudication else None,
        ))  # fmt: skip
    table = pd.DataFrame.from_records(rows, columns=SENTENCE_COLUMNS)
    return table.astype({"char_start": "Int64", "char_end": "Int64", "n_annotators": "Int64"})


def region_links(annotation: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(relation, region id) -> the region at the other end, whichever way the arrow was drawn."""
    links = {}
    for r in annotation.get("result", []):
        if r.get("type") == "relation":
            for relation in r.get("labels") or []:
                links.setdefault((relation, r.get("from_id")), r.get("to_id"))
                links.setdefault((relation, r.get("to_id")), r.get("from_id"))
    return links


def region_answers(annotation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """from_name -> region id -> answer, for every per-region control (see per_region_answers)."""
    found: dict[str, dict[str, Any]] = {}
    for r in annotation.get("result", []):
        if r.get("id") and r.get("type") != "labels" and isinstance(r.get("from_name"), str):
            found.setdefault(r["from_name"], {})
    return {name: per_region_answers(annotation, name) for name in found}


def claims_table(collection: Collection) -> pd.DataFrame:
    """One row per CLAIM span, with what the annotator attached to it."""
    spans = {(r["annotation_id"], r["region_id"]): r for r in span_rows(collection, "SOURCE", "CUE")}
    rows = []  # tuples in the order of CLAIM_COLUMNS
    seen: dict[int, tuple[dict[tuple[str, str], str], dict[str, dict[str, Any]], str]] = {}
    for claim in span_rows(collection, "CLAIM"):
        annotation = collection.sentences[claim["sentence_id"]].annotations[claim["annotator"]]
        if id(annotation) not in seen:  # an annotation's answers are read once for all its claims
            seen[id(annotation)] = (region_links(annotation), region_answers(annotation),
                                    json.dumps(choices_of(annotation, "claim_types")))  # fmt: skip
        links, answers, claim_types = seen[id(annotation)]
        rid = claim["region_id"]
        source = spans.get((claim["annotation_id"], links.get(("attributed_to", rid))), {})
        cue = spans.get((claim["annotation_id"], links.get(("cue_of", rid))), {})
        rows.append((
            *(claim[c] for c in SPAN_COLUMNS), claim_types, answers.get("normalized_claim", {}).get(rid),
            answers.get("source_outside_sentence", {}).get(rid), source.get("text"), source.get("region_id"),
            answers.get("source_type", {}).get(source.get("region_id", "")), cue.get("text"),
        ))  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=CLAIM_COLUMNS)


def sources_table(collection: Collection) -> pd.DataFrame:
    rows = []
    for source in span_rows(collection, "SOURCE"):
        annotation = collection.sentences[source["sentence_id"]].annotations[source["annotator"]]
        answer = per_region_answers(annotation, "source_type").get(source["region_id"])
        rows.append((*(source[c] for c in SPAN_COLUMNS), answer))
    return pd.DataFrame.from_records(rows, columns=SOURCE_COLUMNS)


def _rank(seed: int, article_id: str) -> str:
    return hashlib.sha256(f"{seed}:{article_id}".encode()).hexdigest()


def assign_splits(articles: dict[str, str | None], plan: SplitPlan, previous: dict[str, str]) -> dict[str, str]:
    """article -> split. Articles already assigned keep their split; new ones are assigned within each
    stratum (the article's most common gold label) in a seeded order, so each split gets its share."""
    assigned = {a: s for a, s in previous.items() if s in SPLITS}
    strata: dict[str, list[str]] = {}
    for article, label in articles.items():
        strata.setdefault(label or "", []).append(article)
    overall = Counter(assigned[a] for a in articles if a in assigned)
    share = dict(zip(SPLITS, plan.ratios, strict=True))
    for label in sorted(strata):
        members = strata[label]
        counts = Counter(assigned[a] for a in members if a in assigned)
        for article in sorted((a for a in members if a not in assigned), key=lambda a: _rank(plan.seed, a)):
            # The split furthest below its share of this stratum gets the next article; ties go to
            # the split furthest below its share overall.
            split = max(
                SPLITS, key=lambda s: (share[s] * len(members) - counts[s], share[s] * len(articles) - overall[s])
            )
            assigned[article] = split
            counts[split] += 1
            overall[split] += 1
    return assigned


def _article_labels(collection: Collection, gold_by: Gold) -> dict[str, str | None]:
    votes: dict[str, Counter[str]] = {}
    for s in collection.sentences.values():
        gold = gold_by[s.sentence_id][0]
        counter = votes.setdefault(str(s.data.get("article_id")), Counter())
        if gold:
            counter[gold] += 1
    return {a: (c.most_common(1)[0][0] if c else None) for a, c in votes.items()}


def build_dataset(
    collection: Collection,
    out_dir: Path,
    *,
    plan: SplitPlan | None = None,
    formats: tuple[str, ...] = ("parquet",),
    sources: list[Path] | None = None,
) -> dict[str, Any]:
    """Write every table, the splits and the benchmark formats to out_dir; return the counts."""
    plan = plan or SplitPlan()
    splits_file = out_dir / "splits.json"
    previous = {}
    if splits_file.exists():
        try:
            previous = json.loads(splits_file.read_text(encoding="utf-8"))["articles"]
        except (ValueError, KeyError):
            raise InputError(f"{splits_file} is not a splits file written by annotate", hint="move it away") from None
    gold_by = golds(collection)
    splits = assign_splits(_article_labels(collection, gold_by), plan, previous)
    tables = {
        "annotations": annotation_rows(collection),
        "sentences": sentences_table(collection, splits, gold_by),
        "claims": claims_table(collection),
        "sources": sources_table(collection),
        "relations": relation_rows(collection),
    }
    written = []
    for name, table in tables.items():
        written += write_table(table, out_dir, name, formats=formats)
    splits_file.write_text(json.dumps({"seed": plan.seed, "ratios": plan.ratios, "articles": splits}, indent=1,
                                      sort_keys=True) + "\n", encoding="utf-8")  # fmt: skip
    written += [splits_file, *write_formats(tables["sentences"], gold_spans(collection, gold_by), out_dir)]
    written += write_hf_layout(tables["sentences"], out_dir)
    sentences = tables["sentences"]
    report = {
        "rows": {name: len(t) for name, t in tables.items()},
        "gold_rules": sentences["gold_rule"].value_counts().to_dict() if len(sentences) else {},
        "split_sizes": sentences["split"].value_counts().to_dict() if len(sentences) else {},
        "replaced_annotations": collection.replaced,
    }
    agreement = agreement_report(collection, {sid: g[0] for sid, g in gold_by.items()})
    splitters = sorted({str(s.data["splitter"]) for s in collection.sentences.values() if s.data.get("splitter")})
    written += write_card(out_dir, sentences=sentences, report=report, agreement=agreement, sources=sources or [],
                          splitters=splitters)  # fmt: skip
    return report | {"written": [str(p) for p in written], "agreement": agreement}


def write_formats(sentences: pd.DataFrame, spans: dict[str, list[dict[str, Any]]], out_dir: Path) -> list[Path]:
    """CheckThat! TSV per split, ClaimBuster-style CSV, spans JSONL for span classifiers (the spans
    of each sentence's gold annotation, see gold_spans)."""
    folder = out_dir / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    labelled = sentences[sentences["gold_claim_status"].notna()] if len(sentences) else sentences
    for split in SPLITS:
        part = labelled[labelled["split"] == split] if len(labelled) else labelled
        path = folder / f"checkthat_{split}.tsv"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write("Sentence_id\tText\tclass_label\n")
            columns = (part[c].tolist() for c in ("sentence_id", "text", "gold_claim_status"))
            for sid, text, gold in zip(*columns, strict=True):
                text = " ".join(str(text).split())  # a TSV cell holds no tab or newline
                out.write(f"{sid}\t{text}\t{CHECKTHAT_LABEL[gold]}\n")
        written.append(path)
    claimbuster = pd.DataFrame({
        "Sentence_id": labelled["sentence_id"] if len(labelled) else [],
        "Text": labelled["text"] if len(labelled) else [],
        "Verdict": labelled["gold_claim_status"].map(CLAIMBUSTER_VERDICT) if len(labelled) else [],
        "split": labelled["split"] if len(labelled) else [],
    })  # fmt: skip
    path = folder / "claimbuster.csv"
    claimbuster.to_csv(path, index=False)
    written.append(path)
    path = folder / "spans.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for sid, text, split in zip(*(labelled[c].tolist() for c in ("sentence_id", "text", "split")), strict=True):
            chosen = [{k: span[k] for k in ("start", "end", "label")} for span in spans.get(sid, [])]
            record = {"id": sid, "text": text, "split": split, "spans": chosen}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    written.append(path)
    return written


LABELS = ("no_claim", "claim_not_checkworthy", "claim_checkworthy")


def write_hf_layout(sentences: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Parquet per split that Hugging Face `datasets` loads with the card's `configs` (label ids in
    the order of LABELS, their names in the card)."""
    folder = out_dir / "hf"
    folder.mkdir(parents=True, exist_ok=True)
    labelled = sentences[sentences["gold_claim_status"].notna()]
    written = []
    for split in SPLITS:
        part = labelled[labelled["split"] == split]
        table = pd.DataFrame({
            "sentence_id": part["sentence_id"].astype(str), "article_id": part["article_id"].astype(str),
            "text": part["text"].astype(str), "label": part["gold_claim_status"].map(LABELS.index).astype("int64"),
        })  # fmt: skip
        path = folder / f"{split}.parquet"
        table.to_parquet(path, index=False)
        written.append(path)
    return written


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _plot(values: dict[str, float], path: Path, title: str, ylabel: str) -> Path:
    from matplotlib.figure import Figure  # without pyplot: no GUI backend, nothing global to close

    fig = Figure(figsize=(6, 3.2))
    ax = fig.subplots()
    ax.bar(list(values), list(values.values()), color="#2a9d8f")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelrotation=15)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def write_card(out_dir: Path, *, sentences: pd.DataFrame, report: dict[str, Any], agreement: dict[str, Any],
               sources: list[Path], splitters: list[str]) -> list[Path]:  # fmt: skip
    """README.md: what is in the dataset, how it was made, and how to load it."""
    gold_counts = {label: int((sentences["gold_claim_status"] == label).sum()) for label in LABELS}
    alpha = agreement["claim_status"]["alpha_per_label"]
    plots = [
        _plot(gold_counts, out_dir / "label_distribution.png", "Gold claim_status", "sentences"),
        _plot({k: v or 0.0 for k, v in alpha.items()}, out_dir / "agreement_per_label.png",
              "Krippendorff's alpha per label (one vs rest)", "alpha"),
    ]  # fmt: skip
    provenance = []
    for path in sources:
        manifest = manifest_path(path)
        meta = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        provenance.append(f"| `{path.name}` | `{_sha256(path)}` | {meta.get('project', '?')} | "
                          f"`{meta.get('label_config_sha256', '?')}` |")  # fmt: skip
    from annotate.dataset.verdicts import load_mapping  # verdicts builds on this module

    try:
        mapping_version = load_mapping()["version"]
    except ConfigError:
        mapping_version = "?"
    status = agreement["claim_status"]
    front = "\n".join([
        "---", "configs:", "- config_name: default", "  data_files:",
        "  - split: train", "    path: hf/train.parquet", "  - split: validation", "    path: hf/dev.parquet",
        "  - split: test", "    path: hf/test.parquet", "dataset_info:", "  features:",
        "  - name: sentence_id", "    dtype: string", "  - name: article_id", "    dtype: string",
        "  - name: text", "    dtype: string", "  - name: label", "    dtype:", "      class_label:", "        names:",
        *[f"          '{i}': {label}" for i, label in enumerate(LABELS)], "---",
    ])  # fmt: skip
    lines = [
        front, "", "# Claim check-worthiness dataset", "",
        "Made by `annotate combine` from Label Studio exports of the claims project. One unit per sentence or "
        "heading of a news article; `claim_status` says whether it makes a check-worthy claim.", "",
        "## Counts", "",
        "| table | rows |", "|---|---|", *[f"| {k} | {v} |" for k, v in report["rows"].items()], "",
        "| gold claim_status | sentences |", "|---|---|", *[f"| {k} | {v} |" for k, v in gold_counts.items()], "",
        f"Gold decided by: {json.dumps(report['gold_rules'])}. "
        f"Splits (by article): {json.dumps(report['split_sizes'])}.",
        "", "![label distribution](label_distribution.png)", "",
        "## Agreement", "",
        f"- Krippendorff's alpha (claim_status, nominal): {status['krippendorff_alpha']} over {status['items']} "
        f"sentences, {status['items_with_2_or_more']} with two or more annotators ({status['annotators']} annotators).",
        f"- Fleiss' kappa: {json.dumps(status['fleiss_kappa'])}.",
        f"- Cohen's kappa per pair: {json.dumps(status['cohen_kappa_pairs'])}.",
        "- Per claim type (applies or not): " + (", ".join(
            f"{t}: alpha {r['krippendorff_alpha']}, Fleiss' kappa {(r['fleiss_kappa'] or {}).get('kappa')}"
            for t, r in agreement["claim_types"].items()) or "no sentence with two or more annotators' types") + ".",
        f"- Span F1 between annotators: {json.dumps(agreement['spans'])}.",
        f"- Sentences with disagreeing claim_status: {agreement['disagreements']} (`annotate agreement "
        "--disagreements` lists them).", "",
        "![agreement per label](agreement_per_label.png)", "",
        "## Provenance", "",
        "| export | sha256 | project | label config sha256 |", "|---|---|---|---|", *provenance, "",
        f"Splitter: {', '.join(splitters) or 'unknown'}. Verdict mapping version: {mapping_version}. "
        f"Annotators are {'named' if report.get('identity') else 'pseudonymised (hashed e-mails)'}.", "",
        "## Loading", "",
        "```python", "from datasets import load_dataset", f"ds = load_dataset({str(out_dir)!r})",
        "# or: pandas.read_parquet('sentences.parquet')", "```", "",
        "Benchmark formats are in `formats/`: CheckThat! TSV per split, ClaimBuster-style CSV, spans JSONL.",
    ]  # fmt: skip
    card = out_dir / "README.md"
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [card, *plots]
