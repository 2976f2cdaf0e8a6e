"""How matching scores: its settings (lexical alone, or fused with an embedding model), the
vectors it asks the one cache for, and the language of a text.

fused = weight * cosine + (1 - weight) * lexical, both in [0, 1]: the cosine is rescaled from
`cosine_floor` (e5's cosine of unrelated texts is about 0.8, which counts as 0) to 1. The settings were chosen by
benchmarks/match_bench.py on CLEF CheckThat! 2022 task 2A English data, never on its test queries:
- `cosine_floor` is the median cosine of a train tweet and a verified claim that is not its own;
- `weight` maximises MAP@5 on the train and dev queries;
- `cluster_threshold` maximises pairwise F1 of clusters on the train tweets that share a gold
  verified claim;
- `safe_cut` is the lowest score from which a top match is right at least 90% of the time on the
  dev queries with half of them stripped of their gold check (so a false flag is possible): only
  matches from there are "previously checked"; the rest are candidates for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from annotate.loop.embeddings import Embedder, Kind
from annotate.loop.vectors import VectorCache


@dataclass(frozen=True)
class Settings:
    weight: float  # on the embedding cosine; 0 is lexical alone
    cluster_threshold: float  # two mentions are one claim from this score
    safe_cut: float  # a past check is "previously checked" from this score
    cosine_floor: float = 0.0  # the cosine of unrelated texts, which counts as 0 (cosines are rescaled to [0, 1])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


LEXICAL = Settings(weight=0.0, cluster_threshold=0.4, safe_cut=0.384)
SEMANTIC = Settings(weight=0.5, cluster_threshold=0.3, safe_cut=0.343, cosine_floor=0.77)


@dataclass
class Semantic:
    """An embedding model and the vector cache it goes through."""

    embedder: Embedder
    cache: VectorCache
    log: Callable[[str], None] | None = None

    @property
    def model(self) -> dict[str, str]:
        return {"model": self.embedder.model, "version": self.embedder.version}

    def vectors(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        return self.cache.vectors(self.embedder, texts, kind, log=self.log)


def settings_for(semantic: Semantic | None) -> Settings:
    return SEMANTIC if semantic is not None else LEXICAL


# Language ----------------------------------------------------------------------------------------
MIN_WORDS = 5  # shorter texts are not told apart by language (too little to go on)


@lru_cache(maxsize=1 << 14)
def language_of(text: str) -> str:
    """ISO 639-1 code of the text's language (py3langid, its model installed with it), or "" for a
    text too short to tell. Read in lower case: capitals mislead the model (of 997 CheckThat! 2022
    English train tweets, 22 were read as another language as written, 4 in lower case)."""
    if len(text.split()) < MIN_WORDS:
        return ""
    import py3langid

    return str(py3langid.classify(text.lower())[0])


def same_language(a: str, b: str) -> bool:
    """Whether two language codes may be one language ("" is unknown: it may)."""
    return not a or not b or a == b
