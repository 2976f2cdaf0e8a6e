"""`ui_language` in project.json: the editor's labels, questions and instructions in the annotators'
language, with every stored value, name and hotkey as in the English config."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
from typer.testing import CliRunner

from annotate.cli import app
from annotate.errors import ConfigError
from annotate.labelstudio.api.projects import check_label_config, load_project
from annotate.labelstudio.api.translation import available, shown_strings
from annotate.labelstudio.exported.rules import rules_from_config

from .conftest import ROOT

LANGUAGES = ("es", "ar", "fr", "de", "nl")
PROJECTS = ("claims", "verification")
# Shown strings a language writes as English does (French and Dutch share these words).
SAME_WORD = {("claims", "fr"): {"SOURCE"}, ("verification", "fr"): {"Source", "Article", "Verdict", "Justification"},
             ("verification", "nl"): {"Context"}}  # fmt: skip


def in_language(tmp_path: Path, project: str, code: str | None) -> Path:
    """A copy of the shipped project folders with project.json's ui_language set (None: removed)."""
    projects = tmp_path / "projects"
    if not projects.exists():
        shutil.copytree(ROOT / "projects", projects)
    settings_file = projects / project / "project.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    settings.pop("ui_language", None)
    settings_file.write_text(json.dumps(settings | ({"ui_language": code} if code else {})), encoding="utf-8")
    return projects


def english_and(tmp_path: Path, project: str, code: str):
    english = load_project(project, projects_dir=ROOT / "projects")
    return english, load_project(project, projects_dir=in_language(tmp_path, project, code))


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("project", PROJECTS)
def test_every_shown_string_is_translated(tmp_path: Path, project: str, code: str) -> None:
    english, translated = english_and(tmp_path, project, code)
    strings = json.loads((ROOT / "projects" / project / "i18n" / f"{code}.json").read_text(encoding="utf-8"))
    before, after = shown_strings(english.label_config), shown_strings(translated.label_config)
    assert set(strings) == set(before)  # nothing missing, nothing stale in the shipped file
    left_english = {text for text in after if text in before and strings[text] != text}
    assert not left_english
    assert {k for k, v in strings.items() if k == v} == SAME_WORD.get((project, code), set())
    # The two boolean verdicts are shown through html (an alias "true" blanks Label Studio's editor).
    shown_html = [e.get("html") for e in SafeET.fromstring(translated.label_config).iter("Choice") if e.get("html")]
    assert shown_html == ([strings["true"], strings["false"]] if project == "verification" else [])


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("project", PROJECTS)
def test_stored_values_names_fields_and_hotkeys_are_untouched(tmp_path: Path, project: str, code: str) -> None:
    english, translated = english_and(tmp_path, project, code)
    assert check_label_config(translated.label_config, source="translated") == []
    before, after = rules_from_config(english.label_config), rules_from_config(translated.label_config)
    assert after.relations == before.relations
    assert after.controls.keys() == before.controls.keys()
    for name, control in before.controls.items():
        assert after.controls[name].values == control.values, name
        assert (after.controls[name].to_name, after.controls[name].per_region, after.controls[name].required,
                after.controls[name].when_labels) == (control.to_name, control.per_region, control.required,
                                                      control.when_labels)  # fmt: skip
    assert translated.data_fields() == english.data_fields()

    def hotkeys(xml: str) -> list[tuple[str, str | None, str | None]]:
        return [(e.tag, e.get("name"), e.get("hotkey")) for e in SafeET.fromstring(xml).iter() if e.tag != "Style"]

    assert hotkeys(translated.label_config) == hotkeys(english.label_config)
    # Line by line, only lines with shown strings change; right to left, one <Style> is added.
    added = re.compile(r"  <Style>\n    /\* ui_language .*?</Style>\n", re.S)
    assert len(added.findall(translated.label_config)) == (1 if code == "ar" else 0)
    lines = added.sub("", translated.label_config).splitlines()
    english_lines = english.label_config.splitlines()
    assert len(lines) == len(english_lines)
    changed = [(new, old) for new, old in zip(lines, english_lines, strict=True) if new != old]
    assert changed and all(re.search(r'\b(value|hint|placeholder|requiredMessage)="', old) for _, old in changed)


@pytest.mark.parametrize("code", LANGUAGES)
@pytest.mark.parametrize("project", PROJECTS)
def test_instructions_are_in_the_language_and_teach_the_same_keys(tmp_path: Path, project: str, code: str) -> None:
    english, translated = english_and(tmp_path, project, code)
    direction = ' dir="rtl"' if code == "ar" else ""
    assert translated.instructions.startswith(f'<div lang="{code}"{direction}>\n<h3>')

    def keys(html: str) -> list[str]:  # the letter and digit keys taught, in order
        return [k for k in re.findall(r"<kbd>([^<]*)</kbd>", html) if re.fullmatch(r"[a-z0-9]", k)]

    assert keys(translated.instructions) == keys(english.instructions)
    assert translated.instructions.count("<p>") == english.instructions.count("<p>")
    assert (translated.title, translated.description) == (english.title, english.description)


