"""A project's labels, questions and instructions in the annotators' language (`ui_language` in
project.json), from data files a newsroom edits: `i18n/<code>.json` maps each string the editor
shows (as config.xml writes it) to its translation, `i18n/<instructions stem>.<code>.html` is the
instructions in that language.

What an annotation stores never changes with the language. Label Studio 1.23 shows a Label's or a
Choice's `value` and stores its `alias` (checked in the web UI), so a translated value keeps the
English one as its alias; `whenLabelValue` matches the stored value, so it stays. Two exceptions,
both measured: an alias "true" or "false" is read as a boolean and the editor goes blank, so those
choices keep their value and show the translation through `html`; a Relation has no alias, so
relation names are not translated (annotators do not need to read them). Hotkeys are not touched.

The config is rewritten in place, attribute by attribute, so that the rest of the file (layout,
comments, styles) is as written and `project update` shows only the translated lines.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from annotate.errors import ConfigError

SOURCE_LANGUAGE = "en"  # the language config.xml and the instructions are written in
FOLDER = "i18n"
# Scripts written right to left (ISO 639-1): their editor and instructions get dir="rtl".
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
# Attributes any tag shows as text; a Label's, a Choice's and a Header's value is shown too.
_SHOWN_ATTRIBUTES = ("hint", "placeholder", "requiredMessage")
_VALUE_SHOWN = ("Label", "Choice", "Header")
_STORED = ("Label", "Choice")  # their value is stored unless they have an alias
_BOOLEAN_ALIAS = ("true", "false")
_NOT_SHOWN = ("Relation",)  # Label Studio 1.23 shows neither its hint nor (as an alias) a translation
_FIELD = re.compile(r"\$[A-Za-z_]\w*")
# A comment (left alone), or a start tag with its attributes (quoted values may hold ">").
_TAG = re.compile(r"<!--.*?-->|<([A-Za-z][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)(\s*/?>)", re.S)
_ATTRIBUTE = re.compile(r"(\s+)([\w:.-]+)(\s*=\s*)(\"[^\"]*\"|'[^']*')")
# The config's text in a right-to-left language, aligned right: headings, labels, choices, hints, text
# boxes, and the task's text (each line still takes its own direction: an English line reads left to
# right). Label Studio's own buttons and panels stay as they are.
_RTL_STYLE = (
    "  <Style>\n    /* ui_language {code}: the questions, answers and texts read right to left. */\n"
    "    .lsf-main-content h4, .lsf-main-content .ant-typography, .lsf-choices, .lsf-labels, .lsf-choice,\n"
    "    .ant-checkbox-wrapper, .ant-radio-wrapper, .lsf-main-content textarea\n"
    "      {{ direction: rtl; text-align: right; }}\n"
    "    .lsf-richtext__container {{ text-align: right; }}\n"
    "    .lsf-richtext__line {{ direction: rtl; unicode-bidi: plaintext; }}\n  </Style>\n"
)


@dataclass(frozen=True)
class Translation:
    """One language's data files for one project."""

    code: str
    strings: dict[str, str]  # English (as config.xml writes it) -> shown text
    file: Path  # i18n/<code>.json, named in errors
    instructions: str = ""  # the translated instructions HTML; "" when the project has none


def available(folder: Path) -> list[str]:
    """The ui_language codes a project folder supports: English and every i18n/<code>.json."""
    return sorted({SOURCE_LANGUAGE, *(p.stem for p in (folder / FOLDER).glob("*.json"))})


def shown_strings(xml: str) -> dict[str, list[str]]:
    """Every string of a label config that the editor shows, in order, with where it appears
    (`<Choice value>`, `<TextArea placeholder>`, ...)."""
    found: dict[str, list[str]] = {}
    for tag, attributes in _start_tags(xml):
        for name in _shown(tag, attributes):
            found.setdefault(attributes[name], []).append(f"<{tag} {name}>")
    return found


def _start_tags(xml: str) -> list[tuple[str, dict[str, str]]]:
    return [(m[1], _attributes(m[2])) for m in _TAG.finditer(xml) if m[1]]


def _attributes(text: str) -> dict[str, str]:
    return {m[2]: html.unescape(m[4][1:-1]) for m in _ATTRIBUTE.finditer(text)}


def _shown(tag: str, attributes: dict[str, str]) -> list[str]:
    """The attributes of one tag that the editor shows as text."""
    if tag in _NOT_SHOWN:
        return []
    names = [name for name in _SHOWN_ATTRIBUTES if name in attributes]
    if tag in _STORED and "html" in attributes:
        names.insert(0, "html")  # shown instead of the value
    elif tag in _VALUE_SHOWN and _has_words(attributes.get("value", "")):
        names.insert(0, "value")
    return [name for name in names if _has_words(attributes[name])]


