"""The claims editor in the annotators' language (`ui_language`), in the real web UI: Spanish labels,
questions and answers on screen, the English values stored, so one sentence annotated with the same
gestures in a Spanish and an English project validates and gives the same dataset tables; the Arabic
editor reads right to left."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from annotate.labelstudio.api import client as labelstudio
from annotate.labelstudio.service.settings import Connection
from tests.browser.test_annotator_path import _record
from tests.browser.ui import Annotator, browser, signed_in
from tests.conftest import LiveServer
from tests.server_helpers import Annotate

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SENTENCE = "El ministro dijo que el paro bajó un 3% el año pasado."
CLAIM, SOURCE, CUE = "el paro bajó un 3% el año pasado", "El ministro", "dijo"
NORMALIZED = "El paro bajó un 3% el año pasado."
ARABIC = "قال وزير الصحة إن عدد الإصابات انخفض بنسبة ثلاثة في المئة في مايو."
# Columns that differ between two annotations of the same answers: ids the editor draws at random,
# server ids and times.
VOLATILE = ("region", "annotation", "task", "project", "created", "updated", "lead_time", "annotator", "export")


def project_in(live_server: LiveServer, folder: Path, code: str | None, records: list[dict]) -> tuple[Annotate, int]:
    folder.mkdir()
    run = Annotate(live_server, folder)
    if code:
        settings_file = run.projects / "claims" / "project.json"
        settings_file.write_text(json.dumps(json.loads(settings_file.read_text()) | {"ui_language": code}))
    return run, run.claims_with(records)


def annotate(ui: Annotator) -> None:
    """CLAIM, SOURCE and CUE drawn, their two arrows, the source's type, a normalised claim, the
    sentence's answer and one claim type: the same keys whatever the language."""
    for key, part in (("c", CLAIM), ("s", SOURCE), ("q", CUE)):
        start = SENTENCE.index(part)
        ui.span(key, start, start + len(part))
    ui.relate(CLAIM, SOURCE)
    ui.relate(CUE, CLAIM)
    ui.click(ui.region(SOURCE))
    ui.key("p")
    ui.key("Escape")
    ui.click(ui.region(CLAIM))
    ui.type_into("[name=normalized_claim]", NORMALIZED)
    ui.key("Enter")
    ui.key("Escape")
    ui.key("3")
    ui.key("4")


def tables(run: Annotate, tmp_path: Path) -> dict[str, pd.DataFrame]:
    export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    done = run.live_server.run("validate", export, "--project", "claims", "--projects-dir", str(run.projects),
                               "--strict", config_dir=run.config_dir)  # fmt: skip
    assert done.returncode == 0 and "0 error(s), 0 warning(s)" in done.stderr, done.stderr
    run("combine", export, "-o", str(tmp_path / "dataset"), "--table-format", "csv")
    found = {}
    for path in sorted((tmp_path / "dataset").glob("*.csv")):
        table = pd.read_csv(path, keep_default_na=False, dtype=str)
        found[path.stem] = table.drop(columns=[c for c in table.columns if any(v in c for v in VOLATILE)])
    return found


