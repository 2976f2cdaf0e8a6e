"""A label config read as rules: its controls (their values, per-region or not, required, shown
for which span labels, dynamic choices) and relation labels, what validation checks against."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import defusedxml.ElementTree as SafeET

from annotate.vocabulary import (
    REGION_CONTROL_LABELS,
    TASK_FIELDS,
)


@dataclass(frozen=True)
class Control:
    name: str
    tag: str
    to_name: str
    values: frozenset[str] | None  # None: free values (text areas, numbers, ...)
    per_region: bool
    required: bool
    when_labels: frozenset[str] | None  # per-region controls shown only for regions with these labels
    # Dynamic choices (`<Choices value="$field">`): the values are those the task's data field lists
    # ([{"value": ..., "html": ...}]), not the config's; then `values` is None.
    options_from: str | None = None
    shown: tuple[tuple[str, str], ...] = ()  # (stored value, the value the editor shows): alias -> value


@dataclass(frozen=True)
class ProjectRules:
    controls: dict[str, Control]
    relations: frozenset[str]
    fields: tuple[str, ...] = TASK_FIELDS  # what every task carries (ProjectSpec.task_fields)

    @cached_property
    def required(self) -> frozenset[str]:
        """The task-level controls every annotation must answer."""
        return frozenset(c.name for c in self.controls.values() if c.required and not c.per_region)


def shown_values(rules: ProjectRules, control: str) -> dict[str, str]:
    """What the editor shows for each stored value of a control ("named_organization" -> "Named
    organisation"): for the screens that show an answer given in another project."""
    found = rules.controls.get(control)
    return dict(found.shown) if found is not None else {}


RESULT_TYPE = {"Labels": "labels", "Choices": "choices", "TextArea": "textarea", "Rating": "rating",
                "Number": "number", "DateTime": "datetime", "Taxonomy": "taxonomy"}  # fmt: skip
_VALUE_CHILD = {"Labels": "Label", "Choices": "Choice"}


def dynamic_field(element: Any) -> str | None:
    """The task data field a Labels or Choices control takes its values from (`value="$field"`,
    Label Studio's dynamic labels and choices), else None."""
    value = element.get("value") or ""
    return value[1:] if element.tag in _VALUE_CHILD and value.startswith("$") and len(value) > 1 else None


def task_options(data: Any, name: str) -> frozenset[str]:
    """The values a dynamic control offers in one task: its data field's [{"value": ...}] items."""
    items = data.get(name) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return frozenset()
    return frozenset(str(o["value"]) for o in items if isinstance(o, dict) and o.get("value") is not None)


def rules_from_config(xml: str, fields: tuple[str, ...] = TASK_FIELDS) -> ProjectRules:
    """The rules of a label config; `fields` are the data fields every task must carry."""
    root = SafeET.fromstring(xml)
    controls: dict[str, Control] = {}

    def walk(element: Any, when: frozenset[str] | None) -> None:
        if element.get("visibleWhen") == "region-selected" and element.get("whenLabelValue"):
            when = frozenset(element.get("whenLabelValue").split(","))
        if element.tag in RESULT_TYPE and element.get("name"):
            child = _VALUE_CHILD.get(element.tag)
            dynamic = dynamic_field(element)
            options = [(c.get("alias") or c.get("value"), c.get("value")) for c in element.iter(child)] if child else []
            values = frozenset(stored for stored, _ in options) if child else None
            controls[element.get("name")] = Control(
                name=element.get("name"), tag=element.tag, to_name=element.get("toName", ""),
                values=None if dynamic else values, per_region=element.get("perRegion") == "true",
                required=element.get("required") == "true", options_from=dynamic,
                when_labels=when or REGION_CONTROL_LABELS.get(element.get("name")), shown=tuple(options),
            )  # fmt: skip
        for child in element:
            walk(child, when)

    walk(root, None)
    return ProjectRules(controls, frozenset(r.get("alias") or r.get("value") for r in root.iter("Relation")), fields)
