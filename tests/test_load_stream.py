"""`annotate load` reads task files as a stream (articles/tasks.py TaskFiles): every line is checked
before any project is touched, then the good records go to the server one batch at a time, never
all held at once. Against the in-memory fake of Label Studio 1.23 (tests/fakes.py)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import InputError
from annotate.labelstudio.api import load as loading
from annotate.labelstudio.api.load import REFERENCE_MODEL_VERSION, load_files
from annotate.labelstudio.api.projects import ensure_project, load_project

from .conftest import ROOT
from .fakes import FakeLabelStudio


def task(i: int, **changes: Any) -> dict[str, Any]:
    return {"text": f"Sentence {i}.", "kind": "sentence", "article_id": "a", "sentence_id": f"a-{i}",
            "sentence_index": i, "char_start": 20 * i, "char_end": 20 * i + 11} | changes  # fmt: skip


def write(path: Path, *lines: str | dict[str, Any], bom: bool = False) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


class Recording(FakeLabelStudio):
    """Keeps each task as it was sent (the fake, like the server's task API, shows no task meta)."""

    def __init__(self) -> None:
        super().__init__()
        self.imported: list[dict[str, Any]] = []

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        self.imported += tasks
        return super().import_tasks(project_id, tasks)


class Loader:
    """A fake server with the claims project, and `annotate load`'s library function against it."""

    def __init__(self, tmp_path: Path) -> None:
        self.client, self.config_dir = Recording(), tmp_path / "config"
        self.spec = load_project("claims", projects_dir=ROOT / "projects")
        self.project_id, _ = ensure_project(self.client, self.spec, config_dir=self.config_dir)
        self.log: list[str] = []
        self.progress: list[tuple[int, int]] = []

    def __call__(self, *paths: Path, **options: Any) -> loading.LoadFilesReport:
        self.log.clear()
        self.progress.clear()
        return load_files(self.client, self.spec, list(paths), config_dir=self.config_dir, log=self.log.append,
                          progress=lambda done, total: self.progress.append((done, total)), **options)  # fmt: skip

    def tasks(self) -> list[dict[str, Any]]:
        return [t for _, t in sorted(self.client.stored.items())]

    def ids(self) -> list[str]:
        return [t["data"]["sentence_id"] for t in self.tasks()]


@pytest.fixture
def loader(tmp_path: Path) -> Loader:
    return Loader(tmp_path)


def test_several_files_a_bad_line_and_duplicates_across_files(tmp_path: Path, loader: Loader) -> None:
    first = write(tmp_path / "a.jsonl", task(0), task(1), "{oops", "", task(2))
    second = write(tmp_path / "b.jsonl", task(2), task(3), {"text": "no ids"})
    report = loader(first, second)
    assert (report.load.created, report.load.present, report.load.duplicates_in_input) == (4, 0, 1)
    assert report.rejected == [
        f"{first}:3: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        f"{second}:3: task record lacks kind, article_id, sentence_id, sentence_index, char_start, char_end "
        "(make task files with `annotate split`)",
    ]
    assert loader.log == [f"Error: {line}" for line in report.rejected]
    assert loader.ids() == ["a-0", "a-1", "a-2", "a-3"]
    assert loader.progress[0] == (0, 5) and loader.progress[-1] == (5, 5)  # good records, counted by the scan
    assert report.text() == "created 4, already present 0, rejected 2 (project 'claims', id 1)"

    again = loader(second, first)
    assert (again.load.created, again.load.present, len(again.rejected)) == (0, 4, 2)
    changed = write(tmp_path / "c.jsonl", task(1, text="Sentence one, edited."), task(4))
    report = loader(changed)
    assert (report.load.created, report.load.present, report.load.changed) == (1, 1, ["a-1"])
    assert loader.log == ["Warning: task a-1 is already loaded with a different text; left unchanged"]
    assert loader.ids() == ["a-0", "a-1", "a-2", "a-3", "a-4"]


def test_dry_run_counts_without_creating(tmp_path: Path, loader: Loader) -> None:
    loader(write(tmp_path / "a.jsonl", task(0)))
    report = loader(write(tmp_path / "b.jsonl", task(0), task(1), task(1), "[]"), dry_run=True)
    assert (report.load.created, report.load.present, report.load.duplicates_in_input) == (1, 1, 1)
    assert report.text().startswith("would create 1, already present 1, rejected 1")
    assert loader.ids() == ["a-0"]


@pytest.mark.parametrize(("content", "bom", "byte"), [
    (b'{"text":"caf\xe9"}\n', False, 12),
    (b'{"text":"caf\xe9"}\n', True, 15),  # the byte's offset in the file, BOM included
    (json.dumps(task(0)).encode() + b"\n{oops\n\n" + b'{"text": "\xff"}\n', False, None),
])  # fmt: skip
def test_a_byte_that_is_not_utf8_stops_the_load_before_anything_happens(
    tmp_path: Path, loader: Loader, content: bytes, bom: bool, byte: int | None
) -> None:
    good = write(tmp_path / "a.jsonl", task(0), "{oops")
    bad = tmp_path / "b.jsonl"
    bad.write_bytes((b"\xef\xbb\xbf" if bom else b"") + content)
    if byte is None:
        byte = content.index(b"\xff")
    calls = loader.client.calls.copy()
    with pytest.raises(InputError) as caught:
        loader(good, bad)
    assert caught.value.message == f"{bad}: not valid UTF-8 at byte {byte}"
    assert loader.client.calls == calls  # not even the project was looked up
    assert loader.log == [] and loader.tasks() == []


def test_a_bom_on_the_first_line_and_a_line_separator_inside_a_string(tmp_path: Path, loader: Loader) -> None:
    path = write(tmp_path / "a.jsonl", task(0, text="A\u2028sentence\u2029 split nowhere."), task(1), bom=True)
    report = loader(path)
    assert (report.load.created, report.rejected) == (2, [])
    assert loader.ids() == ["a-0", "a-1"]
    assert loader.tasks()[0]["data"]["text"] == "A\u2028sentence\u2029 split nowhere."


def test_a_bom_elsewhere_is_part_of_the_line(tmp_path: Path, loader: Loader) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(json.dumps(task(0)).encode() + b"\n\xef\xbb\xbf" + json.dumps(task(1)).encode() + b"\n")
    report = loader(path)
    assert report.load.created == 1
    assert report.rejected == [f"{path}:2: not valid JSON (Unexpected UTF-8 BOM (decode using utf-8-sig), column 1)"]


def benchmark_rows(corpus: str, labels: list[str | None]) -> list[dict[str, Any]]:
    return [task(i, corpus=corpus, reference_label=label) for i, label in enumerate(labels)]


def test_reference_labels_as_predictions_on_each_corpus_scale(tmp_path: Path, loader: Loader) -> None:
    """CheckThat!'s No is suggested as no_claim; ClaimBuster's 0 is claim_not_checkworthy: the scale
    of a corpus is known from all its labels (the scan), before its first task is loaded."""
    checkthat = write(tmp_path / "ct.jsonl", *benchmark_rows("ct24", ["Yes", "No", None]))
    claimbuster = [r | {"sentence_id": f"cb-{i}"} for i, r in enumerate(benchmark_rows("cb", ["0", "-1", "1"]))]
    report = loader(checkthat, write(tmp_path / "cb.jsonl", *claimbuster), reference_as="predictions")
    assert (report.load.created, report.references) == (6, 5)
    assert report.text().endswith("; 5 reference label(s) predictions")
    suggested = {
        t["data"]["sentence_id"]: [p["result"][0]["value"]["choices"][0] for p in t["predictions"]]
        for t in loader.tasks()
    }
    assert suggested == {"a-0": ["claim_checkworthy"], "a-1": ["no_claim"], "a-2": [],
                         "cb-0": ["claim_not_checkworthy"], "cb-1": ["no_claim"],
                         "cb-2": ["claim_checkworthy"]}  # fmt: skip
    assert {p["model_version"] for t in loader.tasks() for p in t["predictions"]} == {REFERENCE_MODEL_VERSION}
    assert all("reference_label" in t["data"] and "meta" not in t for t in loader.client.imported)


def test_reference_labels_hidden_by_default(tmp_path: Path, loader: Loader) -> None:
    report = loader(write(tmp_path / "ct.jsonl", *benchmark_rows("ct24", ["Yes", "No"])))
    shown = {k: report.as_dict()[k] for k in ("reference_as", "reference_labels", "created", "rejected")}
    assert shown == {"reference_as": "hidden", "reference_labels": 2, "created": 2, "rejected": 0}
    assert [t["meta"] for t in loader.client.imported] == [{"reference_label": "Yes"}, {"reference_label": "No"}]
    assert all("predictions" not in t and "reference_label" not in t["data"] for t in loader.client.imported)


def test_a_file_that_changes_between_the_scan_and_the_load_is_an_error(tmp_path: Path, loader: Loader) -> None:
    from annotate.articles.tasks import TaskFiles

    path = write(tmp_path / "a.jsonl", task(0), task(1))
    records = TaskFiles.scan([path])
    write(path, task(0), "{oops")
    with pytest.raises(InputError, match=f"{path}:2: not valid JSON .*: {path} changed while it was being loaded"):
        list(records)


class Discarding(FakeLabelStudio):
    """Takes every import and keeps nothing of it, so what stays in memory is the loader's own."""

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        return [next(self._task_ids) for _ in tasks]


def peak_of_a_load(tmp_path: Path, n: int) -> int:
    """tracemalloc's peak, in bytes, while `annotate load` reads and loads n records of ~1 kB."""
    path = write(tmp_path / f"tasks{n}.jsonl", *(task(i, text=f"Sentence {i}. " + "word " * 200) for i in range(n)))
    client, spec = Discarding(), load_project("claims", projects_dir=ROOT / "projects")
    ensure_project(client, spec, config_dir=tmp_path / "config")
    tracemalloc.start()
    try:
        report = load_files(client, spec, [path], config_dir=tmp_path / "config")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.load.created == n
    return peak


@pytest.mark.slow
def test_the_loader_does_not_hold_the_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten times the records, well under ten times the memory: what grows with the input is one
    sentence id per task (the `seen` set), not the records. Batches of 500 here, so that the two
    batches a load holds (one in flight, one being made ready) are small next to 2,000 records."""
    monkeypatch.setattr(loading, "BATCH_SIZE", 500)
    small, large = peak_of_a_load(tmp_path, 2_000), peak_of_a_load(tmp_path, 20_000)
    assert large < 3 * small, (small, large)