def test_the_spanish_editor_stores_the_english_values(
    live_server: LiveServer, chromium: str, screenshots: Path, tmp_path: Path
) -> None:
    record = _record(0, SENTENCE) | {"context_before": "El Gobierno presentó ayer las cifras.",
                                     "context_after": "La oposición no comentó los datos."}  # fmt: skip
    spanish, spanish_id = project_in(live_server, tmp_path / "es", "es", [record])
    english, english_id = project_in(live_server, tmp_path / "en", None, [record])

    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, spanish.login())
        ui.label_all_tasks(spanish_id)
        buttons = ui.page.locator(".lsf-labels").first.inner_text()
        assert [b for b in ("AFIRMACIÓN", "FUENTE", "ATRIBUCIÓN", "CLAIM") if b in buttons] == [
            "AFIRMACIÓN", "FUENTE", "ATRIBUCIÓN",
        ]  # fmt: skip
        assert "¿Contiene esta frase una afirmación?" in ui.page.inner_text(".lsf-main-content")
        annotate(ui)
        assert sorted(ui.checked()) == ["Afirmación que merece verificación", "Cantidad"]
        ui.click(ui.region(SOURCE))  # the source's type, shown in Spanish
        assert "Persona identificada" in ui.checked()
        ui.key("Escape")
        ui.click(ui.region(CLAIM))  # a CLAIM shows its normalised claim (whenLabelValue matches the alias)
        assert ui.page.locator("h4", has_text="Afirmación normalizada (opcional)").first.is_visible()
        ui.page.screenshot(path=str(screenshots / "claims-editor-es.png"))
        ui.key("Escape")
        ui.submit()
        # Opened again (as a reviewer would), the stored English values are shown in Spanish.
        (task,) = labelstudio.connect(Connection(live_server.url, live_server.api_key)).tasks(spanish_id)
        ui.open_task(spanish_id, task.id)
        assert ui.highlighted() == sorted([CLAIM, SOURCE, CUE])
        regions = ui.page.inner_text(".lsf-main-content") + ui.page.inner_text("body")
        assert "AFIRMACIÓN" in regions and "FUENTE" in regions and "CLAIM" not in regions
        assert sorted(ui.checked()) == ["Afirmación que merece verificación", "Cantidad"]

        ui = signed_in(chrome, live_server.url, english.login())
        ui.label_all_tasks(english_id)
        annotate(ui)
        assert sorted(ui.checked()) == ["Check-worthy claim", "Quantity"]
        ui.submit()

    in_spanish, in_english = tables(spanish, tmp_path / "es"), tables(english, tmp_path / "en")
    claims = in_spanish["claims"].iloc[0]
    assert (claims.text, claims.source_text, claims.source_type, claims.cue_text, claims.claim_types) == (
        CLAIM, SOURCE, "named_person", CUE, '["quantity"]',
    )  # fmt: skip
    assert in_spanish["sentences"].iloc[0].gold_claim_status == "claim_checkworthy"
    assert in_spanish.keys() == in_english.keys()
    for name, table in in_spanish.items():
        pd.testing.assert_frame_equal(table, in_english[name], obj=name)


def test_the_arabic_editor_reads_right_to_left(
    live_server: LiveServer, chromium: str, screenshots: Path, tmp_path: Path
) -> None:
    record = _record(0, ARABIC) | {"title": "انخفاض الإصابات", "context_after": "ولم تعلّق المعارضة على الأرقام.",
                                   "context_before": "أعلنت الوزارة أرقامًا جديدة يوم الثلاثاء."}  # fmt: skip
    run, project_id = project_in(live_server, tmp_path / "ar", "ar", [record])
    with browser(chromium) as chrome:
        ui = signed_in(chrome, live_server.url, run.login())
        ui.page.goto(f"{live_server.url}/projects/{project_id}/data")
        ui.page.get_by_role("button", name="Label All Tasks").click()
        ui.wait_for_editor()
        # The instructions open first, right to left.
        assert ui.page.locator('[dir="rtl"] h3', has_text="الادعاءات في جمل الأخبار").is_visible()
        ui.key("Escape")
        question = ui.page.locator("h4", has_text="هل تتضمن هذه الجملة ادعاءً؟").first
        answer = ui.page.locator(".ant-radio-wrapper", has_text="لا ادعاء").first
        assert [e.evaluate("e => getComputedStyle(e).direction") for e in (question, answer)] == ["rtl", "rtl"]
        # Aligned right: the sentence ends nearer the right edge of the editor than it starts from the left.
        box = ui.page.locator(".sentence .lsf-richtext__line").bounding_box()
        main = ui.page.locator(".lsf-main-content").bounding_box()
        assert box is not None and main is not None
        assert main["x"] + main["width"] - (box["x"] + box["width"]) < box["x"] - main["x"]
        start = ARABIC.index("الإصابات")
        ui.key("c")
        ui.drag(start, start + len("الإصابات"))
        ui.key("Escape")
        ui.key("3")
        ui.page.screenshot(path=str(screenshots / "claims-editor-ar.png"))
        ui.submit()

    export = run("export", "--project", "claims", "-o", str(tmp_path / "exports")).strip()
    (task,) = json.loads(Path(export).read_text(encoding="utf-8"))
    results = task["annotations"][0]["result"]
    assert sorted(tuple(r["value"].get("labels") or r["value"].get("choices")) for r in results) == [
        ("CLAIM",), ("claim_checkworthy",),
    ]  # fmt: skip
