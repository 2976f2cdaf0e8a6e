"""The names the stages share: what the label configs in projects/ call things, the task fields
every task carries, and the ids that join tasks, exports and tables.

These names are contracts between stages (split writes them, Label Studio stores them, validate
checks them, datasets read them): no other module spells them. tests/test_vocabulary.py checks
them against projects/*/config.xml.
"""

from __future__ import annotations

# The Text object every control of the claims project points at.
TEXT_OBJECT = "text"

# Spans: the Labels control and its labels.
SPAN_CONTROL = "span"
CLAIM = "CLAIM"
SOURCE = "SOURCE"
CUE = "CUE"
SPAN_LABELS = (CLAIM, SOURCE, CUE)

# Relations between spans, each with its ends in the direction datasets write it (annotators may
# draw the arrow either way). The ends determine the relation, so an unlabelled arrow between a
# CLAIM and a SOURCE is an attribution.
ATTRIBUTED_TO = "attributed_to"
CUE_OF = "cue_of"
RELATION_ENDS: dict[str, tuple[str, str]] = {ATTRIBUTED_TO: (CLAIM, SOURCE), CUE_OF: (CUE, CLAIM)}


def relation_between(first: str, second: str) -> str | None:
    """The relation whose ends are these two span labels, in either order, else None."""
    for name, ends in RELATION_ENDS.items():
        if {first, second} == set(ends) and first != second:
            return name
    return None


# Sentence-level answers of the claims project.
CLAIM_STATUS = "claim_status"
NO_CLAIM = "no_claim"
CLAIM_NOT_CHECKWORTHY = "claim_not_checkworthy"
CLAIM_CHECKWORTHY = "claim_checkworthy"
CLAIM_STATUSES = (NO_CLAIM, CLAIM_NOT_CHECKWORTHY, CLAIM_CHECKWORTHY)
CLAIM_TYPES = "claim_types"
SEGMENTATION_ISSUE = "segmentation_issue"

# Per-region answers (the config shows source_type on a SOURCE span, the other two on a CLAIM span).
SOURCE_TYPE = "source_type"
NORMALIZED_CLAIM = "normalized_claim"
SOURCE_OUTSIDE_SENTENCE = "source_outside_sentence"
# The span label each per-region answer belongs on (validate checks it; the claims editor shows the
# source type for any selected span, so that its keys never store an answer that is not on screen).
REGION_CONTROL_LABELS = {SOURCE_TYPE: frozenset({SOURCE}), NORMALIZED_CLAIM: frozenset({CLAIM}),
                         SOURCE_OUTSIDE_SENTENCE: frozenset({CLAIM})}  # fmt: skip

# The verification project's controls.
VERDICT = "verdict"
VERIFICATION_STATE = "verification_state"
VERIFIED = "verified"
JUSTIFICATION = "justification"
CLAIM_DATE = "claim_date"
FACTCHECK_URL = "factcheck_url"
EVIDENCE_SLOTS = (1, 2, 3)
SUPPORTS_STANCE = "supports"
REFUTES_STANCE = "refutes"


def evidence_control(slot: int, part: str) -> str:
    """The control of one part (url, stance, excerpt) of an evidence slot: evidence_1_url, ..."""
    return f"evidence_{slot}_{part}"


# Task fields. Every task `annotate split` writes carries TASK_FIELDS; RECORD_FIELDS is all it writes.
TEXT = "text"
KIND = "kind"
ARTICLE_ID = "article_id"
SENTENCE_ID = "sentence_id"
SENTENCE_INDEX = "sentence_index"
CHAR_START = "char_start"
CHAR_END = "char_end"
TITLE = "title"
URL = "url"
PUBLISHED = "published"
CONTEXT_BEFORE = "context_before"
CONTEXT_AFTER = "context_after"
SPLITTER = "splitter"
# An article's language (ISO 639-1) and the identifier's confidence (null when it was given with
# --language): optional, so tasks split before they existed still validate.
LANGUAGE = "language"
LANGUAGE_CONFIDENCE = "language_confidence"
TASK_FIELDS = (TEXT, KIND, ARTICLE_ID, SENTENCE_ID, SENTENCE_INDEX, CHAR_START, CHAR_END)
RECORD_FIELDS = (*TASK_FIELDS, TITLE, URL, "source", PUBLISHED, CONTEXT_BEFORE, CONTEXT_AFTER, SPLITTER)
# The claims editor's title line, filled when a task is loaded: the title, or "" where the unit or
# the unit before it is the headline itself (the title would show twice).
TITLE_ABOVE = "title_above"

