"""An embedding model the user brings as a local folder (`--embedder PATH`), run with onnxruntime.

The folder holds the model as one `.onnx` file (`model.onnx` if there are several; Hugging Face
exports keep it in an `onnx/` subfolder, which is looked in too) and its `tokenizer.json` (the
Hugging Face `tokenizers` format). Nothing is downloaded. An optional `annotate-embedder.json`
in the folder says how to use the model; every key may be left out:

    {"name": "my-model", "query_prefix": "query: ", "passage_prefix": "passage: ",
     "pooling": "mean", "max_length": 512}

Without it: the folder's name, mean pooling, 512 tokens and no prefixes, except that a model whose
folder name or config.json `_name_or_path` contains "e5" gets e5's `query: ` / `passage: `.
A model with a `sentence_embedding` output is taken as pooled already; otherwise its first output
is the last hidden state, pooled over the attention mask. Needs `pip install 'annotate[onnx]'`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from annotate.errors import InputError, UsageError, unreadable
from annotate.loop.embedtext import QUERY, Kind, embeddable

SETTINGS_FILE = "annotate-embedder.json"
BATCH = 32
INSTALL = "pip install 'annotate[onnx]'"
_FEEDS = ("input_ids", "attention_mask", "token_type_ids")


@dataclass(frozen=True)
class OnnxSettings:
    """How a model folder is used: annotate-embedder.json over the defaults."""

    name: str
    query_prefix: str = ""
    passage_prefix: str = ""
    pooling: Literal["mean", "cls"] = "mean"
    max_length: int = 512


def find_model(folder: Path) -> tuple[Path, Path]:
    """The folder's .onnx file and tokenizer.json; UsageError saying what is missing."""
    where = f"--embedder {folder}"
    give = "give the folder holding the model's .onnx file and tokenizer.json"
    if not folder.exists():
        raise UsageError(f"{where}: no such folder", hint=give)
    if not folder.is_dir():
        raise UsageError(f"{where}: is a file, not a folder", hint=give)
    places = [folder, folder / "onnx"]
    named = [place / "model.onnx" for place in places if (place / "model.onnx").is_file()]
    found = named or sorted(p for place in places if place.is_dir() for p in place.glob("*.onnx") if p.is_file())
    if not found:
        raise UsageError(f"{where}: no .onnx file in {folder} or {folder / 'onnx'}",
                         hint="export the model to ONNX (for example with optimum) into that folder")  # fmt: skip
    if len(found) > 1:
        names = ", ".join(str(p.relative_to(folder)) for p in found)
        raise UsageError(f"{where}: several .onnx files and none is model.onnx: {names}",
                         hint="rename the one to use model.onnx, or move the others away")  # fmt: skip
    tokenizer = folder / "tokenizer.json"
    if not tokenizer.is_file():
        raise UsageError(f"{where}: no tokenizer.json in {folder}",
                         hint="save the model's tokenizer there (its save_pretrained writes it)")  # fmt: skip
    return found[0], tokenizer


def read_settings(folder: Path) -> OnnxSettings:
    """annotate-embedder.json of `folder` over the defaults (e5's prefixes for an e5 model)."""
    base = folder.resolve().name
    hub_name = ""
    config = folder / "config.json"
    if config.is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):  # only read for the model's name
            hub_name = str(json.loads(config.read_text(encoding="utf-8")).get("_name_or_path", ""))
    e5 = "e5" in base.lower() or "e5" in hub_name.lower()
    defaults = OnnxSettings(name=base, query_prefix="query: " if e5 else "", passage_prefix="passage: " if e5 else "")
    path = folder / SETTINGS_FILE
    if not path.exists():
        return defaults
    try:
        given = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read it as JSON: {exc}") from None
    types = {"name": str, "query_prefix": str, "passage_prefix": str, "pooling": str, "max_length": int}
    kinds = {str: "a string", int: "a whole number"}
    if not isinstance(given, dict):
        raise InputError(f"{path}: expected a JSON object with keys {', '.join(types)}")
    for key, value in given.items():
        if key not in types:
            raise InputError(f"{path}: unknown key {key!r}", hint=f"the keys are {', '.join(types)}")
        if not isinstance(value, types[key]) or isinstance(value, bool):
            raise InputError(f"{path}: {key} must be {kinds[types[key]]}, not {value!r}")
    if given.get("pooling", "mean") not in ("mean", "cls"):
        raise InputError(f'{path}: pooling must be "mean" or "cls", not {given["pooling"]!r}')
    if given.get("max_length", 512) < 1:
        raise InputError(f"{path}: max_length must be at least 1, not {given['max_length']}")
    return OnnxSettings(**{**asdict(defaults), **given})


