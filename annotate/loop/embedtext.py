"""What an embedder is given: a text and its kind, a query or a passage. Kept apart from
annotate.loop.embeddings so that the back ends in their own modules (annotate.loop.onnx_embedder)
can use these while embeddings.choose_embedder imports the back ends, with no import cycle;
embeddings re-exports them."""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["query", "passage"]
QUERY: Kind = "query"
PASSAGE: Kind = "passage"

# A C string ends at NUL, and UTF-8 has no lone surrogates: texts are made embeddable first (the
# cache hashes the text as embedded).
_UNEMBEDDABLE = re.compile(r"[\x00\ud800-\udfff]")


def embeddable(text: str) -> str:
    """`text` with NUL characters and lone surrogates replaced by U+FFFD."""
    return _UNEMBEDDABLE.sub("\ufffd", text)
