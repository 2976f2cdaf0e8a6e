"""Past fact-checks: what they hold, and reading them from ClaimReview JSON-LD (.jsonld, or
.json holding ClaimReview), tables (.csv/.tsv) and verification exports (.json), through
annotate.inputs (so deep nesting, lone surrogates, NUL and bad bytes are located problems)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate.errors import InputError
from annotate.inputs import Problem, problems_error, read_json, read_table
from annotate.vocabulary import (
    CLAIM_ID,
    CLUSTER_CONFIRMED,
    DIRECT,
    FACTCHECK_URL,
    NORMALIZED_CLAIM,
    VERDICT,
    VERDICT_SOURCE,
)  # fmt: skip

ORIGINS = ("verification", "claimreview", "table")
TABLE_COLUMNS = ("id", "claim", VERDICT, "organization", "url")
OPTIONAL_COLUMNS = ("title", "date", "language")  # read where a table has them


@dataclass(frozen=True)
class PastCheck:
    """A previously verified claim. verdict: our vocabulary (verdict-mapping.json), None when the
    published rating maps to none of it; rating: as published."""

    id: str
    claim: str
    verdict: str | None
    rating: str | None
    organization: str
    url: str
    origin: str  # "verification" | "claimreview" | "table"
    title: str = ""  # the fact-check's headline, where it has one (indexed with the claim)
    date: str = ""  # when it was published (ISO 8601 as given), "" if unknown
    language: str = ""  # ISO 639-1 of the claim, as given or detected; "" if unknown

    @property
    def indexed_text(self) -> str:
        """What matching indexes and embeds (as a passage): the claim, and the title where there is one
        (on CheckThat! 2022 2A train and dev, the title in the embedded passage raised fused MAP@5
        from 0.904/0.944 to 0.907/0.953)."""
        return f"{self.claim} {self.title}" if self.title and self.title != self.claim else self.claim


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", "_", text.strip().casefold())


def rating_to_verdict(mapping: dict[str, Any]) -> dict[str, str]:
    """Published rating (casefolded, spaces as _) -> our verdict: the verdicts themselves, their
    ClaimReview alternateName, and the other taxonomies' names the mapping lists as `not_offered`."""
    verdicts = mapping.get("verdicts", {})
    table = {_key(v): v for v in verdicts}
    for v, entry in verdicts.items():
        name = (entry.get("claimreview") or {}).get("alternateName")
        if name:
            table.setdefault(_key(name), v)
    for name, entry in (mapping.get("not_offered") or {}).items():
        target = entry.get("maps_to") if isinstance(entry, dict) else None
        if target in verdicts:
            table.setdefault(_key(name), target)
    if "pants_on_fire" in table:  # PolitiFact writes pants-fire
        table.setdefault("pants_fire", table["pants_on_fire"])
    return table


def _numeric_verdict(rating: dict[str, Any], mapping: dict[str, Any]) -> str | None:
    """The verdict of a rating given only as a number, when it is on the mapping's scale (1-5)."""
    scale = mapping.get("claimreview_scale", {"worstRating": 1, "bestRating": 5})
    try:
        value = float(rating["ratingValue"])
        if any(float(rating.get(k, scale[k])) != float(scale[k]) for k in ("worstRating", "bestRating")):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    verdicts = mapping.get("verdicts", {})
    found = [v for v, e in verdicts.items() if (e.get("claimreview") or {}).get("ratingValue") == value]
    return found[0] if len(found) == 1 else None


