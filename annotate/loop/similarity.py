"""Similarity of claims (lexical, and fused with embedding vectors where there are some), the
candidate pairs worth scoring, the guards against near misses, and the cleaning of texts.

Two TF-IDF cosines, one over stemmed words without stop words (each text by its language's rules:
annotate.loop.lexicon), one over character 4-grams within words, fitted on the texts being
compared; their mean is the lexical score. Three cheap guards stop
near-misses that similarity cannot see: two texts that each carry a number the other lacks, or
where one name is swapped for another, or of which one only is negated, are not the same claim
("fell by 3%" / "fell by 5%", "Macron ruled out" / "Scholz ruled out", "ruled out" / "did not rule
out").

Candidates: two texts are candidates when the words they share, among those in at most
BLOCK_MAX_DF of the texts, give a cosine of at least BLOCK_FLOOR (blocking), or, with vectors, when
one is among the other's nearest by cosine; each text keeps its best candidates, so 100,000 claims
meet about two million scored pairs, not 5e9.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from annotate.loop.lexicon import Lexicon, lexicon, resolve

BLOCK_MAX_DF = 0.005  # a word in more than 0.5% of the texts (and more than BLOCK_MIN_DF) makes no candidates
BLOCK_MIN_DF = 200
BLOCK_FLOOR = 0.1  # two texts whose blocking words have a cosine below this are no candidates
BLOCK_TOP = 30  # candidates kept per text when ranking past checks
CLUSTER_TOP = 10  # and when clustering, where only the best earlier mention counts


# English's words (annotate/loop/words/en.txt); each language's are in annotate.loop.lexicon.
STOP_WORDS = lexicon("en").stop_words
NEGATIONS = lexicon("en").negations
# Capitalised words that name no one: months, days, titles.
NOT_NAMES = frozenset(
    re.findall(
        r"\S+",
        """january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday
