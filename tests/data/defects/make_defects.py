"""Regenerate the defect fixtures from ../claims_export_valid.json (a real export of the claims
project): one small file per kind of defect. Run: python tests/data/defects/make_defects.py"""

import copy
import json
from pathlib import Path

HERE = Path(__file__).parent
BASE = json.loads((HERE.parent / "claims_export_valid.json").read_text(encoding="utf-8"))


def defect(name, change):
    tasks = copy.deepcopy(BASE[:1])
    change(tasks[0], tasks[0]["annotations"][0]["result"])
    (HERE / f"{name}.json").write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def utf16(task, result):
    task["data"]["text"] = "🎉 " + task["data"]["text"]
    for r in result:
        if "start" in r.get("value", {}):
            r["value"]["start"] += 3  # the emoji is two UTF-16 code units, plus the space
            r["value"]["end"] += 3


def duplicate(task, result):
    again = copy.deepcopy(task["annotations"][0])
    again["id"] += 1000
    task["annotations"].append(again)


defect("offsets_outside_text", lambda t, r: r[1]["value"].update(end=900))
defect("span_text_mismatch", lambda t, r: r[0]["value"].update(text="Russian President Boris Yeltsin"))
defect("span_text_whitespace", lambda t, r: r[0]["value"].update(text="Russian  President Vladimir Putin"))
defect("utf16_offsets", utf16)
defect("region_without_span", lambda t, r: r[3].update(id="nope"))
defect("region_on_wrong_label", lambda t, r: r[3].update(id="clm1"))
defect("relation_dangling", lambda t, r: r[2].update(to_id="ghost"))
defect("relation_wrong_labels", lambda t, r: r[2].update(labels=["cue_of"]))
defect("required_missing", lambda t, r: r.pop(4))
defect("unknown_label", lambda t, r: r[1]["value"].update(labels=["Claim"]))
defect("unknown_control", lambda t, r: r[4].update(from_name="checkworthy"))
defect("missing_task_fields", lambda t, r: t["data"].pop("sentence_id"))
defect("duplicate_annotator", duplicate)
defect("schema_empty_labels", lambda t, r: r[0]["value"].update(labels=[]))
