"""The ONNX embedder on a tiny model built here (a word-level tokenizer and a Gather + MatMul graph):
shapes, norms, pooling against numpy, prefixes, versions, and every bad folder."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, models, pre_tokenizers, processors

from annotate.errors import InputError, UsageError
from annotate.loop.embeddings import PASSAGE, QUERY, choose_embedder
from annotate.loop.onnx_embedder import OnnxEmbedder

WORDS = ["putin", "rejects", "troops", "in", "ukraine", "nato", "will", "not", "send", "query", "passage", ":"]
VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: n + 4 for n, w in enumerate(WORDS)}}
DIM = 8


def write_tokenizer(path: Path) -> None:
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])]
    )
    tokenizer.save(str(path))


def weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"E": rng.normal(size=(len(VOCAB), DIM)).astype(np.float32),
            "T": rng.normal(size=(2, DIM)).astype(np.float32),
            "W": rng.normal(size=(DIM, DIM)).astype(np.float32)}  # fmt: skip


def write_model(path: Path, w: dict[str, np.ndarray], *, types: bool = True, output: str = "last_hidden_state",
                pooled_too: bool = False, flat: bool = False, extra_input: str = "") -> None:  # fmt: skip
    """hidden = (E[ids] + T[types]) @ W (attention_mask is declared, unused); `flat`: a (batch, dim) output."""
    seq = helper.make_tensor_value_info
    inputs = [seq("input_ids", TensorProto.INT64, ["b", "s"]), seq("attention_mask", TensorProto.INT64, ["b", "s"])]
    nodes = [helper.make_node("Gather", ["E", "input_ids"], ["tok"])]
    if extra_input:  # declared, unused
        inputs.append(seq(extra_input, TensorProto.INT64, ["b", "s"]))
    if types:
        inputs.append(seq("token_type_ids", TensorProto.INT64, ["b", "s"]))
        nodes += [helper.make_node("Gather", ["T", "token_type_ids"], ["typ"]),
                  helper.make_node("Add", ["tok", "typ"], ["emb"])]  # fmt: skip
    # Like a real encoder's, the hidden state at padding is not zero: pooling must use the mask.
    nodes.append(helper.make_node("MatMul", ["emb" if types else "tok", "W"], ["hidden"]))
    outputs = [seq(output, TensorProto.FLOAT, ["b", DIM] if flat else ["b", "s", DIM])]
    nodes.append(helper.make_node("ReduceMean", ["hidden", "axis1"], [output], keepdims=0) if flat
                 else helper.make_node("Identity", ["hidden"], [output]))  # fmt: skip
    if pooled_too:
        nodes.append(helper.make_node("ReduceMax", ["hidden", "axis1"], ["sentence_embedding"], keepdims=0))
        outputs.append(seq("sentence_embedding", TensorProto.FLOAT, ["b", DIM]))
    init = [numpy_helper.from_array(v, k) for k, v in w.items()]
    init.append(numpy_helper.from_array(np.array([1], np.int64), "axis1"))
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def folder(root: Path, name: str = "tiny", *, seed: int = 0, settings: dict | None = None, **model: object) -> Path:
    out = root / name
    out.mkdir(parents=True)
    write_model(out / "model.onnx", weights(seed), **model)  # type: ignore[arg-type]
    write_tokenizer(out / "tokenizer.json")
    if settings is not None:
        (out / "annotate-embedder.json").write_text(json.dumps(settings), encoding="utf-8")
    return out


def reference(texts: list[str], w: dict[str, np.ndarray], *, pooling: str = "mean") -> np.ndarray:
    """The same pooling in numpy, one text at a time (no padding)."""
    rows = []
    for text in texts:
        words = re.findall(r"\w+|[^\w\s]+", text)  # the Whitespace pre-tokenizer's split
        ids = [VOCAB["[CLS]"], *(VOCAB.get(t, VOCAB["[UNK]"]) for t in words), VOCAB["[SEP]"]]
        hidden = (w["E"][ids] + w["T"][0]) @ w["W"]
        vector = hidden[0] if pooling == "cls" else hidden.mean(axis=0)
        rows.append(vector / np.linalg.norm(vector))
    return np.array(rows, dtype=np.float32)


TEXTS = ["putin rejects troops in ukraine", "nato", "nato will not send troops", "putin rejects troops in ukraine"]


def test_vectors_are_unit_float32_rows_equal_to_numpy(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(folder(tmp_path))
    found = embedder.embed(TEXTS, PASSAGE)
    assert found.shape == (4, DIM) and found.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(found, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(found[0], found[3])
    np.testing.assert_allclose(found, reference(TEXTS, weights(0)), rtol=1e-4, atol=1e-5)
    assert embedder.model == "tiny" and re.fullmatch(r"[0-9a-f]{16}", embedder.version)
    assert embedder.embed([], QUERY).shape == (0, DIM)


def test_mean_pooling_ignores_padding_and_batches(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(folder(tmp_path), batch=2)
    alone = embedder.embed(["nato"], PASSAGE)
    padded = embedder.embed(["nato", "putin rejects troops in ukraine nato will not send troops"], PASSAGE)
    np.testing.assert_allclose(alone[0], padded[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(embedder.embed(TEXTS, PASSAGE), reference(TEXTS, weights(0)), rtol=1e-4, atol=1e-5)


def test_texts_are_cut_at_max_length_tokens(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(folder(tmp_path, settings={"max_length": 4}))  # [CLS] two words [SEP]
    found = embedder.embed(["putin rejects troops in ukraine"], PASSAGE)
    np.testing.assert_allclose(found, reference(["putin rejects"], weights(0)), rtol=1e-4, atol=1e-5)


def test_cls_pooling_and_only_declared_inputs_are_fed(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(folder(tmp_path, settings={"pooling": "cls"}, types=False))
    w = weights(0)
    w["T"][:] = 0  # this model has no token types
    np.testing.assert_allclose(embedder.embed(TEXTS, PASSAGE), reference(TEXTS, w, pooling="cls"), rtol=1e-4, atol=1e-5)


def test_a_sentence_embedding_output_is_taken_as_pooled(tmp_path: Path) -> None:
    found = OnnxEmbedder(folder(tmp_path, pooled_too=True)).embed(["nato will not send troops"], PASSAGE)
    ids = [VOCAB[t] for t in ["[CLS]", "nato", "will", "not", "send", "troops", "[SEP]"]]
    w = weights(0)
    expected = ((w["E"][ids] + w["T"][0]) @ w["W"]).max(axis=0)
    np.testing.assert_allclose(found[0], expected / np.linalg.norm(expected), rtol=1e-4, atol=1e-5)


def test_prefixes_change_the_vector_only_when_configured(tmp_path: Path) -> None:
    plain = OnnxEmbedder(folder(tmp_path, "plain"))
    np.testing.assert_array_equal(plain.embed(["nato"], QUERY), plain.embed(["nato"], PASSAGE))
    e5_like = {"query_prefix": "query: ", "passage_prefix": "passage: "}
    prefixed = OnnxEmbedder(folder(tmp_path, "prefixed", settings=e5_like))
    query, passage = prefixed.embed(["nato"], QUERY), prefixed.embed(["nato"], PASSAGE)
    assert not np.allclose(query, passage)
    np.testing.assert_allclose(query, reference(["query: nato"], weights(0)), rtol=1e-4, atol=1e-5)


def test_an_e5_model_gets_e5_prefixes_unless_told_otherwise(tmp_path: Path) -> None:
    by_folder = OnnxEmbedder(folder(tmp_path, "my-e5-small"))
    assert (by_folder.settings.query_prefix, by_folder.settings.passage_prefix) == ("query: ", "passage: ")
    by_config = folder(tmp_path, "exported")
    (by_config / "config.json").write_text(json.dumps({"_name_or_path": "intfloat/multilingual-e5-small"}))
    assert OnnxEmbedder(by_config).settings.query_prefix == "query: "
    told = OnnxEmbedder(folder(tmp_path, "other-e5", settings={"query_prefix": "", "name": "mine"}))
    assert (told.settings.query_prefix, told.settings.passage_prefix, told.model) == ("", "passage: ", "mine")


def test_the_version_follows_the_weights_and_settings_not_the_name(tmp_path: Path) -> None:
    a, same = OnnxEmbedder(folder(tmp_path, "a")), OnnxEmbedder(folder(tmp_path, "b"))
    assert a.version == same.version and a.model != same.model
    assert OnnxEmbedder(folder(tmp_path, "c", seed=1)).version != a.version
    assert OnnxEmbedder(folder(tmp_path, "d", settings={"pooling": "cls"})).version != a.version
    assert OnnxEmbedder(folder(tmp_path, "e", settings={"query_prefix": "q "})).version != a.version


def test_the_model_is_found_in_an_onnx_subfolder_or_as_the_only_onnx_file(tmp_path: Path) -> None:
    nested = folder(tmp_path, "nested")
    (nested / "onnx").mkdir()
    (nested / "model.onnx").rename(nested / "onnx" / "model.onnx")
    (nested / "onnx" / "model_quantized.onnx").write_bytes(b"never loaded")
    assert OnnxEmbedder(nested).embed(["nato"], QUERY).shape == (1, DIM)
    alone = folder(tmp_path, "alone")
    (alone / "model.onnx").rename(alone / "encoder.onnx")
    assert OnnxEmbedder(alone).embed(["nato"], QUERY).shape == (1, DIM)


def test_choose_embedder_takes_a_folder(tmp_path: Path) -> None:
    path = folder(tmp_path)
    assert isinstance(choose_embedder(path), OnnxEmbedder)
    assert choose_embedder(path, lexical=True) is None


def bad_folders(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (folder, what the message must say)."""
    a_file = tmp_path / "model.txt"
    a_file.write_text("x")
    no_onnx = folder(tmp_path, "no-onnx")
    (no_onnx / "model.onnx").unlink()
    several = folder(tmp_path, "several")
    (several / "model.onnx").rename(several / "a.onnx")
    (several / "b.onnx").write_bytes(b"x")
    no_tokenizer = folder(tmp_path, "no-tokenizer")
    (no_tokenizer / "tokenizer.json").unlink()
    return {"missing": (tmp_path / "nowhere", "no such folder"), "file": (a_file, "not a folder"),
            "no onnx": (no_onnx, "no .onnx file"), "several": (several, "a.onnx, b.onnx"),
            "no tokenizer": (no_tokenizer, "no tokenizer.json")}  # fmt: skip


