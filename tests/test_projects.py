from __future__ import annotations

import json
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from annotate.errors import ConfigError, ProjectNotFound
from annotate.labelstudio.api.projects import check_label_config, load_project, stored_value

from .conftest import ROOT


def test_claims_project_has_the_contract_names() -> None:
    spec = load_project("claims", projects_dir=ROOT / "projects")
    root = SafeET.fromstring(spec.label_config)
    text = root.find(".//Text[@name='text']")
    assert text is not None and text.get("value") == "$text"
    span = root.find(".//Labels[@name='span']")
    assert span is not None and span.get("toName") == "text"
    assert {stored_value(label) for label in span.findall("Label")} >= {"CLAIM", "SOURCE"}
    status = root.find(".//Choices[@name='claim_status']")
    assert status is not None and status.get("toName") == "text"
    assert [stored_value(c) for c in status.findall("Choice")] == [
        "no_claim",
        "claim_not_checkworthy",
        "claim_checkworthy",
    ]
    assert spec.title and spec.instructions


def test_every_config_problem_is_reported() -> None:
    xml = """<View>
      <Text name="text" value="$text"/>
      <Labels name="span" toName="txt"></Labels>
      <Choices name="text" toName="text"><Choice value="a"/></Choices>
    </View>"""
    assert check_label_config(xml, source="c.xml") == [
        "c.xml: name 'text' is used by <Text> and <Choices>",
        "c.xml: <Labels name='span'> has toName='txt', but no tag has that name (names: span, text)",
        "c.xml: <Labels name='span'> has no <Label> values",
    ]


def test_malformed_xml_is_located() -> None:
    assert check_label_config("<View>\n<Text name='t'>\n</View>", source="c.xml") == [
        "c.xml:3:2: not well-formed XML: mismatched tag"
    ]


def test_entities_are_not_expanded() -> None:
    xml = '<!DOCTYPE v [<!ENTITY a "aaaa">]><View><Text name="t" value="&a;"/></View>'
    assert check_label_config(xml, source="c.xml") == ["c.xml: forbidden XML construct (EntitiesForbidden)"]


def test_missing_project_lists_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFound) as caught:
        load_project("nope", projects_dir=ROOT / "projects")
    assert caught.value.hint == "available projects: claims, verification"


def test_project_settings_are_checked_against_their_schema(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "config.xml").write_text('<View><Text name="text" value="$text"/></View>')
    (tmp_path / "p" / "project.json").write_text(
        json.dumps({"description": "x", "annotators_per_task": 0, "colour": 1})
    )
    with pytest.raises(ConfigError) as caught:
        load_project("p", projects_dir=tmp_path)
    settings = tmp_path / "p" / "project.json"
    assert caught.value.message.splitlines() == [
        "project 'p' is invalid:",
        f"{settings}: (top): 'title' is a required property",
        f"{settings}: (top): Additional properties are not allowed ('colour' was unexpected)",
        f"{settings}: annotators_per_task: 0 is less than the minimum of 1",
    ]


def test_every_shipped_project_loads_and_maps_to_server_settings() -> None:
    for name in ("claims", "verification"):
        spec = load_project(name, projects_dir=ROOT / "projects")
        settings = spec.server_settings()
        assert settings["title"] == spec.title and settings["expert_instruction"] == spec.instructions
        assert settings["sampling"] == "Sequential sampling" and settings["maximum_annotations"] == 1


def test_uncertainty_sampling_can_be_kept_in_the_folder(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "config.xml").write_text('<View><Text name="text" value="$text"/></View>')
    (tmp_path / "p" / "project.json").write_text(json.dumps({"title": "p", "sampling": "uncertainty"}))
    assert load_project("p", projects_dir=tmp_path).server_settings()["sampling"] == "Uncertainty sampling"


