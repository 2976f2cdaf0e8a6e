"""A persistent index of past checks (`annotate index PAST... -o DIR`), which `match --against DIR`
reads instead of reading and embedding the files again.

DIR holds `manifest.json` (the format, the embedding model and version or none, the matching
settings, the inputs with their SHA-256, the count), `checks.jsonl` (one past check a line, with its
date and language) and, with a model, `vectors.npy` (float32, one passage vector a check, in the
order of checks.jsonl). The lexical statistics (TF-IDF) are fitted at match time on the index's texts
and the claims being matched: 1-2 s for 14,231 checks, measured in benchmarks/RESULTS.md.

Updating: running `annotate index` again on the same DIR adds the new checks and replaces an entry
whose id or URL comes again (an updated or retracted check); vectors of the entries kept are
reused, so only new texts are embedded. An index made with another model or settings is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from annotate.errors import InputError, UsageError
from annotate.inputs import Problem, problems_error, read_json, read_jsonl
from annotate.loop.embeddings import PASSAGE
from annotate.loop.fusion import Semantic, Settings, settings_for
from annotate.loop.pastchecks import PastCheck, read_past_files, with_language
from annotate.loop.similarity import clean_text
from annotate.loop.vectors import text_hash

FORMAT = "annotate-past-checks/1"
MANIFEST = "manifest.json"
CHECKS = "checks.jsonl"
VECTORS = "vectors.npy"
_MAKE_AGAIN = "make the index again with `annotate index PAST... -o DIR`"


@dataclass
class PastIndex:
    checks: list[PastCheck]
    vectors: np.ndarray | None  # one row a check, or None for a lexical index
    manifest: dict[str, Any]


def is_index(path: Path) -> bool:
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def _model(semantic: Semantic | None) -> dict[str, str] | None:
    return semantic.model if semantic is not None else None


def _describe(model: dict[str, str] | None) -> str:
    return f"{model['model']} {model['version']}" if model else "no embedding model (lexical)"


def load_index(folder: Path, *, semantic: Semantic | None, settings: Settings | None = None) -> PastIndex:
    """The index in `folder`, refused (InputError) when it was made with another model or settings
    than this run's."""
    folder = Path(folder)
    try:
        manifest = read_json(folder / MANIFEST, expected="an index manifest")
    except InputError as exc:
        raise InputError(exc.message, hint=_MAKE_AGAIN) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise InputError(f"{folder}: not an index of past checks (manifest format {found!r}, expected {FORMAT!r})",
                         hint="make it with `annotate index PAST... -o DIR`")  # fmt: skip
    settings = settings or settings_for(semantic)
    if manifest.get("model") != _model(semantic) or manifest.get("settings") != settings.as_dict():
        raise InputError(f"{folder}: made with {_describe(manifest.get('model'))} and settings "
                         f"{manifest.get('settings')}; this run uses {_describe(_model(semantic))} and "
                         f"{settings.as_dict()}",
                         hint="make the index again with this model (`annotate index PAST... -o DIR`), or run with "
                         "the model it was made with (with or without --lexical)")  # fmt: skip
    try:
        lines = read_jsonl(folder / CHECKS, expected="the index's checks.jsonl")
    except InputError as exc:
        raise InputError(exc.message, hint=_MAKE_AGAIN) from None
    checks, problems = [], list(lines.problems)
    for line in lines.lines:
        try:
            checks.append(PastCheck(**line.value))
        except TypeError as exc:  # not an object, or not a past check's fields
            problems.append(Problem(line.number, f"{folder / CHECKS}: line {line.number}: not a past check ({exc})"))
    if problems:
        raise problems_error(problems, hint=_MAKE_AGAIN)
    try:
        vectors = np.load(folder / VECTORS, allow_pickle=False) if manifest.get("model") else None
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: a damaged index ({exc})", hint="make it again with `annotate index`") from None
    if vectors is not None and len(vectors) != len(checks):
        raise InputError(f"{folder}: {len(vectors)} vectors for {len(checks)} checks (a damaged index)",
                         hint="make it again with `annotate index`")  # fmt: skip
    return PastIndex(checks, vectors, manifest)


