"""The dataset card (README.md in the dataset folder): what is in the dataset, how it was made and
how to load it, with the label distribution and agreement plots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from annotate.labelstudio.api.export import read_manifest
from annotate.vocabulary import CLAIM_STATUS, CLAIM_TYPES

VERDICT_CARD_HEAD = (
    "# Verdict dataset\n\nMade by `annotate combine` from Label Studio exports of the verification project.\n"
)


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


def write_card(
    out_dir: Path, *, report: dict[str, Any], agreement: dict[str, Any], sources: list[Path],
    splitters: list[str], identity: bool, mapping_version: str, final_dir: Path | None = None,
) -> list[Path]:  # fmt: skip
    """README.md: what is in the dataset, how it was made, and how to load it. The report holds the
    counts (rows, gold_counts, articles, splits, no_gold, gold_rules). final_dir: where the dataset
    will be (out_dir is the folder it is built in), named in the loading example."""
    gold_counts = report["gold_counts"]
    alpha = agreement[CLAIM_STATUS]["alpha_per_label"]
    plots = [
        _plot(gold_counts, out_dir / "label_distribution.png", "Gold claim_status", "sentences"),
        _plot({k: v or 0.0 for k, v in alpha.items()}, out_dir / "agreement_per_label.png",
              "Krippendorff's alpha per label (one vs rest)", "alpha"),
    ]  # fmt: skip
    provenance = []
    for path in sources:
        meta = read_manifest(path)
        provenance.append(f"| `{path.name}` | `{_sha256(path)}` | {meta.get('project', '?')} | "
                          f"`{meta.get('label_config_sha256', '?')}` |")  # fmt: skip
    from annotate.dataset.formats import LABELS  # here: `annotate agreement` imports this module, not pandas

    status = agreement[CLAIM_STATUS]
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
        *count_lines(report),
        "", "![label distribution](label_distribution.png)", "",
        "## Agreement", "",
        f"- Krippendorff's alpha (claim_status, nominal): {status['krippendorff_alpha']} over {status['items']} "
        f"sentences, {status['items_with_2_or_more']} with two or more annotators ({status['annotators']} annotators).",
        f"- Fleiss' kappa: {json.dumps(status['fleiss_kappa'])}.",
        f"- Cohen's kappa per pair: {json.dumps(status['cohen_kappa_pairs'])}.",
        "- Per claim type (applies or not): " + (", ".join(
            f"{t}: alpha {r['krippendorff_alpha']}, Fleiss' kappa {(r['fleiss_kappa'] or {}).get('kappa')}"
            for t, r in agreement[CLAIM_TYPES].items()) or "no sentence with two or more annotators' types") + ".",
        f"- Span F1 between annotators: {json.dumps(agreement['spans'])}.",
        f"- Sentences with disagreeing claim_status: {agreement['disagreements']} (`annotate agreement "
        "--disagreements` lists them).", *reference_lines(agreement), "",
        "![agreement per label](agreement_per_label.png)", "",
        "## Provenance", "",
        "| export | sha256 | project | label config sha256 |", "|---|---|---|---|", *provenance, "",
        f"Splitter: {', '.join(splitters) or 'unknown'}. Verdict mapping version: {mapping_version}. "
        f"Annotators are {'named (e-mail addresses)' if identity else 'pseudonymised (hashed e-mails)'}.", "",
        "## Loading", "",
        "```python", "from datasets import load_dataset", f"ds = load_dataset({str(final_dir or out_dir)!r})",
        "# or: pandas.read_parquet('sentences.parquet')", "```", "",
        "Benchmark formats are in `formats/`: CheckThat! TSV per split (rows as in the splits table), "
        f"ClaimBuster-style CSV and spans JSONL ({sum(v['with_gold'] for v in report['splits'].values())} rows "
        "each: the sentences with gold). Rows that came from a benchmark file keep its ids, texts and order.",
    ]  # fmt: skip
    card = out_dir / "README.md"
    card.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [card, *plots]


def reference_visibility(reference: dict[str, Any]) -> str:
    """Whether the annotators could see the reference labels they are scored against."""
    if reference["reference"] == "hidden":
        return "the annotators could NOT see it (load --reference-as hidden)"
    if reference["reference"] == "visible":
        return "VISIBLE to the annotators (in the task data, as load --reference-as predictions puts it)"
    return f"hidden for some sentences, visible for others: {reference['sentences']}"


def reference_lines(agreement: dict[str, Any]) -> list[str]:
    reference = agreement.get("reference")
    if not reference:
        return []
    return [f"- Against the reference labels ({', '.join(reference['scales'])}; {reference_visibility(reference)}): "
            + "; ".join(f"{who}: accuracy {v['accuracy']}, Cohen's kappa {v['cohen_kappa']} ({v['items']} sentences)"
                        for who, v in reference["annotators"].items()) + "."]  # fmt: skip


TABLE_UNITS = {"annotations": "answers (annotator x sentence x answer)", "sentences": "sentences",
               "claims": "CLAIM spans", "sources": "SOURCE spans", "relations": "relations"}  # fmt: skip


def no_gold_lines(report: dict[str, Any]) -> list[str]:
    """How many sentences have no gold, why, and what resolves it (for the card and the summary)."""
    ties, none = report["no_gold"]["tie"], report["no_gold"]["none"]
    lines = []
    if ties:
        lines.append(f"{ties} sentence(s) have no gold because their annotators disagree (a tie): "
                     f"`annotate adjudicate --project {report['project']}` sends them to review; export "
                     f"`{report['project']}-adjudication` and combine again with it.")  # fmt: skip
    if none:
        lines.append(f"{none} sentence(s) have no gold because nobody annotated them.")
    return lines


def count_lines(report: dict[str, Any]) -> list[str]:
    """The card's counts, each with its unit, in tables whose parts add up."""
    gold_counts = report["gold_counts"]
    total, gold = report["rows"]["sentences"], sum(gold_counts.values())
    ties, none = report["no_gold"]["tie"], report["no_gold"]["none"]
    splits = report["splits"]
    articles = report["articles"]
    return [
        f"{articles} articles, {total} sentences: {gold} with a gold claim_status, {ties} ties, {none} not "
        f"annotated ({gold} + {ties} + {none} = {total} sentences).", "",
        "| gold claim_status | sentences |", "|---|---|", *[f"| {k} | {v} |" for k, v in gold_counts.items()],
        f"| (none: tie) | {ties} |", f"| (none: not annotated) | {none} |", f"| **total** | {total} |", "",
        *no_gold_lines(report), "",
        f"Splits, by article ({report['split_policy']}):",
        "", "| split | articles | sentences | with gold = rows in `formats/checkthat_<split>.tsv` |",
        "|---|---|---|---|",
        *[f"| {k} | {v['articles']} | {v['sentences']} | {v['with_gold']} |" for k, v in splits.items()],
        f"| **total** | {sum(v['articles'] for v in splits.values())} | {sum(v['sentences'] for v in splits.values())} "
        f"| {sum(v['with_gold'] for v in splits.values())} |", "",
        f"Gold decided by (sentences per rule): {json.dumps(report['gold_rules'])}.", "",
        "| table | rows | one row per |", "|---|---|---|",
        *[f"| {k} | {v} | {TABLE_UNITS.get(k, k)} |" for k, v in report["rows"].items()],
    ]  # fmt: skip


def card_section(report: dict[str, Any]) -> list[str]:
    """The verdicts part of the dataset card."""
    return [
        "## Verdicts", "",
        f"{report['claims']} claims (mentions) in {report['clusters']} clusters from verification exports; gold "
        f"verdicts {json.dumps(report['verdicts'])} decided by {json.dumps(report['verdict_rules'])}; where each "
        f"mention's verdict comes from: {json.dumps(report['verdict_sources'])}.", "",
        f"Verdict mapping version {report['mapping_version']}, **{report['mapping_mode']}** mode "
        "(strict leaves verdicts the mapping marks lossy out of FEVER; lenient maps them).", "",
        f"- `formats/fever.jsonl`: {report['fever']} records, one per {report['fever_rows']}; left out: "
        f"{json.dumps(report['fever_skipped'])}.",
        f"- `formats/claimreview.jsonld`: {report['claimreview']} ClaimReview objects (schema: "
        f"`schemas/claimreview.schema.json`); left out: {json.dumps(report['claimreview_skipped'])}.", "",
    ]  # fmt: skip