def test_claims_controls_and_values() -> None:
    root = SafeET.fromstring(load_project("claims", projects_dir=ROOT / "projects").label_config)

    def values(tag: str, name: str) -> list[str]:
        element = root.find(f".//{tag}[@name='{name}']")
        assert element is not None, name
        return [stored_value(c) for c in element]

    assert values("Labels", "span") == ["CLAIM", "SOURCE", "CUE"]
    assert [stored_value(r) for r in root.iter("Relation")] == ["attributed_to", "cue_of"]
    assert values("Choices", "claim_types") == [
        "quantity", "correlation_causation", "prediction", "law_rule", "personal_experience", "quote",
        "position_statement", "event_property", "other",
    ]  # fmt: skip
    assert values("Choices", "source_type") == [
        "named_person", "named_organization", "anonymous_or_vague", "document_or_data", "media_outlet", "social_media",
    ]  # fmt: skip
    for name in ("normalized_claim", "source_outside_sentence"):
        area = root.find(f".//TextArea[@name='{name}']")
        assert area is not None and area.get("perRegion") == "true"
    assert root.find(".//Choices[@name='source_type']").get("perRegion") == "true"
    assert values("Choices", "segmentation_issue") == ["bad_split"]
    assert root.find(".//Choices[@name='claim_status']").get("required") == "true"


def test_verification_controls_and_mapping() -> None:
    spec = load_project("verification", projects_dir=ROOT / "projects")
    root = SafeET.fromstring(spec.label_config)
    verdicts = [stored_value(c) for c in root.find(".//Choices[@name='verdict']")]
    assert verdicts == [
        "true", "mostly_true", "half_true", "mostly_false", "false", "misleading", "conflicting_evidence",
        "unverifiable", "wrong_attribution",
    ]  # fmt: skip
    states = [stored_value(c) for c in root.find(".//Choices[@name='verification_state']")]
    assert states == ["unverified", "in_progress", "verified", "needs_second_review"]
    mapping = json.loads((spec.folder / "verdict-mapping.json").read_text())
    assert list(mapping["verdicts"]) == verdicts
    assert {v["fever"] for v in mapping["verdicts"].values()} == {"SUPPORTS", "REFUTES", "NOT ENOUGH INFO"}
    assert mapping["not_offered"]["pants_on_fire"]["maps_to"] == "false"
    assert spec.settings["reviewing_organization"]["name"]


def test_no_config_shows_the_reserved_source_variable() -> None:
    # `$source` is Label Studio's own: a Text showing it rendered the whole task as JSON (seen in the web UI).
    for name in ("claims", "verification"):
        assert "source" not in load_project(name, projects_dir=ROOT / "projects").data_fields()


@pytest.mark.parametrize("name", ["claims", "verification"])
def test_every_hotkey_is_ours_and_none_clashes(name: str) -> None:
    """Label Studio gives every label and choice without a hotkey one of its own (1.23.2: the next free
    key of "1234567890qwetasdfgzxcvbyiopjklnm"), so a stray key ticks an answer: every one is set here,
    none twice, none on Label Studio's own single keys (u unselects, Backspace deletes a region), and
    each is in the instructions. Alias values Label Studio reads as booleans break the editor."""
    spec = load_project(name, projects_dir=ROOT / "projects")
    root = SafeET.fromstring(spec.label_config)
    options = [e for e in root.iter() if e.tag in ("Label", "Choice")]
    keys = [e.get("hotkey") for e in options]
    assert None not in keys, [e.get("value") for e in options if e.get("hotkey") is None]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert not {"u", "backspace", "enter", "escape"} & set(keys)
    for key in keys:
        shown = "</kbd>+<kbd>".join(part.capitalize() if len(part) > 1 else part for part in key.split("+"))
        assert f"<kbd>{shown}</kbd>" in spec.instructions or key.startswith(("shift+", "alt+shift+")), key
    assert not {"true", "false"} & {e.get("alias") for e in options}


def test_data_fields_include_those_inside_templates() -> None:
    """Label Studio rejects a task batch when one task lacks a field the config shows, also one
    shown inside a template ("Annotate this $kind", the article link's href)."""
    claims = load_project("claims", projects_dir=ROOT / "projects").data_fields()
    verification = load_project("verification", projects_dir=ROOT / "projects").data_fields()
    assert {"text", "kind", "title_above", "context_before", "context_after"} <= set(claims)
    assert {"normalized_claim", "claim", "source_text", "source_type_label", "context_marked", "title", "published",
            "url", "mention_options", "previously_checked", "previous_check_url"} == set(verification)  # fmt: skip