# Tasks from row corpora (`annotate split` of a .tsv/.csv benchmark: articles/rows.py) carry the
# TASK_FIELDS (null offsets) and these: the row's own id exactly as the file holds it, its corpus,
# its place in the file, the benchmark's label, the split its file name says, the file's name and
# the row's cells.
SOURCE_ID = "source_id"
CORPUS = "corpus"
SOURCE_ROW = "source_row"
REFERENCE_LABEL = "reference_label"
SOURCE_SPLIT = "source_split"
SOURCE_FILE = "source_file"  # the file's name: combine writes the benchmark file back under it
SOURCE_COLUMNS = "source_columns"  # the file's header, which columns are text and label, the other cells
ROW_FIELDS = (SOURCE_ID, CORPUS, SOURCE_ROW, REFERENCE_LABEL, SOURCE_SPLIT, SOURCE_FILE, SOURCE_COLUMNS)


def row_sentence_id(corpus: str, source_id: str) -> str:
    """The sentence_id of a row: corpus and row id, so two corpora with small integer ids can share a project."""
    return f"{corpus}:{source_id}"


# Verification tasks (made by `annotate promote`) are keyed by claim; review tasks (made by
# `annotate adjudicate`) say which project and task they adjudicate.
CLAIM_ID = "claim_id"
ADJUDICATION_OF = "adjudication_of"

# Claim clusters (issue 17: `annotate match`, promote by cluster). A verification task is one
# cluster of mentions of the same claim: its cluster_id is the claim_id of the earliest mention,
# `mentions` holds every mention's verification record, `mention_options` the dynamic choices of
# `same_claim` (every mention but the task's own claim), `previously_checked` the line saying a past
# fact-check matched, and `past_checks` those checks (id, claim, verdict, rating, organization, url,
# origin, score).
CLUSTER_ID = "cluster_id"
MENTIONS = "mentions"
MENTION_OPTIONS = "mention_options"
PREVIOUSLY_CHECKED = "previously_checked"
PAST_CHECKS = "past_checks"
PREVIOUS_CHECK_URL = "previous_check_url"  # the link of the previously_checked fact-check ("" without one)
SAME_CLAIM = "same_claim"  # the Choices control: a ticked mention is confirmed as the same claim
MENTION_ADDED_AT = "added_at"  # when promote added a mention to an existing task (UTC, ISO 8601)
# Shown on the verification screen only, made from the claim's record: the source type as the claims
# editor showed it ("Named organisation"), and the passage with the claim's sentence in <mark>.
SOURCE_TYPE_LABEL = "source_type_label"
CONTEXT_MARKED = "context_marked"
CLUSTER_FIELDS = (CLUSTER_ID, MENTIONS, MENTION_OPTIONS, PREVIOUSLY_CHECKED, PAST_CHECKS, PREVIOUS_CHECK_URL)

# Where a mention's verdict in the verdicts table comes from.
NEAR_MISS = "near_miss"  # a past check that trips a guard of annotate.loop.match: listed, its verdict never given
VERDICT_SOURCE = "verdict_source"
DIRECT = "direct"  # the task's own claim (and every per-claim task of the old contract)
CLUSTER_CONFIRMED = "cluster_confirmed"  # ticked in same_claim by the verifier who gave the verdict
CLUSTER_REJECTED = "cluster_rejected"  # listed when the verdict was given, not ticked: no verdict
CLUSTER_AUTOMATIC = "cluster_automatic"  # added to the task after the verdict: flagged, not published
PREVIOUS_FACTCHECK = "previous_factcheck"  # no verdict given here; a past fact-check above the threshold
# In order of precedence: a claim that is a mention of two tasks gets its row from the first.
VERDICT_SOURCES = (DIRECT, CLUSTER_CONFIRMED, CLUSTER_AUTOMATIC, PREVIOUS_FACTCHECK, CLUSTER_REJECTED)
