from __future__ import annotations

import json
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from annotate.errors import ConfigError, ProjectNotFound
from annotate.projects import check_label_config, load_project

from .conftest import ROOT


def test_claims_project_has_the_contract_names() -> None:
    spec = load_project("claims", projects_dir=ROOT / "projects")
    root = SafeET.fromstring(spec.label_config)
    text = root.find(".//Text[@name='text']")
    assert text is not None and text.get("value") == "$text"
    span = root.find(".//Labels[@name='span']")
    assert span is not None and span.get("toName") == "text"
    assert {label.get("value") for label in span.findall("Label")} == {"CLAIM", "SOURCE"}
    status = root.find(".//Choices[@name='claim_status']")
    assert status is not None and status.get("toName") == "text"
    assert [c.get("value") for c in status.findall("Choice")] == [
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
    assert caught.value.hint == "available projects: claims"


def test_project_settings_need_a_title(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "config.xml").write_text('<View><Text name="text" value="$text"/></View>')
    (tmp_path / "p" / "project.json").write_text(json.dumps({"description": "x"}))
    with pytest.raises(ConfigError, match='needs a non-empty "title"'):
        load_project("p", projects_dir=tmp_path)
