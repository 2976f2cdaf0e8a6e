"""What the rules can tell of a suggested SOURCE and CLAIM from their words alone: the source's type
and the claim's types. A guess is made only where the words settle it; otherwise the answer is left
for the annotator (the editor shows it empty), never filled with a likely one.

Measured on the hand-labelled sentences of tests/data/attribution_*.jsonl (see test_prelabel.py).
"""

from __future__ import annotations

import re

NAMED_PERSON = "named_person"
NAMED_ORGANIZATION = "named_organization"
ANONYMOUS_OR_VAGUE = "anonymous_or_vague"
DOCUMENT_OR_DATA = "document_or_data"
MEDIA_OUTLET = "media_outlet"
SOCIAL_MEDIA = "social_media"
QUANTITY = "quantity"
PREDICTION = "prediction"
QUOTE = "quote"


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


_SOCIAL = _words("tweets?", "twitter", "facebook", "instagram", "tiktok", "telegram", "youtube", "posts? on x",
                 "social media", "viral (?:\\w+ )?(?:post|video|message)s?")  # fmt: skip
_OUTLETS = re.compile(
    r"\b(?:Reuters|AFP|Agence France-Presse|Associated Press|AP|BBC|CNN|Bloomberg|Al Jazeera|The Guardian"
    r"|The (?:New York |Financial |Sunday )?Times|(?:The )?Washington Post|The Wall Street Journal|Le Monde|Der Spiegel"
    r"|El País)\b|\b(?:newspaper|news agency|broadcaster|magazine|television channel|tabloid)\b"
)
_DOCUMENTS = _words("reports?", "study", "studies", "survey", "data", "figures", "statistics", "poll", "census",
                    "documents?", "analysis", "records", "estimates", "filings?", "papers?", "research", "budget",
                    "minutes", "memo", "letter", "statement")  # fmt: skip
# A person's role: the word that heads the source when it is one person.
_ROLES = (
    "minister|secretary|governor|official|leader|spokesperson|spokesman|spokeswoman|president|chief|director"
    "|mayor|chairman|chairwoman|chair|commissioner|senator|ambassador|economist|professor|analyst|head|adviser"
    "|advisor|executive|prosecutor|judge|general|commander|officer|researcher|scientist|expert|farmer|doctor"
    "|nurse|teacher|lawyer|witness|resident|founder|manager|owner|candidate|lawmaker|MP|king|queen|pope"
)
_ROLE = re.compile(rf"\b(?:{_ROLES})\b", re.IGNORECASE)
_SPEAKS_FOR = re.compile(r"^(?:the\s+)?[\w’'. -]+?(?:'s|’s)\s+(?:spokesperson|spokesman|spokeswoman)$", re.IGNORECASE)
_VAGUE_START = re.compile(r"^(?:a|an|some|several|many|few|one|two|three|other|unnamed|anonymous)\b", re.IGNORECASE)
_VAGUE_PLURALS = re.compile(
    r"^(?:[\w’'-]+\s+){0,2}?(?:officials|sources|experts|analysts|critics|people|residents|observers|diplomats"
    r"|insiders|witnesses|scientists|economists|researchers|campaigners|activists|opponents|supporters)\b",
    re.IGNORECASE)  # fmt: skip
_ORGANIZATIONS = _words(
    "ministry", "department", "agency", "bank", "institute", "university", "commission", "council", "office",
    "police", "company", "firm", "airline", "government", "party", "union", "association", "committee",
    "authority", "court", "army", "military", "parliament", "trust", "foundation", "federation", "board",
    "inc", "ltd", "corp", "group", "organi[sz]ation", "international", "UN", "WHO", "EU", "NATO", "IMF")  # fmt: skip
_PRONOUN_PERSON = re.compile(r"^(?:he|she|i)$", re.IGNORECASE)
_NAME = re.compile(  # two or more capitalised words at the end: "Maria Lopez", "Jan de Vries"
    r"(?:^|\s)(?:Dr\.|Prof\.|Mr\.|Mrs\.|Ms\.)?\s*[A-Z][\w’'-]+(?:\s+(?:de|van|von|da|di|al|bin|el)?\s*[A-Z][\w’'-]+)+$"
)
_FUTURE = _words("will", "won't", "would", "shall", "going to", "expects?", "expected to", "forecasts?", "predicts?",
                 "plans? to", "is likely", "was likely", "likely to")  # fmt: skip
_QUANTITY = re.compile(
    r"\d|%|\b(?:percent|per cent|million|billion|trillion|half|third|quarter|fifth|twice|double[ds]?|tripled?"
    r"|halve[ds]?)\b", re.IGNORECASE)  # fmt: skip


def source_type(source: str) -> str | None:
    """The source type its words settle, or None (left for the annotator)."""
    words = source.strip()
    if not words:
        return None
    if _SOCIAL.search(words):
        return SOCIAL_MEDIA
    if _OUTLETS.search(words):
        return MEDIA_OUTLET
    if _DOCUMENTS.search(words) and not _ROLE.search(words):
        return DOCUMENT_OR_DATA
    if _PRONOUN_PERSON.match(words):
        return NAMED_PERSON  # named in the sentences around (the instructions: mark He, write the name)
    if _VAGUE_START.match(words) or _VAGUE_PLURALS.match(words):
        return ANONYMOUS_OR_VAGUE
    if _SPEAKS_FOR.match(words):
        return NAMED_ORGANIZATION  # "the company's spokesperson" speaks for the company
    head = words.split()[-1]  # "central bank governor Ruth Meyer" is a person, "the World Bank" is not
    if _ORGANIZATIONS.fullmatch(head):
        return NAMED_ORGANIZATION
    if _ROLE.fullmatch(head) or _NAME.search(words):
        return NAMED_PERSON
    if _ORGANIZATIONS.search(words):
        return NAMED_ORGANIZATION
    return None


def claim_types(claim: str, *, quoted: bool) -> list[str]:
    """The claim types its words settle (quantity, prediction, quote), in the config's order."""
    found = []
    if _QUANTITY.search(claim):
        found.append(QUANTITY)
    if _FUTURE.search(claim):
        found.append(PREDICTION)
    if quoted:
        found.append(QUOTE)
    return found
