"""Article-grouped train/dev/test splits: every sentence of an article lands in the same split, and
an article keeps its split across reruns (splits.json in the dataset folder)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from annotate.articles.rows import SOURCE_SPLITS
from annotate.dataset.collect import Collection
from annotate.dataset.gold import Gold
from annotate.errors import InputError
from annotate.vocabulary import ARTICLE_ID, SOURCE_SPLIT

SPLITS = ("train", "dev", "test")
SPLITS_FILE = "splits.json"


@dataclass(frozen=True)
class SplitPlan:
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 13
    source: bool = False  # keep the split each benchmark row's file names (train, dev, dev-test, test)

    @classmethod
    def parse(cls, shares: str, seed: int) -> SplitPlan:
        """From "80/10/10" (percentages of train/dev/test), or "source": the benchmark's own splits, and
        80/10/10 for units without one. Raises ValueError with what is wrong."""
        if shares == "source":
            return cls(seed=seed, source=True)
        try:
            ratios = tuple(float(x) / 100 for x in shares.split("/"))
        except ValueError:
            ratios = ()
        if len(ratios) != 3 or abs(sum(ratios) - 1) > 1e-6 or min(ratios) < 0:
            raise ValueError("give three percentages that add up to 100, e.g. 80/10/10")
        return cls(ratios, seed)  # type: ignore[arg-type]


def _rank(seed: int, article_id: str) -> str:
    return hashlib.sha256(f"{seed}:{article_id}".encode()).hexdigest()


def assign_splits(articles: dict[str, str | None], plan: SplitPlan, previous: dict[str, str]) -> dict[str, str]:
    """article -> split. Articles already assigned keep their split; new ones are assigned within each
    stratum (the article's most common gold label) in a seeded order, so each split gets its share."""
    assigned = {a: s for a, s in previous.items() if s in SOURCE_SPLITS}
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


def source_splits(collection: Collection) -> dict[str, str]:
    """article -> the split its benchmark file names (the rows of an article come from one file)."""
    found: dict[str, str] = {}
    for s in collection.sentences.values():
        split = s.data.get(SOURCE_SPLIT)
        if split in SOURCE_SPLITS:
            found.setdefault(str(s.data.get(ARTICLE_ID)), split)
    return found


def plan_splits(collection: Collection, gold_by: Gold, plan: SplitPlan, dataset_dir: Path) -> dict[str, str]:
    """article -> split: the benchmark's own where the plan keeps them, else the earlier run's, else
    assigned by the plan."""
    previous = previous_splits(dataset_dir)
    if plan.source:
        previous |= source_splits(collection)
    return assign_splits(article_labels(collection, gold_by), plan, previous)


def article_labels(collection: Collection, gold_by: Gold) -> dict[str, str | None]:
    """article -> its most common gold label (the stratum of its split)."""
    votes: dict[str, Counter[str]] = {}
    for s in collection.sentences.values():
        gold = gold_by[s.sentence_id][0]
        counter = votes.setdefault(str(s.data.get(ARTICLE_ID)), Counter())
        if gold:
            counter[gold] += 1
    return {a: (c.most_common(1)[0][0] if c else None) for a, c in votes.items()}


def previous_splits(dataset_dir: Path) -> dict[str, str]:
    """The article splits an earlier combine wrote into this folder, so articles keep them."""
    path = dataset_dir / SPLITS_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))["articles"]
    except (ValueError, KeyError, TypeError, OSError):
        raise InputError(f"{path} is not a splits file written by annotate", hint="move it away") from None


def write_splits(dataset_dir: Path, plan: SplitPlan, splits: dict[str, str]) -> Path:
    path = dataset_dir / SPLITS_FILE
    data = {"seed": plan.seed, "ratios": plan.ratios, "source": plan.source, "articles": splits}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