mr mrs ms dr sen rep gov president prime minister senator governor former breaking watch update""",
    )
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
CAPITALISED_NOUNS = frozenset({"de"})  # languages whose capital letters tell no names
_NAME_PARTS = re.compile(r"[-.'’]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*[A-Za-z]")


def tokens(text: str, language: str) -> list[str]:
    """Lower-cased, stemmed words without stop words, by the rules of the text's language (none for
    a language without a lexicon): the tokenisation of matching (and of the BM25 baseline in
    benchmarks/match_bench.py)."""
    return lexicon(language).tokens(text)


def text_languages(texts: Sequence[str], known: Sequence[str] | None = None) -> list[str]:
    """The language of each text for its words: `known[i]` where given (a past check's), else
    detected (annotate.loop.fusion.language_of); a text too short to tell takes the most common."""
    from annotate.loop.fusion import language_of

    known = known if known is not None else [""] * len(texts)
    return resolve([k or language_of(t) for t, k in zip(texts, known, strict=True)])


Guard = tuple[frozenset[str], frozenset[str], bool]


class _Guards:
    """(numbers, names, negated) of each text, for the near-miss guards, made when first asked
    for. A name is a capitalised word inside a sentence, or one that starts a sentence and is never
    written in lower case in any of the texts ("Putin ruled out..." is a name, "Unemployment
    fell..." is not); months, days, titles and the text's stop words are no names, and German,
    which capitalises its nouns, has none. Negations are the text's language's (lexicon.negated).
    `languages`: each text's (text_languages), found here if not given."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str] | None = None) -> None:
        self.texts = texts
        self.languages = list(languages) if languages is not None else text_languages(texts)
        self.lower = {w for w in _WORD.findall("\n".join(texts)) if w.islower()}
        self.made: dict[int, Guard] = {}

    def __getitem__(self, i: int) -> Guard:
        if i not in self.made:
            self.made[i] = self._make(self.texts[i], lexicon(self.languages[i]))
        return self.made[i]

    def _make(self, text: str, words_of: Lexicon) -> Guard:
        numbers = frozenset(n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text))
        names = set()
        for found in _NAME.finditer(text) if words_of.language not in CAPITALISED_NOUNS else ():
            before = text[: found.start()].rstrip()
            initial = not before or before[-1] in '.!?:;"“‘(…'
            for part in _NAME_PARTS.split(found.group()):
                word = part.lower()
                if (len(word) < 2 or word in words_of.stop_words or word in NOT_NAMES
                        or (initial and word in self.lower)):  # fmt: skip
                    continue
                names.add(words_of.stem(word))
        negated = words_of.negated(w.replace("’", "'") for w in _WORD.findall(text.lower()))
        return numbers, frozenset(names), negated


def near_miss(a: Guard, b: Guard, *, same_language: bool = True) -> str:
    """Why two texts may be different claims, or "": each side has a number the other lacks, or one
    name is swapped for another (each side has exactly one the other lacks: longer texts that differ
    in several names are left to the score), or one side only is negated. Texts in two languages
    are held to the number guard only (names and negations are written differently)."""
    (na, ma, ga), (nb, mb, gb) = a, b
    if (na - nb) and (nb - na):
        return "different numbers"
    if not same_language:
        return ""
    if len(ma - mb) == 1 == len(mb - ma):
        return "another name"
    return "negated on one side" if ga != gb else ""


def _conflict(a: Guard, b: Guard, *, same_language: bool = True) -> bool:
    return bool(near_miss(a, b, same_language=same_language))


class _Space:
    """The similarity space of a set of texts. Lexical: `words` (stemmed words) and `chars`
    (character 4-grams within words), each L2-normalised TF-IDF fitted on these texts, so the
    lexical score of two texts is the mean of two cosines; `blocks` (word TF-IDF without the
    frequent words) finds candidates. Semantic, when `dense` is given (one L2-normalised vector a
    text): the fused score is weight * cosine + (1 - weight) * lexical, the cosine rescaled to [0, 1]
    from `floor` (the model's cosine of unrelated texts: e5's are about 0.8) up to 1.
    """

    def __init__(self, texts: Sequence[str], dense: np.ndarray | None = None, weight: float = 0.0,
                 floor: float = 0.0, languages: Sequence[str] | None = None) -> None:  # fmt: skip
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Identical texts (a claim repeated word for word) are vectorised once, each text's words
        # by its language's rules (languages: text_languages, found here if not given).
        languages = list(languages) if languages is not None else text_languages(texts)
        unique, first, rows = np.unique(np.asarray(texts, dtype=object), return_index=True, return_inverse=True)
        analysed = [tokens(unique[k], languages[i]) for k, i in enumerate(first.tolist())]
        words = TfidfVectorizer(analyzer=_as_is, sublinear_tf=True, dtype=np.float32)
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True, dtype=np.float32)
        w = _fit(words, analysed)
        self.words = w[rows]  # TfidfVectorizer normalises rows (l2)
        self.chars = _fit(chars, unique)[rows]
        df = np.diff(w.tocsc().indptr)
        keep = df <= max(BLOCK_MIN_DF, BLOCK_MAX_DF * len(unique))
        self.blocks = _normalize(w[:, np.flatnonzero(keep)].tocsr())[rows]
        if dense is not None and len(dense) != len(texts):
            raise ValueError(f"{len(dense)} vectors for {len(texts)} texts")
        self.dense = dense
        self.weight = weight if dense is not None else 0.0
        self.floor = floor

    def lexical(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The lexical scores of the pairs (a[k], b[k]), in [0, 1]."""
        total = np.zeros(len(a), dtype=np.float32)
        for m in (self.words, self.chars):
            total += np.asarray(m[a].multiply(m[b]).sum(axis=1)).ravel()
        return total / 2

    def cosine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The embedding cosines of the pairs, rescaled from `floor` to [0, 1] (zeros without vectors)."""
        if self.dense is None:
            return np.zeros(len(a), dtype=np.float32)
        cosine = np.einsum("ij,ij->i", self.dense[a], self.dense[b])
        return np.clip((cosine - self.floor) / (1.0 - self.floor), 0.0, 1.0).astype(np.float32)

    def pair_scores(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The scores of the pairs (a[k], b[k]): fused where there are vectors, else lexical."""
        lexical = self.lexical(a, b)
        if self.dense is None or self.weight == 0.0:
            return lexical
        return (self.weight * self.cosine(a, b) + (1.0 - self.weight) * lexical).astype(np.float32)


def _as_is(words: list[str]) -> list[str]:
    return words


def _fit(vectorizer: Any, texts: Sequence[Any]) -> sp.csr_matrix:
    """The vectors of texts; none (zero columns) when the texts have no feature at all."""
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # "empty vocabulary": only stop words, or empty texts
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


def _normalize(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms).dot(m).tocsr()


def _candidates(space: _Space, rows: np.ndarray, cols: np.ndarray, *, top: int = BLOCK_TOP,
                chunk: int = 2000, earlier_only: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(row, col, score) for the candidates of each row among cols (indices in the space): its `top`
    best by blocking similarity, and with vectors its `top` nearest by cosine (so that paraphrases
    sharing no rare word meet). earlier_only: rows and cols are the same list and a row only meets
    earlier ones."""
    out_r, out_c = [], []
    col_blocks = space.blocks[cols].T.tocsr()
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        if earlier_only:  # only the columns before this chunk's last row can be earlier
            shared = _strictly_lower((space.blocks[part] @ col_blocks[:, : start + len(part)]).tocsr(), start)
        else:
            shared = (space.blocks[part] @ col_blocks).tocsr()
        r_idx, c_idx = _top_per_row(shared, top, BLOCK_FLOOR)
        out_r.append(part[r_idx])
        out_c.append(cols[c_idx])
    if space.dense is not None and len(rows) and len(cols):
        r_idx, c_idx = nearest(space.dense[rows], space.dense[cols], top, earlier_only=earlier_only)
        out_r.append(rows[r_idx])
        out_c.append(cols[c_idx])
    if not out_r:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float32)
    pairs = np.unique(np.stack([np.concatenate(out_r), np.concatenate(out_c)]), axis=1)
    r, c = pairs[0], pairs[1]
    step = 50_000  # scored by parts: a few MB at a time
    scores = [space.pair_scores(r[i : i + step], c[i : i + step]) for i in range(0, len(r), step)]
    return r, c, np.concatenate(scores) if scores else np.array([], dtype=np.float32)


EXACT_PAIRS = 4e8  # above this many row x column products, nearest() uses faiss where it is installed


def nearest(queries: np.ndarray, vectors: np.ndarray, top: int, *, earlier_only: bool = False,
            chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(row, column) of each query's `top` nearest vectors by inner product. earlier_only: queries
    and vectors are the same list, and a row's candidates are the columns before it (with an
    approximate index, a pair found from either end counts). Exact (numpy) for small inputs; over
    EXACT_PAIRS products, an inverted-file index of faiss-cpu (recall@10 0.998 measured on 100,000
    vectors: benchmarks/RESULTS.md) where it is installed."""
    n, m = len(queries), len(vectors)
    if n * m > EXACT_PAIRS and _faiss() is not None:
        return _nearest_faiss(queries, vectors, top, earlier_only=earlier_only)
    out_r, out_c = [], []
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        width = stop if earlier_only else m
        if width == 0:
            continue
        sims = queries[start:stop] @ vectors[:width].T
        if earlier_only:
            sims[np.arange(stop - start)[:, None] + start <= np.arange(width)[None, :]] = -np.inf
        k = min(top, width)
        if k < width:
            idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        else:
            idx = np.tile(np.arange(width), (stop - start, 1))
        r = np.repeat(np.arange(start, stop), k)
        c = idx.ravel()
        keep = np.isfinite(sims[r - start, c])
        out_r.append(r[keep])
        out_c.append(c[keep])
    if not out_r:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(out_r), np.concatenate(out_c)


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def _nearest_faiss(queries: np.ndarray, vectors: np.ndarray, top: int, *, earlier_only: bool
                   ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    faiss = _faiss()
    faiss.omp_set_num_threads(2)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    m, dim = vectors.shape
    lists = max(1, int(4 * np.sqrt(m)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(m, min(m, 40 * lists), replace=False)
    index.train(vectors[np.sort(sample)])
    index.add(vectors)
    index.nprobe = 16
    _, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), top + int(earlier_only))
    r = np.repeat(np.arange(len(queries)), found.shape[1])
    c = found.ravel().astype(np.int64)
    keep = c >= 0
    r, c = r[keep], c[keep]
    if earlier_only:  # (i, j) with j > i is row j's candidate i
        r, c = np.where(c < r, r, c), np.where(c < r, c, r)
        keep = r != c
        r, c = r[keep], c[keep]
    return r, c


def _strictly_lower(shared: sp.csr_matrix, start: int) -> sp.csr_matrix:
    """Keep entry (i, j) of a chunk starting at row `start` only if j < start + i."""
    coo = shared.tocoo()
    keep = coo.col < coo.row + start
    return sp.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=shared.shape)


def _top_per_row(m: sp.csr_matrix, top: int, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the `top` largest entries of each row that are at least `floor`."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    keep = m.data >= floor
    rows, cols, data = rows[keep], m.indices[keep], m.data[keep]
    order = np.argsort(rows + (1.0 - np.clip(data, 0.0, 1.0)) * 0.5)  # rows in order, each largest first
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(m.shape[0]))
    rank = np.arange(len(rows)) - starts[rows]
    return rows[rank < top], cols[rank < top]


# What is compared: a claim's text without what only adds noise -----------------------------------
_URL = re.compile(r"(?:https?://|www\.)\S+|\bpic\.twitter\.com/\S+|\b[\w-]+\.(?:com|org|net|co|ly|gov)/\S*", re.I)
# A pasted tweet's signature: "— Tim Mak (@timkmak) March 7, 2022": the author's name is kept.
_SIGNATURE = re.compile(r"\s*[—–]\s*([^—–()\n]{1,60}?)\s*\(@(\w+)\)\s+\w+ \d{1,2}, \d{4}\s*$")
_TAG = re.compile(r"(?<![\w@#])[#@]([^\W_]\w*)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def _tag_words(found: re.Match[str]) -> str:
    word = found.group(1).replace("_", " ")
    return _CAMEL.sub(" ", word) if not word.isupper() and not word.islower() else word


def clean_text(text: str) -> str:
    """The text that matching compares and embeds: URLs dropped, a tweet's trailing signature turned
    into its author's name, #hashtags and @handles split into their words ("#StopTheSteal" ->
    "Stop The Steal"), spaces collapsed."""
    text = _SIGNATURE.sub(lambda m: f" {m.group(1)}", text)
    text = _URL.sub(" ", text)
    text = _TAG.sub(_tag_words, text)
    return " ".join(text.split())
