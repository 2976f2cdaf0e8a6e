"""Sentence splitting: annotate's `news` splitter vs sentencex and pysbd, in one run.

    bash benchmarks/setup_bench_env.sh            # a separate venv with pysbd and gensim (Lee corpus)
    .venv/bin/python benchmarks/split_bench.py --other-python .bench-venv/bin/python
    .venv/bin/python benchmarks/split_bench.py --ud /work/data/ud --other-python .bench-venv/bin/python

--ud: by language, on Universal Dependencies test files (UniversalDependencies/UD_* on GitHub,
fetched for the run: en_ewt, es_ancora, ar_padt, nl_alpino, de_gsd, fr_gsd -ud-test.conllu).
--part dev scores the dev files instead (where annotate/articles/rules/*.json are chosen) and
prints the scores; --errors DIR writes each tool's missed and false boundaries, in context.

pysbd runs in its own environment: its wheel installs a top-level `benchmarks` package that would
shadow this folder. Each tool segments one article per call, with character offsets, over the same
>= 5 MB corpus built from the Lee news corpus (real ABC news articles, shipped in gensim's test
data) and the example article, repeated to size. Accuracy is scored on the English Golden Rules
and the project's news battery (tests/data). Figures go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent
DATA = ROOT / "tests" / "data"
from _results import write_section  # noqa: E402

TARGET_BYTES = 5 * 1024 * 1024


# Tools: each returns spans (start, end) for one article ------------------------------------------
def make_tool(name: str, *, whole_article: bool = True):
    """Spans of one text. For `news`, whole_article runs the full pipeline (paragraphs, headings);
    otherwise only the sentence splitter, as the accuracy tests score it (text = one paragraph)."""
    if name == "news":
        sys.path.insert(0, str(ROOT))
        from annotate.articles.segment import default_splitter, split_text

        if not whole_article:
            return default_splitter().spans
        return lambda text: [(u.start, u.end) for u in split_text(text)]
    if name == "sentencex":
        from sentencex import get_sentence_boundaries

        return lambda text: [(b["start_index"], b["end_index"]) for b in get_sentence_boundaries("en", text)]
    if name == "pysbd":
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False, char_span=True)
        return lambda text: [(s.start, s.end) for s in seg.segment(text)]
    raise SystemExit(f"unknown tool {name}")


def offset_errors(text: str, spans: list[tuple[int, int]]) -> int:
    """Spans out of order or overlapping, or non-space text outside every span."""
    errors, previous, covered = 0, 0, 0
    for start, end in spans:
        if start < previous or end < start or end > len(text):
            errors += 1
        previous = max(previous, end)
        covered += len("".join(text[start:end].split()))
    if covered != len("".join(text.split())):
        errors += 1
    return errors


def sentences(tool, text: str) -> list[str]:
    return [text[s:e].strip() for s, e in tool(text) if text[s:e].strip()]


def worker(name: str, corpus: Path, runs: int) -> dict:
    tool = make_tool(name)
    paragraph_tool = make_tool(name, whole_article=False)
    docs = json.loads(corpus.read_text(encoding="utf-8"))
    golden = json.loads((DATA / "golden_rules_en.json").read_text(encoding="utf-8"))
    battery = json.loads((DATA / "news_battery.json").read_text(encoding="utf-8"))
    result = {
        "golden": sum(sentences(paragraph_tool, c["text"]) == c["sentences"] for c in golden),
        "golden_total": len(golden),
        "battery": sum(sentences(paragraph_tool, c["text"]) == c["sentences"] for c in battery),
        "battery_total": len(battery),
    }
    tool(docs[0])  # warm-up
    times, errors = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        all_spans = [tool(doc) for doc in docs]
        times.append(time.perf_counter() - start)
    errors = sum(offset_errors(doc, spans) for doc, spans in zip(docs, all_spans, strict=True))
    size = sum(len(d.encode("utf-8")) for d in docs)
    result |= {"seconds": statistics.median(times), "runs": runs, "bytes": size, "offset_errors": errors,
               "sentences": sum(len(s) for s in all_spans)}  # fmt: skip
    if name == "news":  # linearity: one 1 MB article vs one 2 MB article
        para = "\n\n".join(docs)
        one, two = para[: 1024 * 1024], para[: 2 * 1024 * 1024]
        t = {}
        for label, text in (("1MB", one), ("2MB", two)):
            samples = []
            for _ in range(3):
                start = time.perf_counter()
                tool(text)
                samples.append(time.perf_counter() - start)
            t[label] = statistics.median(samples)
        result["linear"] = t
    return result


def build_corpus(lee_dir: Path, out: Path) -> int:
    articles = []
    for name in ("lee_background.cor", "lee.cor"):
        # The Lee files are Latin-1 (a pound sign is byte 0xa3).
        articles += [
            line.strip() for line in (lee_dir / name).read_text(encoding="latin-1").splitlines() if line.strip()
        ]
    articles.append((ROOT / "examples" / "articles" / "paris-security-guarantees.txt").read_text(encoding="utf-8"))
    docs, size, i = [], 0, 0
    while size < TARGET_BYTES:
        doc = articles[i % len(articles)]
        docs.append(doc)
        size += len(doc.encode("utf-8"))
        i += 1
    out.write_text(json.dumps(docs), encoding="utf-8")
    return len(set(articles))


def write_results(results: dict, distinct: int) -> None:
    news, sx, sbd = results["news"], results["sentencex"], results["pysbd"]
    mbps = {k: v["bytes"] / v["seconds"] / 1e6 for k, v in results.items()}
    lines = [
        "## Sentence splitting (`benchmarks/split_bench.py`)",
        "",
        f"Corpus: {news['bytes'] / 1e6:.2f} MB in article-sized documents, built from {distinct} distinct real "
        "articles (the Lee news corpus of ABC news from gensim's test data, plus the example article) repeated "
        "to size. One call per article, character offsets on. Median of the runs shown; all tools in one run "
        f"of the script on {time.strftime('%Y-%m-%d')}.",
        "",
        "| splitter | Golden Rules | news battery | MB/s | runs | offset errors |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in (("annotate `news`", news), ("sentencex", sx), ("pysbd (char_span)", sbd)):
        key = {"annotate `news`": "news", "sentencex": "sentencex", "pysbd (char_span)": "pysbd"}[name]
        lines.append(
            f"| {name} | {r['golden']}/{r['golden_total']} | {r['battery']}/{r['battery_total']} | "
            f"{mbps[key]:.2f} | {r['runs']} | {r['offset_errors']} |"
        )
    linear = news["linear"]
    lines += [
        "",
        f"- Speed vs pysbd: **{mbps['news'] / mbps['pysbd']:.0f}×** (goal >= 20×).",
        f"- Linearity: one 1 MB article {linear['1MB']:.2f} s, one 2 MB article {linear['2MB']:.2f} s "
        f"(ratio {linear['2MB'] / linear['1MB']:.2f}; goal <= ~2).",
        "- Offset errors: spans out of order, overlapping or past the end, or non-space text left outside "
        "every span, counted per document.",
    ]
    block = write_section("split", lines)
    print(block)


# Languages: Universal Dependencies test files -----------------------------------------------------------
UD_LANGUAGES = {"en": "en_ewt", "es": "es_ancora", "ar": "ar_padt", "nl": "nl_alpino", "de": "de_gsd", "fr": "fr_gsd"}
UD_BLOCK = 10  # sentences a document where a file marks no documents (# newdoc) nor paragraphs (# newpar)
PYSBD_LANGUAGES = {"en", "es", "ar", "nl", "de", "fr"}


def ud_documents(path: Path) -> list[list[list[str]]]:
    """The test file's documents, each a list of paragraphs, each a list of sentence texts (# text):
    split at # newdoc and # newpar where the file has them, else every UD_BLOCK sentences."""
    docs: list[list[list[str]]] = []
    marked = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# newdoc"):
            docs.append([[]])
            marked = True
        elif line.startswith("# newpar"):
            docs = docs or [[]]
            docs[-1].append([])
            marked = True
        elif line.startswith("# text = "):
            if not docs:
                docs.append([[]])
            docs[-1][-1].append(line[len("# text = ") :].strip())
    if not marked:
        flat = [s for d in docs for p in d for s in p]
        docs = [[flat[i : i + UD_BLOCK]] for i in range(0, len(flat), UD_BLOCK)]
    return [[p for p in d if p] for d in docs if any(d)]


