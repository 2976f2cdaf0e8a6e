"""Find web boilerplate lines in article text, each with the reason it is boilerplate.

Nothing is cut out of the text: the segmenter skips these ranges, so offsets still point into the
article as read. Rules match whole lines only, so a sentence that merely mentions "subscribe" or
"cookies" is never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in [
        ("comment counter", r"(\d+|no|view|show|read|leave an?|add an?|post an?|load) (comments?|replies|reply)"
         r"|comments?( \(\d+\)|: \d+)?|\d+ (comments?|replies)"),
        ("subscription prompt", r"(discover|read|get) more (from|stories from|like this).*"
         r"|subscribe( now| today| for free)?( to .*)?[.!]?|sign up( now| today)?( for| to) .*"
         r"|(join|get) (our|the) newsletter.*|newsletter sign[- ]?up.*|type your email.*"),
        ("related links", r"(you may|you might) (also )?like|related( articles| stories| posts| news)?:?"
         r"|(read|see) (more|also)( on .*)?:?|recommended( for you)?:?|more (stories|from|on) .{0,60}"
         r"|(most )?(popular|trending)( now| stories)?:?|also read:?.*"),
        ("share buttons", r"(share|tweet|email|print|pin|whatsapp|facebook|twitter|linkedin|reddit|telegram)"
         r"(( this)?( article| story| post)?( on [\w ]+)?)?[.:]?"
         r"|share (this|on|via) .{0,40}|click to (share|print|email) .{0,60}|copy link"),
        ("cookie notice", r".{0,80}\b(uses?|use of) cookies\b.{0,160}|(accept|reject|manage) (all )?cookies.{0,40}"
         r"|cookie (policy|settings|preferences)"),
        ("advertisement", r"advertisement|sponsored( content)?|ad|promoted( content)?|skip advert(isement)?"),
        ("credit line", r"\(?(AP|AFP|Reuters|ABC|BBC|CNN|DPA|EFE|ANSA|PA|UPI|Xinhua|TASS|Getty( Images)?)\)?"
         r"(\s*/\s*\(?[A-Z][A-Za-z.]{1,14}( Images)?\)?)*"
         r"|(photo|image|picture|video|credit|source)s?( credit)?: .{1,80}"),
        ("page furniture", r"(like|loading|related|tags?|filed under|posted in|continue reading|back to top)"
         r"( this)?(:.*|\.\.\.|…)?|(previous|next) (article|post|story).{0,80}"),
    ]
]  # fmt: skip
# A boilerplate line is short; a long line matching a rule's words is a real sentence.
_MAX_WORDS = 25


@dataclass(frozen=True)
class Removed:
    start: int
    end: int
    line: int  # 1-based line number in the article text
    reason: str
    text: str


def boilerplate_reason(line: str) -> str | None:
    stripped = line.strip().strip("•·|-–—*").strip()
    if not stripped or len(stripped.split()) > _MAX_WORDS:
        return None
    for reason, pattern in _RULES:
        if pattern.fullmatch(stripped):
            return reason
    return None


def find_boilerplate(text: str) -> list[Removed]:
    removed = []
    pos = 0
    for number, line in enumerate(text.split("\n"), 1):
        reason = boilerplate_reason(line)
        if reason:
            start = pos + (len(line) - len(line.lstrip()))
            end = pos + len(line.rstrip())
            removed.append(Removed(start, end, number, reason, text[start:end]))
        pos += len(line) + 1
    return removed