def read_against(path: Path, mapping: dict[str, Any], *, projects_dir: Path | None = None) -> list[PastCheck]:
    """The past checks in one file: ClaimReview JSON-LD (.jsonld, or .json holding ClaimReview), a
    table (.csv/.tsv with id, claim, verdict, organization, url; optional title, date, language), or
    a verification export (.json). InputError listing every problem of the file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _read_table(path, mapping)
    if suffix not in (".json", ".jsonld"):
        raise InputError(f"{path}: not a file of past checks (.jsonld, .json, .csv or .tsv)",
                         hint="give ClaimReview JSON-LD, a verification export, or a table with columns "
                         f"{', '.join(TABLE_COLUMNS)}")  # fmt: skip
    data = read_json(path, expected="ClaimReview JSON-LD or a verification export")
    if suffix == ".jsonld" or _looks_like_claimreview(data):
        return _read_claimreview(path, data, mapping)
    return _read_verification(path, mapping, projects_dir)


def _looks_like_claimreview(data: Any) -> bool:
    first = data[0] if isinstance(data, list) and data else data
    return isinstance(first, dict) and any(k in first for k in ("@type", "@graph", "@context"))


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    names = kind if isinstance(kind, list) else [kind]
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if n}


def _claimreviews(data: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every ClaimReview node with its JSON path: a single object, a list, or an @graph (nested).
    The recursion is bounded: read_json refuses data nested deeper than inputs.MAX_DEPTH."""
    if isinstance(data, list):
        for n, item in enumerate(data):
            yield from _claimreviews(item, f"{where}[{n}]")
    elif isinstance(data, dict):
        if "ClaimReview" in _types(data):
            yield where, data
        elif "@graph" in data:
            yield from _claimreviews(data["@graph"], f"{where}['@graph']")


def _name(node: Any) -> str:
    if isinstance(node, list):
        return _name(node[0]) if node else ""
    if isinstance(node, dict):
        return str(node.get("name") or node.get("url") or "")
    return str(node or "")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# A language tag (BCP 47: "en", "pt-BR"), not a language's name ("English").
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def _language(value: Any) -> str:
    """inLanguage: a tag, or a Language object whose alternateName or name is one; "" otherwise."""
    if isinstance(value, list):
        return _language(value[0]) if value else ""
    names = [value.get("alternateName"), value.get("name")] if isinstance(value, dict) else [value]
    return next((n.strip() for n in names if isinstance(n, str) and _LANGUAGE_TAG.fullmatch(n.strip())), "")


def _read_claimreview(path: Path, data: Any, mapping: dict[str, Any]) -> list[PastCheck]:
    ratings = rating_to_verdict(mapping)
    checks, problems = [], []
    for where, node in _claimreviews(data, "$"):
        claim = node.get("claimReviewed")
        if not isinstance(claim, str) or not claim.strip():
            problems.append(f"{path}: {where}: a ClaimReview without claimReviewed (the claim's text)")
            continue
        rating = node.get("reviewRating")
        rating = rating[0] if isinstance(rating, list) and rating else rating
        name, verdict = None, None
        if isinstance(rating, dict):
            name = rating.get("alternateName") or rating.get("name")
            name = str(name) if name is not None else None
            verdict = ratings.get(_key(name)) if name else _numeric_verdict(rating, mapping)
            if name is None and rating.get("ratingValue") is not None:
                name = f"{rating.get('ratingValue')}/{rating.get('bestRating', '?')}"
        url = str(node.get("url") or "")
        title = _text(node.get("name")) or _text(node.get("headline"))
        checks.append(PastCheck(url or f"{path.name}#{where}", claim.strip(), verdict, name, _name(node.get("author")),
                                url, "claimreview", title=title if title != claim.strip() else "",
                                date=_text(node.get("datePublished")),
                                language=_language(node.get("inLanguage"))))  # fmt: skip
    if problems:
        raise InputError("\n".join(problems), hint="each ClaimReview needs claimReviewed; fix or remove those objects")
    if not checks:
        raise InputError(f"{path}: no ClaimReview object found (a single object, a list, or an @graph of objects "
                         "with \"@type\": \"ClaimReview\")")  # fmt: skip
    return checks