def _has_words(text: str) -> bool:
    """Whether a string has words to translate besides task fields ($kind) and URLs."""
    return re.search(r"[^\W\d_]", re.sub(r"https?://\S*", "", _FIELD.sub("", text))) is not None


def translate_config(xml: str, translation: Translation) -> str:
    """The label config as annotators of this language see it; stored values, names and hotkeys as
    they were. Raises ConfigError listing every string the translation lacks or gets wrong."""
    _check_strings(shown_strings(xml), translation)

    def rewrite(match: re.Match[str]) -> str:
        if not match[1]:
            return match[0]
        return f"<{match[1]}{_translated_attributes(match[1], match[2], translation.strings)}{match[3]}"

    translated = _TAG.sub(rewrite, xml)
    if translation.code in RIGHT_TO_LEFT:
        head, end, tail = translated.rpartition("</View>")
        translated = head + _RTL_STYLE.format(code=translation.code) + end + tail
    return translated


def _translated_attributes(tag: str, text: str, strings: dict[str, str]) -> str:
    """One start tag's attributes (as written) with the shown ones translated."""
    attributes = _attributes(text)
    new = {name: strings[attributes[name]] for name in _shown(tag, attributes)}
    after_value = ""
    if tag in _STORED and "value" in new and "alias" not in attributes:
        stored = attributes["value"]
        if stored in _BOOLEAN_ALIAS:  # the value stays what is stored; html is what is shown
            after_value = f' html="{_escape(html.escape(new.pop("value"), quote=False))}"'
        else:
            after_value = f' alias="{_escape(stored)}"'

    def replace(match: re.Match[str]) -> str:
        name = match[2]
        written = f'{match[1]}{name}{match[3]}"{_escape(new[name])}"' if name in new else match[0]
        return written + after_value if name == "value" else written

    return _ATTRIBUTE.sub(replace, text)


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "'")


def _check_strings(shown: dict[str, list[str]], translation: Translation) -> None:
    """Every shown string translated, not empty, keeping the same $fields; else one ConfigError
    naming them all."""
    problems = []
    for english, where in shown.items():
        text = translation.strings.get(english)
        if text is None:
            problems.append(f"no translation of {english!r} ({', '.join(sorted(set(where)))})")
        elif not text.strip():
            problems.append(f"the translation of {english!r} is empty")
        elif sorted(_FIELD.findall(text)) != sorted(_FIELD.findall(english)):
            problems.append(f"the translation of {english!r} must show the same task fields "
                            f"({', '.join(sorted(_FIELD.findall(english))) or 'none'}): {text!r}")  # fmt: skip
    if problems:
        unused = sorted(set(translation.strings) - set(shown))
        raise ConfigError(
            f"{translation.file}: {len(problems)} problem(s) with the {translation.code!r} translation of "
            "the label config:\n" + "\n".join(problems),
            hint=(f"add each string (as config.xml writes it) and its translation; entries no string of config.xml "
                  f"uses (was the English changed?): {', '.join(map(repr, unused))}" if unused else
                  "add each string (as config.xml writes it) and its translation"),
        )  # fmt: skip


def load_translation(folder: Path, code: str, *, settings_file: Path, instructions_file: str | None) -> Translation:
    """A project's translation into `code` (project.json's ui_language): its strings and, when the
    project has instructions, their translation. Raises ConfigError naming the file at fault."""
    supported = available(folder)
    if code not in supported:
        raise ConfigError(
            f"{settings_file}: ui_language {code!r} is not supported by this project "
            f"(supported: {', '.join(supported)})",
            hint=f"use one of those, or add {folder / FOLDER / (code + '.json')} and the instructions in that language",
        )
    path = folder / FOLDER / f"{code}.json"
    strings = _read_strings(path)
    instructions = ""
    if instructions_file:
        english = Path(instructions_file)
        translated = folder / FOLDER / f"{english.stem}.{code}{english.suffix}"
        try:
            instructions = translated.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"{translated}: cannot be read: the instructions in {code!r} "
                              f"(ui_language in {settings_file})") from None  # fmt: skip
        direction = ' dir="rtl"' if code in RIGHT_TO_LEFT else ""
        instructions = f'<div lang="{code}"{direction}>\n{instructions.strip()}\n</div>\n'
    return Translation(code, strings, path, instructions)


def _read_strings(path: Path) -> dict[str, str]:
    try:
        strings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"{path}: cannot be read as UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        raise ConfigError(f"{path}: expected one JSON object mapping each English string to its translation (text)")
    return strings
