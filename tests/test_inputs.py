"""The shared readers (annotate.inputs) on hostile files: deep nesting, lone surrogates, NUL, bad
bytes, byte order marks, NaN, huge numbers, truncated JSON, bad JSONL lines, awkward tables; then the
readers of past checks, indexes and matches.jsonl that use them, and the commands that read those."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.inputs import MAX_DEPTH, Line, Problem, Row, problems_error, read_json, read_jsonl, read_table
from annotate.loop.match import read_matches, write_matches
from annotate.loop.pastchecks import PastCheck, read_against, read_past_files

from .conftest import write_export
from .hostile import no_crash, run  # noqa: F401  (no_crash: autouse fixture)
from .test_match import MAPPING, _review, claims_export


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


def error_of(read: object, *args: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        read(*args, **kwargs)  # type: ignore[operator]
    return info.value


# read_json -------------------------------------------------------------------------------------
@pytest.mark.parametrize("brackets", ["[", '{"a":'])
def test_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path, brackets: str) -> None:
    path = write(tmp_path / "deep.json", brackets * 100_000)
    assert error_of(read_json, path).message == f"{path}: nested more than {MAX_DEPTH} levels deep (line 1)"
    closed = write(tmp_path / "closed.json", "[\n" * 100_000 + "]" * 100_000)
    assert error_of(read_json, closed).message == f"{closed}: nested more than {MAX_DEPTH} levels deep (line 65)"


def test_the_depth_limit_is_exact_and_brackets_in_strings_do_not_count(tmp_path: Path) -> None:
    assert read_json(write(tmp_path / "a.json", "[" * MAX_DEPTH + "]" * MAX_DEPTH)) is not None
    with pytest.raises(InputError, match="nested more than"):
        read_json(write(tmp_path / "b.json", "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)))
    text = json.dumps({"claim": "[" * 500, "quoted": '\\"[[[' + "{" * 100, "list": [[["]]]]]"]]]})
    assert read_json(write(tmp_path / "c.json", text))["claim"] == "[" * 500


def test_a_lone_surrogate_in_a_value_or_a_key_becomes_a_replacement_character(tmp_path: Path) -> None:
    path = write(tmp_path / "s.json", r'{"claim": "A \ud800 claim", "k\udc00ey": ["x\ud83d"], "ok": "\ud83d\ude00"}')
    warned: list[str] = []
    value = read_json(path, warn=warned.append)
    assert value == {"claim": "A \ufffd claim", "k\ufffdey": ["x\ufffd"], "ok": "\U0001f600"}
    assert json.dumps(value, ensure_ascii=False).encode("utf-8")  # encodable: printing, hashing, C libraries
    assert warned == [f"{path}: 3 string(s) held a lone surrogate or a NUL character, replaced by U+FFFD "
                      "(first: $.claim)"]  # fmt: skip


def test_a_nul_character_becomes_a_replacement_character(tmp_path: Path) -> None:
    assert read_json(write(tmp_path / "n.json", r'["a\u0000b"]')) == ["a\ufffdb"]
    raw = error_of(read_json, write(tmp_path / "raw.json", b'["a\x00b"]'))  # a raw NUL is not JSON
    assert raw.message.startswith(f"{tmp_path / 'raw.json'}: not valid JSON at line 1, column 4: Invalid control")


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    path = write(tmp_path / "l.json", b'{\n"claim": "caf\xe9"}')
    assert error_of(read_json, path).message == f"{path}: not valid UTF-8 at byte 15 (line 2)"
    bom = write(tmp_path / "bom.json", b'\xef\xbb\xbf{\n"claim": "caf\xe9"}')
    assert error_of(read_json, bom).message == f"{bom}: not valid UTF-8 at byte 18 (line 2)"  # offset in the file
    utf16 = write(tmp_path / "u.json", '{"a": 1}'.encode("utf-16"))
    assert "UTF-16 text" in error_of(read_json, utf16).message


def test_a_utf8_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    assert read_json(write(tmp_path / "bom.json", b'\xef\xbb\xbf{"a": "\xc3\xa9"}')) == {"a": "é"}


def test_nan_infinity_and_huge_numbers_are_all_reported_with_their_json_path(tmp_path: Path) -> None:
    path = write(tmp_path / "n.json", '{"a": NaN, "b": [1, -Infinity, 1e400], "c d": ' + "7" * 5000 + "}")
    assert error_of(read_json, path).message.splitlines() == [
        f"{path}: $.a: NaN, which JSON does not allow; write null or a number",
        f"{path}: $.b[1]: -Infinity, which JSON does not allow; write null or a number",
        f"{path}: $.b[2]: 1e400 is beyond the range of a number; write null or a smaller number",
        f"{path}: $['c d']: an integer of 5000 digits, more than the 4300 Python reads; write long numbers as strings",
    ]


@pytest.mark.parametrize(("content", "message"), [
    ('[{"claim": "x"},\n {"claim": ', "not valid JSON at line 2, column 12: Expecting value"),
    ('{"claim": "x"', "not valid JSON at line 1, column 14: Expecting ',' delimiter"),
    ('{"claim": "x}', "not valid JSON at line 1, column 11: Unterminated string"),
    (" \n", "empty, expected a JSON file"),
])  # fmt: skip
def test_truncated_or_empty_json_is_located(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "t.json", content)
    assert error_of(read_json, path).message == f"{path}: {message}"


def test_a_missing_file_or_a_folder(tmp_path: Path) -> None:
    assert error_of(read_json, tmp_path / "nope.json").message == f"{tmp_path / 'nope.json'}: no such file"
    assert "is a directory, expected past checks" in error_of(read_json, tmp_path, expected="past checks").message


# read_jsonl ------------------------------------------------------------------------------------------
def test_jsonl_reports_each_bad_line_and_reads_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "m.jsonl", b'{"n": 1}\n{oops\n{"n": 3}\n' + b"[" * 10_000 + b'\n\n{"n": NaN}\n{"n": 7}\n')
    found = read_jsonl(path)
    assert found.lines == [Line(1, {"n": 1}), Line(3, {"n": 3}), Line(7, {"n": 7})]
    assert found.problems == [
        Problem(2, f"{path}: line 2: not valid JSON at column 2: Expecting property name enclosed in double quotes"),
        Problem(4, f"{path}: line 4: nested more than {MAX_DEPTH} levels deep"),
        Problem(6, f"{path}: line 6: $.n: NaN, which JSON does not allow; write null or a number"),
    ]


def test_jsonl_lines_that_are_not_utf8_and_lines_with_surrogates(tmp_path: Path) -> None:
    path = write(tmp_path / "m.jsonl", b'\xef\xbb\xbf{"a": "\\ud800"}\r\n{"b": "\xff"}\n["x\xe2\x80\xa8y"]\n')
    warned: list[str] = []
    found = read_jsonl(path, warn=warned.append)
    assert found.lines == [Line(1, {"a": "\ufffd"}), Line(3, ["x\u2028y"])]  # U+2028 does not end a line
    assert found.problems == [Problem(2, f"{path}: line 2: not valid UTF-8 at byte 27 of the file")]
    assert warned == [f"{path}: 1 string(s) held a lone surrogate or a NUL character, replaced by U+FFFD "
                      "(first: line 1, $.a)"]  # fmt: skip


def test_problems_are_listed_in_line_order_the_file_first() -> None:
    error = problems_error([Problem(5, "f: line 5: b"), Problem(0, "f: a"), Problem(2, "f: line 2: c")], hint="h")
    assert error.message.splitlines() == ["f: a", "f: line 2: c", "f: line 5: b"] and error.hint == "h"


# read_table ---------------------------------------------------------------------------------------
def test_a_table_with_a_nul_byte_reads_with_a_replacement_character(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"id,claim\n1,a\x00b\n2,c\n")
    warned: list[str] = []
    table = read_table(path, warn=warned.append)
    assert table.rows == [Row(2, ("1", "a\ufffdb")), Row(3, ("2", "c"))]
    assert warned == [f"{path}: 1 NUL character(s) replaced by U+FFFD (first on line 2)"]


def test_a_cell_larger_than_csvs_limit_is_read_and_the_limit_restored(tmp_path: Path) -> None:
    limit = csv.field_size_limit()
    huge = "x" * (limit * 3)
    table = read_table(write(tmp_path / "t.tsv", f"id\tclaim\n1\t{huge}\n"))
    assert table.rows == [Row(2, ("1", huge))]
    assert csv.field_size_limit() == limit


def test_ragged_rows_are_problems_with_their_line_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b'\xef\xbb\xbfid,claim\r\n\r\n1,"two\r\nlines"\r\n2\r\n , \r\n3,x,y\r\n4,z\r\n')
    table = read_table(path)
    assert table.header == ("id", "claim")  # the byte order mark is not part of the first column's name
    assert table.rows == [Row(3, ("1", "two\r\nlines")), Row(8, ("4", "z"))]
    assert table.problems == [Problem(5, f"{path}: line 5: 1 cell(s), the header has 2"),
                              Problem(7, f"{path}: line 7: 3 cell(s), the header has 2")]  # fmt: skip


def test_every_line_of_a_table_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", b"id,claim\n1,caf\xe9\n2,ok\n3,na\xefve\n")
    assert error_of(read_table, path).message == f"{path}: not valid UTF-8 on line(s) 2, 4 (first at byte 14)"


def test_an_empty_table_has_no_header(tmp_path: Path) -> None:
    assert read_table(write(tmp_path / "t.csv", "\n \n")).header == ()


# Past checks and indexes (`annotate match --against`, `annotate index`) -------------------------
def test_claimreview_title_date_and_language(tmp_path: Path) -> None:
    first = _review("Crime doubled", "False", "https://fc/1") | {
        "name": "Did crime double?",
        "datePublished": "2025-03-01",
        "inLanguage": "en-GB",
    }
    second = _review("Taxes fell", "True", "https://fc/2") | {
        "headline": "Taxes fell",
        "inLanguage": {"@type": "Language", "name": "Deutsch", "alternateName": "de"},
    }
    third = _review("Prices rose", "True", "https://fc/3") | {"inLanguage": {"@type": "Language", "name": "English"}}
    path = write(tmp_path / "r.jsonld", json.dumps([first, second, third]))
    assert [(c.title, c.date, c.language) for c in read_against(path, MAPPING)] == [
        ("Did crime double?", "2025-03-01", "en-GB"), ("", "", "de"), ("", "", ""),
    ]  # fmt: skip


def test_a_table_with_title_date_and_language_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "id,claim,verdict,title,date,language\n"
                                     "1,Crime doubled,false,Did it?,2025-03-01,en\n")  # fmt: skip
    assert read_against(path, MAPPING) == [PastCheck("1", "Crime doubled", "false", "false", "", "", "table",
                                                     title="Did it?", date="2025-03-01", language="en")]  # fmt: skip


def test_hostile_past_check_files_are_reported_not_crashed_on(tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.jsonld", "[" * 100_000)
    with pytest.raises(InputError, match=r"deep\.jsonld: nested more than 64 levels deep"):
        read_against(deep, MAPPING)
    nested = write(tmp_path / "nested.jsonld", "[" * 60 + json.dumps(_review("Crime doubled", "False", "u")) + "]" * 60)
    assert [c.claim for c in read_against(nested, MAPPING)] == ["Crime doubled"]  # within the limit: found
    review = _review("Crime \ud800 doubled", "False", "https://fc/1", org="Full\x00Fact")
    odd = write(tmp_path / "odd.jsonld", json.dumps(review))
    assert [(c.claim, c.organization) for c in read_against(odd, MAPPING)] == [
        ("Crime \ufffd doubled", "Full\ufffdFact")
    ]
    table = write(tmp_path / "t.csv", b"id,claim\n1,Crime\x00doubled\n2\n")
    with pytest.raises(InputError, match=r"t\.csv: line 3: 1 cell\(s\), the header has 2"):
        read_against(table, MAPPING)


def test_every_bad_past_check_file_is_reported(tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100_000)
    bad = write(tmp_path / "bad.csv", "id,claim\n1,\n2,x\n2,y\n")
    good = write(tmp_path / "good.csv", "id,claim\n1,Crime doubled\n")
    with pytest.raises(InputError) as info:
        read_past_files([deep, good, bad], MAPPING)
    assert info.value.message.splitlines() == [
        f"{deep}: nested more than 64 levels deep (line 1)",
        f"{bad}: line 2: empty claim",
        f"{bad}: line 4: id '2' already on line 3",
    ]


def test_match_names_every_bad_against_file(tmp_path: Path) -> None:
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    deep = write(tmp_path / "deep.json", "[" * 100_000)
    bad = write(tmp_path / "bad.csv", b"id,claim\n1,ok\n2\n3,caf\xc3\xa9,x\n")
    result = run("match", claims, "--against", deep, "--against", bad, "--lexical", code=1,
                 says=[f"Error: {deep}: nested more than 64 levels deep", f"{bad}: line 3: 1 cell(s), the header has 2",
                       f"{bad}: line 4: 3 cell(s), the header has 2"])  # fmt: skip
    assert result.stdout == ""


def test_match_reads_a_lone_surrogate_and_a_nul_in_past_checks(tmp_path: Path) -> None:
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    review = _review("Putin ruled out a ceasefire in Ukraine", "False", "https://fc/\udfff", org="Full\ud800Fact")
    reviews = write(tmp_path / "r.jsonld", json.dumps([review]))
    table = write(tmp_path / "t.tsv", b"id\tclaim\tverdict\tdate\n"
                                      b"9\tThe city spent $2 million on the new bridge\0\ttrue\t2025\n")  # fmt: skip
    out = tmp_path / "matches.jsonl"
    result = run("match", claims, "--against", reviews, "--against", table, "--lexical", "-o", out, code=0)
    assert "by Full\ufffdFact (en) https://fc/\ufffd" in result.stdout
    assert '"The city spent $2 million on the new bridge\ufffd" by unknown (2025, en)' in result.stdout
    assert "\ufffd" in out.read_text(encoding="utf-8")


def test_match_names_every_bad_line_of_an_index(tmp_path: Path) -> None:
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    table = write(tmp_path / "t.csv", "id,claim\n1,Crime doubled\n2,Taxes fell\n3,Prices rose\n")
    index = tmp_path / "index"
    run("index", table, "-o", index, "--lexical", code=0)
    lines = (index / "checks.jsonl").read_text(encoding="utf-8").splitlines()
    write(index / "checks.jsonl", "\n".join([lines[0], "[" * 100_000, lines[2], '{"id": 1}']) + "\n")
    run("match", claims, "--against", index, "--lexical", code=1,
        says=[f"Error: {index / 'checks.jsonl'}: line 2: nested more than 64 levels deep",
              f"{index / 'checks.jsonl'}: line 4: not a past check"])  # fmt: skip
    write(index / "manifest.json", "{" * 100_000)
    run(
        "match",
        claims,
        "--against",
        index,
        "--lexical",
        code=1,
        says=f"Error: {index / 'manifest.json'}: nested more than 64 levels deep",
    )


# matches.jsonl (`annotate promote --matches`) ---------------------------------------------------
def test_read_matches_lists_every_bad_line_and_repairs_surrogates(tmp_path: Path) -> None:
    from annotate.loop.match import Cluster, Mention

    path = write_matches([Cluster("a/0-1", (Mention({"claim_id": "a/0-1", "claim": "Crime doubled"}),))],
                         tmp_path / "matches.jsonl")  # fmt: skip
    good = path.read_text(encoding="utf-8")
    write(
        path,
        good
        + "[" * 100_000
        + '\n{"cluster_id": "\\ud800", "mentions": [{"claim_id": "b\\udc00"}]}\n'
        + '{"cluster_id": "x", "mentions": []}\n'
        + '{"x": NaN}\n',
    )
    with pytest.raises(InputError) as info:
        read_matches(path)
    assert [line.split(": ", 2)[1:] for line in info.value.message.splitlines()] == [
        ["line 2", "nested more than 64 levels deep"],
        ["line 4", "`mentions` must be a non-empty list of records with a claim_id"],
        ["line 5", "$.x: NaN, which JSON does not allow; write null or a number"],
    ]
    write(path, good + '{"cluster_id": "\\ud800", "mentions": [{"claim_id": "b\\udc00"}]}\n')
    warned: list[str] = []
    clusters = read_matches(path, warn=warned.append)
    assert [(c.cluster_id, c.mentions[0].claim_id) for c in clusters] == [("a/0-1", "a/0-1"), ("\ufffd", "b\ufffd")]
    assert len(warned) == 1 and "2 string(s)" in warned[0]


def test_promote_names_every_bad_line_of_matches_before_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:  # fmt: skip
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    claims = write_export(tmp_path / "claims.json", claims_export(), "claims")
    bad = write(tmp_path / "bad.jsonl", "[" * 100_000 + '\n{"cluster_id": "x"}\n\n{"a": "\\ud800", "b": Infinity}\n')
    result = run("promote", claims, "--matches", bad, "--dry-run", "--url", "http://127.0.0.1:9", code=1,
                 says=[f"Error: {bad}: line 1: nested more than 64 levels deep",
                       f"{bad}: line 2: not a cluster of matches (KeyError: 'mentions')",
                       f"{bad}: line 4: $.b: Infinity, which JSON does not allow"])  # fmt: skip
    assert result.stderr.count(str(bad)) == 3


def test_promote_warns_of_a_repaired_matches_file(tmp_path: Path) -> None:
    from annotate.loop.verification import clusters_for

    matches = write(tmp_path / "m.jsonl", '{"cluster_id": "a/0-1", "mentions": [{"claim_id": "a/0-1", '
                                          '"claim": "Putin \\ud800"}]}\n')  # fmt: skip
    logged: list[str] = []
    (cluster,) = clusters_for([], matches, log=logged.append)
    assert cluster.mentions[0].text == "Putin \ufffd"
    assert logged == [f"Warning: {matches}: 1 string(s) held a lone surrogate or a NUL character, replaced by U+FFFD "
                      "(first: line 1, $.mentions[0].claim)"]  # fmt: skip