class OnnxEmbedder:
    """An ONNX text encoder from a local folder (see the module's docstring), on the CPU."""

    def __init__(self, folder: Path, *, threads: int = 2, batch: int = BATCH) -> None:
        folder = Path(folder)
        model_file, tokenizer_file = find_model(folder)
        self.settings = read_settings(folder)
        try:
            import onnxruntime
            import tokenizers
        except ImportError as exc:
            raise UsageError(f"--embedder {folder} needs onnxruntime and tokenizers ({exc}): {INSTALL}") from None
        self.model = self.settings.name
        self.version = _version([model_file, *_external_data(model_file), tokenizer_file], self.settings)
        self._file = model_file
        self._batch = batch
        try:
            self._tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # tokenizers raises plain Exception
            raise InputError(f"{tokenizer_file}: cannot load the tokenizer: {exc}") from None
        padding = self._tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else 0
        self._tokenizer.no_padding()  # padded here, on the right, to the longest text of each batch
        self._tokenizer.enable_truncation(self.settings.max_length)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # errors only: onnxruntime's warnings would go to stderr
        try:
            self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors are plain Exception subclasses
            raise InputError(f"{model_file}: cannot load the model: {_first_line(exc)}") from None
        self._inputs = [i.name for i in self._session.get_inputs()]
        unknown = [name for name in self._inputs if name not in _FEEDS]
        if unknown or "input_ids" not in self._inputs:
            raise InputError(f"{model_file}: the model's inputs are {', '.join(self._inputs)}; "
                             f"expected input_ids and optionally {', '.join(_FEEDS[1:])}")  # fmt: skip
        outputs = self._session.get_outputs()
        self._output = next((o for o in outputs if o.name == "sentence_embedding"), outputs[0])
        self._dim: int | None = None

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """float32 (len(texts), dim), each row L2-normalised (a text of no tokens: zeros)."""
        prefix = self.settings.query_prefix if kind == QUERY else self.settings.passage_prefix
        texts = [prefix + embeddable(t) for t in texts]
        if not texts:
            return np.zeros((0, self._dim or self.embed([""], kind).shape[1]), dtype=np.float32)
        found = np.concatenate([self._run(texts[i : i + self._batch]) for i in range(0, len(texts), self._batch)])
        self._dim = found.shape[1]
        norms = np.linalg.norm(found, axis=1, keepdims=True)
        return np.ascontiguousarray(found / np.maximum(norms, 1e-12), dtype=np.float32)

    def _run(self, texts: list[str]) -> np.ndarray:
        """One batch's pooled, not yet normalised vectors."""
        encodings = self._tokenizer.encode_batch(texts)
        width = max(1, *(len(e.ids) for e in encodings))
        ids = np.full((len(texts), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        types = np.zeros((len(texts), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)], mask[row, : len(e.ids)], types[row, : len(e.ids)] = e.ids, 1, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        try:
            (out,) = self._session.run([self._output.name], {name: feeds[name] for name in self._inputs})
        except Exception as exc:
            raise InputError(f"{self._file}: the model failed on a batch: {_first_line(exc)}") from None
        out = np.asarray(out, dtype=np.float32)
        if self._output.name == "sentence_embedding" and out.ndim == 2 and len(out) == len(texts):
            return out
        if out.ndim != 3 or out.shape[:2] != ids.shape:
            expected = f"(batch, tokens, dim) = ({ids.shape[0]}, {ids.shape[1]}, dim), or a sentence_embedding output"
            raise InputError(f"{self._file}: output {self._output.name!r} has shape {out.shape}, expected {expected}")
        if self.settings.pooling == "cls":
            return out[:, 0]
        weights = mask[:, :, None].astype(np.float32)
        return (out * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def _external_data(model_file: Path) -> list[Path]:
    """The weights a large export keeps beside its graph (model.onnx_data, model.onnx.data)."""
    beside = [model_file.with_name(model_file.name + suffix) for suffix in ("_data", ".data")]
    return [path for path in beside if path.is_file()]


def _version(files: list[Path], settings: OnnxSettings) -> str:
    """16 hex of sha256 over the files' bytes and the settings that change a vector (not the name)."""
    whole = hashlib.sha256()
    for path in files:
        try:
            with path.open("rb") as f:
                whole.update(hashlib.file_digest(f, "sha256").digest())
        except OSError as exc:
            raise unreadable(path, exc, expected="a file") from None
    used: dict[str, Any] = asdict(settings)
    del used["name"]
    whole.update(json.dumps(used, sort_keys=True).encode())
    return whole.hexdigest()[:16]


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