@dataclass
class IndexReport:
    folder: Path
    checks: int
    added: int
    replaced: int
    embedded: int
    model: dict[str, str] | None
    inputs: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "folder": str(self.folder)}

    def text(self) -> str:
        return (f"{self.folder}: {self.checks} past check(s) ({self.added} added, {self.replaced} replaced); "
                f"{self.embedded} text(s) embedded with {_describe(self.model)}")  # fmt: skip


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_index(new: dict[Path, list[PastCheck]], folder: Path, *, semantic: Semantic | None) -> IndexReport:
    """Write (or update) the index in `folder` with the past checks read from each input file."""
    from annotate.outputs import replace_folder

    folder = Path(folder)
    settings = settings_for(semantic)
    old = load_index(folder, semantic=semantic, settings=settings) if is_index(folder) else None
    if folder.exists() and old is None and any(folder.iterdir()):
        raise UsageError(f"-o {folder}: a folder that is not an index; give a new or empty folder")
    entries: dict[str, PastCheck] = {}
    by_url: dict[str, str] = {}
    known: dict[bytes, np.ndarray] = {}
    if old is not None:
        for n, check in enumerate(old.checks):
            entries[check.id] = check
            if check.url:
                by_url[check.url] = check.id
            if old.vectors is not None:
                known[text_hash(clean_text(check.indexed_text))] = old.vectors[n]
    added = replaced = 0
    for checks in new.values():
        for check in checks:
            check = with_language(check)
            # The entry of the same id and the entry of the same URL (one or two) give way to it.
            same = {check.id, *([by_url[check.url]] if check.url in by_url else [])}
            earlier = [
                entries.pop(k) for k in sorted(same) if k in entries and (k == check.id or entries[k].url == check.url)
            ]
            replaced += bool(earlier)
            added += not earlier
            entries[check.id] = check
            if check.url:
                by_url[check.url] = check.id
    checks = list(entries.values())
    vectors, embedded = _index_vectors(checks, known, semantic) if semantic is not None else (None, 0)
    inputs = dict((old.manifest.get("inputs") or {}) if old else {})
    inputs |= {str(path): _sha256(path) for path in new if Path(path).is_file()}
    manifest = {"format": FORMAT, "model": _model(semantic), "settings": settings.as_dict(), "inputs": inputs,
                "checks": len(checks), "lexical": "TF-IDF fitted at match time"}  # fmt: skip

    def build(tmp: Path) -> Sequence[Path]:
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        with (tmp / CHECKS).open("w", encoding="utf-8") as out:
            for check in checks:
                out.write(json.dumps(asdict(check)) + "\n")  # ASCII: a lone surrogate is escaped
        written = [tmp / MANIFEST, tmp / CHECKS]
        if vectors is not None:
            np.save(tmp / VECTORS, vectors.astype(np.float32), allow_pickle=False)
            written.append(tmp / VECTORS)
        return written

    replace_folder(folder, build)
    return IndexReport(folder, len(checks), added, replaced, embedded, _model(semantic),
                       {str(p): len(c) for p, c in new.items()})  # fmt: skip


def _index_vectors(checks: list[PastCheck], known: dict[bytes, np.ndarray],
                   semantic: Semantic) -> tuple[np.ndarray, int]:  # fmt: skip
    """The checks' vectors (those of the old index reused by text) and how many were embedded now."""
    texts = [clean_text(c.indexed_text) for c in checks]
    missing = [t for t in dict.fromkeys(texts) if text_hash(t) not in known]
    before = semantic.cache.embedded
    if missing:
        for text, vector in zip(missing, semantic.vectors(missing, PASSAGE), strict=True):
            known[text_hash(text)] = vector
    vectors = np.stack([known[text_hash(t)] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)
    return vectors, semantic.cache.embedded - before


def index_files(paths: Sequence[Path], folder: Path, *, projects_dir: Path | None = None,
                semantic: Semantic | None = None) -> IndexReport:  # fmt: skip
    """`annotate index`: read every past-check file (every problem reported together), then index."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.verdicts import load_mapping
    from annotate.outputs import refuse_overwriting_inputs
    from annotate.resources import shipped_projects_dir

    refuse_overwriting_inputs({"-o": folder}, list(paths))
    projects_dir = projects_dir or shipped_projects_dir()
    mapping = load_mapping(verdict_options(projects_dir, "strict").mapping_path)
    for path in paths:
        if is_index(path):
            raise UsageError(f"{path}: an index; give the past-check files it was made from")
    return build_index(read_past_files(paths, mapping, projects_dir=projects_dir), folder, semantic=semantic)