def ud_tool(name: str, language: str):
    if name == "news":
        sys.path.insert(0, str(ROOT))
        from annotate.articles.segment import get_splitter

        splitter = get_splitter("news", language)
        return splitter.spans
    if name == "sentencex":
        from sentencex import get_sentence_boundaries

        return lambda text: [(b["start_index"], b["end_index"]) for b in get_sentence_boundaries(language, text)]
    import pysbd

    seg = pysbd.Segmenter(language=language, clean=False, char_span=True)
    return lambda text: [(s.start, s.end) for s in seg.segment(text)]


def _context(text: str, at: int) -> str:
    return f"{text[max(0, at - 70) : at]!r} || {text[at : at + 40]!r}"


def ud_worker(name: str, language: str, path: Path, *, errors: bool = False) -> dict:
    """Boundary precision, recall and F1 of one tool on one language: each paragraph rebuilt by
    joining its sentences with a space; a boundary is the end of a sentence inside a paragraph.
    With `errors`, the context of every missed and every false boundary too."""
    tool = ud_tool(name, language)
    tp = fp = fn = offsets = 0
    missed: list[str] = []
    false: list[str] = []
    for doc in ud_documents(path):
        for paragraph in doc:
            text = " ".join(paragraph)
            gold, at = set(), 0
            for sentence in paragraph[:-1]:
                at += len(sentence)
                gold.add(at)
                at += 1
            spans = tool(text)
            offsets += offset_errors(text, spans)
            found = {len(text[:e].rstrip()) for _, e in spans} - {len(text.rstrip())}
            tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
            if errors:
                missed += [_context(text, at) for at in sorted(gold - found)]
                false += [_context(text, at) for at in sorted(found - gold)]
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(1e-9, precision + recall),
        "boundaries": tp + fn,
        "offset_errors": offsets,
    } | ({"missed": missed, "false": false} if errors else {})