def _read_table(path: Path, mapping: dict[str, Any]) -> list[PastCheck]:
    ratings = rating_to_verdict(mapping)
    table = read_table(path)
    if not table.header:
        raise InputError(f"{path}: empty; expected a header with {', '.join(TABLE_COLUMNS)}")
    header = [h.strip().lower() for h in table.header]
    missing = [c for c in ("id", "claim") if c not in header]
    if missing:
        raise InputError(f"{path}: line 1: no column {' or '.join(missing)} (header: {', '.join(table.header)})",
                         hint=f"the first line names the columns: {', '.join(TABLE_COLUMNS)} (verdict, organization "
                         f"and url may be empty; {', '.join(OPTIONAL_COLUMNS)} may be added)")  # fmt: skip
    col = {name: header.index(name) for name in (*TABLE_COLUMNS, *OPTIONAL_COLUMNS) if name in header}
    checks, problems, ids = [], list(table.problems), {}
    for row in table.rows:
        cell = {name: row.cells[i].strip() for name, i in col.items()}
        if not cell["id"] or not cell["claim"]:
            problems.append(Problem(row.line, f"{path}: line {row.line}: empty {'id' if not cell['id'] else 'claim'}"))
            continue
        if cell["id"] in ids:
            problems.append(Problem(row.line, f"{path}: line {row.line}: id {cell['id']!r} already on line "
                                              f"{ids[cell['id']]}"))  # fmt: skip
            continue
        ids[cell["id"]] = row.line
        rating = cell.get(VERDICT) or None
        checks.append(PastCheck(cell["id"], cell["claim"], ratings.get(_key(rating)) if rating else None, rating,
                                cell.get("organization", ""), cell.get("url", ""), "table", title=cell.get("title", ""),
                                date=cell.get("date", ""), language=cell.get("language", "")))  # fmt: skip
    if problems:
        raise problems_error(problems, hint="fix those rows (every row needs an id and a claim)")
    return checks


def _read_verification(path: Path, mapping: dict[str, Any], projects_dir: Path | None) -> list[PastCheck]:
    """The gold verdicts of a verification export (the `verdicts` table's rules), reviewed by the
    verification project's reviewing_organization."""
    from annotate.dataset.build import verdict_options
    from annotate.dataset.collect import read_collection
    from annotate.dataset.verdicts import verdicts_table
    from annotate.labelstudio.exported.exports import open_exports
    from annotate.resources import shipped_projects_dir

    options = verdict_options(projects_dir or shipped_projects_dir(), "strict")  # falls back to the shipped project
    exports = open_exports([path], project="verification", projects_dir=options.mapping_path.parent.parent)
    collection = read_collection(exports).part(verification=True)
    if not collection.sentences:
        raise InputError(f"{path}: no verification task in this export",
                         hint="give an export of the verification project, ClaimReview JSON-LD or a table")  # fmt: skip
    organization = str(options.organization.get("name") or "")
    checks = []
    for row in verdicts_table(collection, mapping).to_dict("records"):
        # Only what a verifier decided: not a verdict spread to an unconfirmed mention or copied
        # from an earlier fact-check (those would come back as our own checks).
        if not isinstance(row[VERDICT], str) or row[VERDICT_SOURCE] not in (DIRECT, CLUSTER_CONFIRMED):
            continue
        rating = (mapping["verdicts"].get(row[VERDICT], {}).get("claimreview") or {}).get("alternateName")
        checks.append(PastCheck(str(row[CLAIM_ID]), str(row[NORMALIZED_CLAIM] or row["claim"] or ""), row[VERDICT],
                                rating or row[VERDICT], organization, str(row[FACTCHECK_URL] or row["url"] or ""),
                                "verification"))  # fmt: skip
    return checks


def read_past_files(paths: Iterable[Path], mapping: dict[str, Any], *, projects_dir: Path | None = None
                    ) -> dict[Path, list[PastCheck]]:  # fmt: skip
    """The past checks of each file; every file is read, and the problems of all of them are raised
    together (one InputError)."""
    found: dict[Path, list[PastCheck]] = {}
    problems: list[str] = []
    for path in paths:
        try:
            found[Path(path)] = read_against(Path(path), mapping, projects_dir=projects_dir)
        except InputError as exc:
            problems.append(exc.message)
    if problems:
        raise InputError("\n".join(problems), hint="fix or leave out those files; nothing was read from any")
    return found


def with_language(check: PastCheck) -> PastCheck:
    """The check with its language as a primary subtag ("en-US" and "EN" are "en"): as given, else
    detected from its claim ("" when too short to tell)."""
    from dataclasses import replace

    from annotate.loop.fusion import language_of
    from annotate.loop.similarity import clean_text

    given = re.split(r"[-_]", check.language.strip(), maxsplit=1)[0].lower()
    return replace(check, language=given or language_of(clean_text(check.claim)))
