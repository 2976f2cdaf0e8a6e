"""The one vector cache: every text is embedded once per (model, model version, kind, text).

Matching, indexing, training and triage ask this cache for vectors; it embeds only the texts it has
not seen, a batch at a time, and stores each batch as soon as it is made (an interrupted run keeps
what it embedded). One SQLite file (WAL, so several commands may share it); without a file, the
cache lives in memory for the process.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from annotate.errors import InputError
from annotate.loop.embeddings import Embedder, Kind, embeddable

BATCH = 64
_LOOKUP = 500  # keys per SELECT (SQLite allows 999 variables by default on older builds)
_SCHEMA = """CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, text_hash BLOB NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, version, kind, text_hash)) WITHOUT ROWID"""


def text_hash(text: str) -> bytes:
    """The key of a text (as embedded): 16 bytes of SHA-256."""
    return hashlib.sha256(embeddable(text).encode("utf-8")).digest()[:16]


class VectorCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._memory: dict[tuple[str, str, str, bytes], np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        self.embedded = 0  # texts embedded by this cache (the rest came from it)

    def _connection(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=60)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.commit()
            except (OSError, sqlite3.Error) as exc:
                raise InputError(f"{self.path}: cannot use this vector cache ({exc})",
                                 hint="give another folder with ANNOTATE_CACHE_DIR, or remove the file "
                                 "(it is only a cache)") from None  # fmt: skip
            self._db = db
        return self._db

    def vectors(self, embedder: Embedder, texts: Sequence[str], kind: Kind, *,
                log: Callable[[str], None] | None = None) -> np.ndarray:  # fmt: skip
        """float32 (len(texts), dim): the vector of each text, embedding only those not cached."""
        keys = [text_hash(t) for t in texts]
        found = self._lookup(embedder, kind, keys)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = embeddable(text)
        if missing:
            self._embed(embedder, kind, missing, found, log)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _lookup(self, embedder: Embedder, kind: Kind, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        head = (embedder.model, embedder.version, kind)
        found = {k: self._memory[(*head, k)] for k in keys if (*head, k) in self._memory}
        db = self._connection()
        wanted = [k for k in dict.fromkeys(keys) if k not in found]
        if db is None or not wanted:
            return found
        for start in range(0, len(wanted), _LOOKUP):
            part = wanted[start : start + _LOOKUP]
            rows = db.execute(
                "SELECT text_hash, vector FROM vectors WHERE model = ? AND version = ? AND kind = ? "
                f"AND text_hash IN ({','.join('?' * len(part))})", [*head, *part])  # fmt: skip
            for key, blob in rows:
                found[key] = self._memory[(*head, key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def _embed(self, embedder: Embedder, kind: Kind, missing: dict[bytes, str], found: dict[bytes, np.ndarray],
               log: Callable[[str], None] | None) -> None:  # fmt: skip
        head = (embedder.model, embedder.version, kind)
        items = list(missing.items())
        db = self._connection()
        for start in range(0, len(items), BATCH):
            part = items[start : start + BATCH]
            made = np.asarray(embedder.embed([t for _, t in part], kind), dtype=np.float32)
            if made.shape[0] != len(part) or made.ndim != 2:
                raise InputError(f"the embedding model {embedder.model} gave {made.shape[0]} vector(s) for "
                                 f"{len(part)} text(s)")  # fmt: skip
            for (key, _), vector in zip(part, made, strict=True):
                found[key] = self._memory[(*head, key)] = vector.copy()
            if db is not None:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)",
                               [(*head, key, found[key].tobytes()) for key, _ in part])  # fmt: skip
                db.commit()
            self.embedded += len(part)
            if log is not None and (start // BATCH) % 16 == 15:
                log(f"embedded {min(start + BATCH, len(items))} of {len(items)} new text(s) ({embedder.model})")