def test_every_bad_folder_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    for name, (path, says) in bad_folders(tmp_path).items():
        with pytest.raises(UsageError) as caught:
            OnnxEmbedder(path)
        assert str(path) in caught.value.message and says in caught.value.message, name
        assert caught.value.exit_code == 2 and caught.value.hint, name


def test_a_missing_runtime_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(UsageError, match=re.escape("pip install 'annotate[onnx]'")):
        OnnxEmbedder(folder(tmp_path))


def test_a_broken_model_or_settings_file_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    corrupt = folder(tmp_path, "corrupt")
    (corrupt / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match=re.escape(f"{corrupt / 'model.onnx'}: cannot load the model")):
        OnnxEmbedder(corrupt)
    flat = folder(tmp_path, "flat", output="pooled", flat=True)
    with pytest.raises(InputError, match=re.escape(f"{flat / 'model.onnx'}: output 'pooled' has shape (1, {DIM})")):
        OnnxEmbedder(flat).embed(["nato"], QUERY)
    position_ids = folder(tmp_path, "position-ids", extra_input="position_ids")
    with pytest.raises(InputError, match=re.escape(f"{position_ids / 'model.onnx'}: the model's inputs are input_ids")):
        OnnxEmbedder(position_ids)
    broken = folder(tmp_path, "broken")
    (broken / "tokenizer.json").write_text("{")
    with pytest.raises(InputError, match=re.escape(f"{broken / 'tokenizer.json'}: cannot load the tokenizer")):
        OnnxEmbedder(broken)
    for settings, says in [({"pool": "mean"}, "unknown key 'pool'"), ({"pooling": "max"}, "pooling must be"),
                           ({"max_length": "512"}, "max_length must be a whole number")]:  # fmt: skip
        path = folder(tmp_path, f"settings-{len(says)}", settings=settings)
        with pytest.raises(InputError, match=re.escape(f"{path / 'annotate-embedder.json'}: {says}")):
            OnnxEmbedder(path)
