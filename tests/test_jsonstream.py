"""jsonstream.iter_array: the same items as json.loads, and errors at the same place, whatever the
size of the chunks the file is read in (items cut off by a chunk's end, read ahead or retried)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.labelstudio.exported.jsonstream import iter_array

DATA = Path(__file__).parent / "data" / "claims_export_valid.json"


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 4 * 1024 * 1024])
def test_items_are_those_of_json_loads_for_any_chunk_size(chunk: int) -> None:
    assert list(iter_array(DATA, chunk=chunk)) == json.loads(DATA.read_text(encoding="utf-8"))


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 4 * 1024 * 1024])
def test_a_broken_item_is_reported_at_its_line_and_column_for_any_chunk_size(tmp_path: Path, chunk: int) -> None:
    tasks = json.loads(DATA.read_text(encoding="utf-8"))
    text = json.dumps(tasks, indent=1, ensure_ascii=False)
    broken = text.replace('"kind": "sentence"', '"kind": sentence', 1)
    line = broken[: broken.index("sentence,")].count("\n") + 1
    path = tmp_path / "broken.json"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(iter_array(path, chunk=chunk))
    assert caught.value.message.startswith(f"{path}:{line}:")
    assert "not valid JSON" in caught.value.message