def test_right_to_left_only_for_arabic(tmp_path: Path) -> None:
    _, arabic = english_and(tmp_path, "claims", "ar")
    _, spanish = english_and(tmp_path / "es", "claims", "es")
    assert "direction: rtl" in arabic.label_config and "direction: rtl" not in spanish.label_config


def test_english_is_the_config_as_written(tmp_path: Path) -> None:
    written = (ROOT / "projects" / "claims" / "config.xml").read_text(encoding="utf-8")
    for code in (None, "en"):
        spec = load_project("claims", projects_dir=in_language(tmp_path, "claims", code))
        assert spec.label_config == written
        assert spec.instructions == (ROOT / "projects" / "claims" / "instructions.html").read_text(encoding="utf-8")


def test_the_languages_are_the_i18n_files() -> None:
    assert available(ROOT / "projects" / "claims") == ["ar", "de", "en", "es", "fr", "nl"]
    assert available(ROOT / "projects" / "verification") == ["ar", "de", "en", "es", "fr", "nl"]


def test_an_unknown_ui_language_names_the_file_the_field_and_the_supported_codes(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "claims", "pt")
    with pytest.raises(ConfigError) as caught:
        load_project("claims", projects_dir=projects)
    settings_file = projects / "claims" / "project.json"
    assert caught.value.message == (f"{settings_file}: ui_language 'pt' is not supported by this project "
                                    "(supported: ar, de, en, es, fr, nl)")  # fmt: skip
    result = CliRunner().invoke(app, ["schema", "claims", "--projects-dir", str(projects), "-o", str(tmp_path / "s")])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {caught.value.message}",
        f"Hint: use one of those, or add {projects / 'claims' / 'i18n' / 'pt.json'} and the instructions in that "
        "language",
    ]


def test_a_missing_or_broken_translation_is_listed_with_where_it_is_shown(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "claims", "es")
    strings_file = projects / "claims" / "i18n" / "es.json"
    strings = json.loads(strings_file.read_text(encoding="utf-8"))
    del strings["Quote"]
    strings["Bad split"] = " "
    strings["Annotate this $kind"] = "Texto a anotar"
    strings["Quotation"] = "Cita"  # as if the English had been changed after translating
    strings_file.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project("claims", projects_dir=projects)
    assert caught.value.message.splitlines() == [
        f"{strings_file}: 3 problem(s) with the 'es' translation of the label config:",
        "the translation of 'Annotate this $kind' must show the same task fields ($kind): 'Texto a anotar'",
        "no translation of 'Quote' (<Choice value>)",
        "the translation of 'Bad split' is empty",
    ]
    assert caught.value.hint is not None and caught.value.hint.endswith("(was the English changed?): 'Quotation'")


def test_a_translation_that_makes_two_answers_alike_is_refused(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "claims", "de")
    strings_file = projects / "claims" / "i18n" / "de.json"
    strings = json.loads(strings_file.read_text(encoding="utf-8")) | {"Other": "Zitat"}
    strings_file.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"<Choices name='claim_types'> has the value\(s\) 'Zitat' more than once"):
        load_project("claims", projects_dir=projects)


def test_missing_translated_instructions_are_named(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "verification", "nl")
    (projects / "verification" / "i18n" / "instructions.nl.html").unlink()
    with pytest.raises(ConfigError) as caught:
        load_project("verification", projects_dir=projects)
    assert caught.value.message == (
        f"{projects / 'verification' / 'i18n' / 'instructions.nl.html'}: cannot be read: the instructions in 'nl' "
        f"(ui_language in {projects / 'verification' / 'project.json'})"
    )


def test_a_translation_file_that_is_not_a_mapping_of_strings_is_refused(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "claims", "fr")
    strings_file = projects / "claims" / "i18n" / "fr.json"
    strings_file.write_text('{"CLAIM": ["AFFIRMATION"]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="expected one JSON object mapping each English string to its translation"):
        load_project("claims", projects_dir=projects)
    strings_file.write_text('{"CLAIM": "AFFIRMATION",}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fr\.json:1:25: not valid JSON"):
        load_project("claims", projects_dir=projects)


def test_special_characters_survive_as_xml(tmp_path: Path) -> None:
    projects = in_language(tmp_path, "verification", "es")
    strings_file = projects / "verification" / "i18n" / "es.json"
    strings = json.loads(strings_file.read_text(encoding="utf-8"))
    strings |= {"true": 'Verdadero <sic> & "cierto"', "Verdict": 'Veredicto & "fallo" <b>'}
    strings_file.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    root = SafeET.fromstring(load_project("verification", projects_dir=projects).label_config)
    (true,) = [c for c in root.iter("Choice") if c.get("value") == "true"]
    assert true.get("html") == 'Verdadero &lt;sic&gt; &amp; "cierto"' and true.get("alias") is None
    assert [h.get("value") for h in root.iter("Header") if "Veredicto" in h.get("value")] == ['Veredicto & "fallo" <b>']