def ud_main(ud: Path, other_python: str | None, *, part: str = "test", errors: Path | None = None) -> None:
    """Every tool on every language's `part` file (test, or dev to choose rules on). Only a test run
    rewrites RESULTS.md. With `errors`, each tool's missed and false boundaries go to that folder."""
    rows = {}
    for language, prefix in UD_LANGUAGES.items():
        path = ud / f"{prefix}-ud-{part}.conllu"
        if not path.is_file() or path.stat().st_size == 0:
            rows[language] = None
            continue
        rows[language] = {}
        for name in ("news", "sentencex", "pysbd"):
            python = other_python if name == "pysbd" else sys.executable
            if python is None:
                continue
            command = [python, __file__, "--ud-worker", name, "--language", language, "--ud", str(path)]
            out = json.loads(subprocess.check_output(command + (["--errors", "-"] if errors else []), text=True,
                                                     cwd="/"))  # fmt: skip
            if errors:
                errors.mkdir(parents=True, exist_ok=True)
                for kind in ("missed", "false"):
                    (errors / f"{language}-{part}-{name}-{kind}.txt").write_text(
                        "".join(line + "\n" for line in out.pop(kind)), encoding="utf-8"
                    )
            rows[language][name] = out
    if part != "test":
        print(json.dumps(rows, indent=1))
        return
    lines = ["## Sentence splitting by language (`benchmarks/split_bench.py --ud`)", "",
             "Universal Dependencies test files (fetched for the run, not committed): each paragraph (`# newpar`, or "
             f"{UD_BLOCK} sentences where a file marks none) rebuilt from its `# text` lines joined by a space; "
             "boundary precision / recall / F1 (a boundary: a sentence end inside a paragraph). annotate's `news` "
             "splitter in the language (`split --language`), sentencex and pysbd (char_span) in the same run. "
             "annotate's rules files (annotate/articles/rules/<language>.json) were chosen on the dev files "
             "(`--part dev --errors DIR` prints every tool's scores there and writes its missed and false boundaries); "
             "the test files were run once, after.", "",
             "| language (treebank) | boundaries | annotate `news` | sentencex | pysbd | offset errors by tool |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for language, found in rows.items():
        if found is None:
            lines.append(f"| {language} ({UD_LANGUAGES[language]}) | not measured: the test file is not in the public "
                         "snapshot (stored with Git LFS) | | | | |")  # fmt: skip
            continue
        cells = [" / ".join(f"{found[n][k]:.3f}" for k in ("precision", "recall", "f1")) if n in found else "-"
                 for n in ("news", "sentencex", "pysbd")]  # fmt: skip
        errors = ", ".join(f"{n} {r['offset_errors']}" for n, r in found.items())
        lines.append(
            f"| {language} ({UD_LANGUAGES[language]}) | {found['news']['boundaries']:,} | "
            + " | ".join(cells)
            + f" | {errors} |"
        )
    print(write_section("split-languages", lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other-python", required=False, help="python of the venv with pysbd and gensim")
    parser.add_argument("--worker")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ud", type=Path, help="a folder of UD test files (xx_treebank-ud-test.conllu): by language")
    parser.add_argument("--ud-worker")
    parser.add_argument("--language", default="en")
    parser.add_argument("--part", default="test", choices=("test", "dev", "train"), help="which UD file (--ud)")
    parser.add_argument("--errors", type=Path, help="--ud: write each tool's missed and false boundaries here")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.corpus, args.runs)))
        return
    if args.ud_worker:
        print(json.dumps(ud_worker(args.ud_worker, args.language, args.ud, errors=args.errors is not None)))
        return
    if args.ud:
        other = str(Path(args.other_python).absolute()) if args.other_python else None
        ud_main(args.ud, other, part=args.part, errors=args.errors.absolute() if args.errors else None)
        return
    if args.other_python:
        args.other_python = str(Path(args.other_python).absolute())
    else:
        parser.error("--other-python is required (see benchmarks/setup_bench_env.sh)")
    lee_dir = Path(
        subprocess.check_output(
            [args.other_python, "-c", "import gensim, os; print(os.path.join(os.path.dirname(gensim.__file__), "
             "'test', 'test_data'))"], text=True,
        ).strip()
    )  # fmt: skip
    corpus = HERE / ".split_corpus.json"
    distinct = build_corpus(lee_dir, corpus)
    results = {}
    for name, python, runs in (
        ("news", sys.executable, args.runs),
        ("sentencex", sys.executable, args.runs),
        ("pysbd", args.other_python, 1),  # ~40 s a pass
    ):
        print(f"running {name} ...", file=sys.stderr)
        out = subprocess.check_output(
            [python, __file__, "--worker", name, "--corpus", str(corpus), "--runs", str(runs)], text=True, cwd="/"
        )
        results[name] = json.loads(out)
    corpus.unlink()
    write_results(results, distinct)


if __name__ == "__main__":
    main()
