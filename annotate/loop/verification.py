"""`annotate promote`: claims to verification, one task per claim cluster. Every CLAIM span of a
sentence whose gold claim_status is claim_checkworthy is a mention (annotate.loop.promote);
mentions of the same claim (annotate.loop.match: a matches.jsonl from `annotate match`, else
clustered here the same way) make one task of the verification project.

The spans are those of the sentence's gold annotation (datasets.gold_annotation: the adjudication,
else a ground-truth annotation, else the first annotator who chose the gold answer), so two
annotators marking the same claim give one mention. A claim's id is `<sentence_id>/<start>-<end>`
(character offsets in the sentence); a cluster's id is the claim_id of its earliest mention.

A task's data is its earliest mention's record (its own claim, shown as today), plus the cluster:
`cluster_id`, `mentions` (every mention's record), `mention_options` (the other mentions, as the
dynamic choices of `same_claim`, where the verifier confirms each one), `previously_checked` and
`past_checks` (past fact-checks that matched). Loading is idempotent by cluster: a mention already
in a task is left alone (one whose text, normalised form or source changed is reported, not
overwritten: it may already be verified); a new mention of a cluster that has a task is added to
that task's data in place (PATCH: its annotations stay; it carries `added_at`, on the server's clock, so a verdict given
before it came does not count as confirming it); a cluster whose mentions are in two tasks
(clusters merged) or a task whose mentions are now in two clusters (a cluster split) is reported and
left as it is. A task of the old contract (one per claim, no cluster_id) is the task of its claim's
cluster: it gets the cluster's fields and other mentions, and keeps its annotations.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotate.dataset.collect import gc_paused, read_collection
from annotate.dataset.verdicts import mentions_of
from annotate.labelstudio.api.load import JOURNAL_FILE, LoadOptions, LoadReport, digest, load_tasks, sanitize
from annotate.labelstudio.api.projects import ProjectSpec, require_project
from annotate.labelstudio.exported.exports import ExportSet
from annotate.labelstudio.exported.rules import shown_values
from annotate.loop.fusion import Semantic
from annotate.loop.match import Cluster, Match, Mention, cluster_claims, confident, read_matches
from annotate.loop.promote import COMPARED, verification_records
from annotate.vocabulary import (
    CLAIM_ID,
    CLUSTER_FIELDS,
    CLUSTER_ID,
    CONTEXT_MARKED,
    MENTION_ADDED_AT,
    MENTION_OPTIONS,
    MENTIONS,
    NORMALIZED_CLAIM,
    PAST_CHECKS,
    PREVIOUS_CHECK_URL,
    PREVIOUSLY_CHECKED,
    PUBLISHED,
    SENTENCE_ID,
    SOURCE_TYPE,
    SOURCE_TYPE_LABEL,
    TITLE,
    URL,
)  # fmt: skip


# Cluster tasks ---------------------------------------------------------------------------------
def mention_option(record: Mapping[str, Any]) -> dict[str, str]:
    """One mention as a dynamic choice of same_claim: its claim_id is stored, the verifier sees
    "title — sentence (url, date)" (escaped: Label Studio renders `html`)."""
    where = ", ".join(str(record.get(k)) for k in (URL, PUBLISHED) if record.get(k))
    parts = [str(record.get(TITLE) or ""), str(record.get("sentence") or record.get("claim") or "")]
    text = " — ".join(p for p in parts if p) + (f" ({where})" if where else "")
    return {"value": str(record[CLAIM_ID]), "html": html.escape(text, quote=False)}


def previous_check_url(matches: Sequence[Match]) -> str:
    """The http(s) link of the check previously_checked names, or "" (the screen shows it as a link)."""
    trusted = confident(matches)
    url = trusted[0].check.url if trusted else ""
    return url if url.lower().startswith(("http://", "https://")) else ""


def previously_checked(matches: Sequence[Match]) -> str:
    """ "previously checked: VERDICT by ORGANISATION (URL)" for the best past check no near-miss guard
    doubts, or "" (a near miss stays in past_checks, marked)."""
    trusted = confident(matches)
    if not trusted:
        return ""
    check = trusted[0].check
    line = f"previously checked: {check.verdict or check.rating or 'no verdict'} by {check.organization or 'unknown'}"
    return line + (f" ({check.url})" if check.url else "")


def _own(data: Mapping[str, Any]) -> dict[str, Any]:
    """A task's own claim record: its data without the cluster fields."""
    return {k: v for k, v in data.items() if k not in CLUSTER_FIELDS}


def cluster_fields(own_claim: Any, mentions: Sequence[Mapping[str, Any]], cluster: Cluster) -> dict[str, Any]:
    """The cluster part of a task's data: every mention, the others as same_claim's options, and the
    past checks that matched."""
    return {
        CLUSTER_ID: cluster.cluster_id, MENTIONS: [dict(m) for m in mentions],
        MENTION_OPTIONS: [mention_option(m) for m in mentions if m.get(CLAIM_ID) != own_claim],
        PREVIOUSLY_CHECKED: previously_checked(cluster.matches), PAST_CHECKS: [m.as_dict() for m in cluster.matches],
        PREVIOUS_CHECK_URL: previous_check_url(cluster.matches),
    }  # fmt: skip


def cluster_task(cluster: Cluster) -> dict[str, Any]:
    """A new task's data: its earliest mention's record and the cluster. The normalised claim, the
    largest field of the verification screen, is the claim itself where the annotator gave none
    (the mentions keep what was annotated)."""
    first = cluster.representative.record
    own = _own(first)
    own[NORMALIZED_CLAIM] = own.get(NORMALIZED_CLAIM) or own.get("claim") or ""
    own[SOURCE_TYPE_LABEL] = own.get(SOURCE_TYPE_LABEL) or own.get(SOURCE_TYPE) or ""
    own[CONTEXT_MARKED] = context_marked(str(own.get("context") or ""), str(own.get("sentence") or ""))
    return own | cluster_fields(first[CLAIM_ID], [m.record for m in cluster.mentions], cluster)


def context_marked(context: str, sentence: str) -> str:
    """The passage as HTML (escaped) with the claim's sentence in <mark>: the screen shows where the
    claim sits among the sentences around it."""
    at = context.find(sentence) if sentence else -1
    if at < 0:
        return html.escape(context, quote=False)
    end = at + len(sentence)
    return (html.escape(context[:at], quote=False) + "<mark>" + html.escape(sentence, quote=False) + "</mark>"
            + html.escape(context[end:], quote=False))  # fmt: skip


def with_shown_source_types(records: list[dict[str, Any]], exports: ExportSet) -> list[dict[str, Any]]:
    """Each record with its source type as the claims editor showed it (the exports' label configs)."""
    shown: dict[str, str] = {}
    for rules in exports.rules.values():
        shown |= shown_values(rules, SOURCE_TYPE)
    return [r | {SOURCE_TYPE_LABEL: shown.get(r.get(SOURCE_TYPE) or "", r.get(SOURCE_TYPE) or "")} for r in records]


def clusters_for(records: list[dict[str, Any]], matches: Path | None, *, semantic: Semantic | None = None,
                 log: Callable[[str], None] = lambda _m: None) -> list[Cluster]:  # fmt: skip
    """The clusters of these mentions: a matches.jsonl's (its mention records refreshed from the
    exports; mentions it does not know clustered among themselves), else cluster_claims."""
    if matches is None:
        return cluster_claims(records, semantic=semantic)
    current = {str(r[CLAIM_ID]): r for r in records}
    clusters, known = [], set()
    for cluster in read_matches(matches, warn=lambda note: log(f"Warning: {note}")):
        mentions = tuple(Mention(current.get(m.claim_id, m.record)) for m in cluster.mentions)
        known |= {m.claim_id for m in mentions}
        clusters.append(Cluster(cluster.cluster_id, mentions, cluster.matches))
    return clusters + cluster_claims([r for r in records if str(r[CLAIM_ID]) not in known], semantic=semantic)


@dataclass
class ClusterPlan:
    """What promote does to the project: tasks to create, tasks whose data gains mentions, and what
    it leaves alone (merged clusters, split tasks, changed mentions)."""

    create: list[dict[str, Any]] = field(default_factory=list)
    extend: dict[int, dict[str, Any]] = field(default_factory=dict)  # task id -> its new data
    added: dict[int, list[str]] = field(default_factory=dict)  # task id -> the claim_ids added
    attached: list[int] = field(default_factory=list)  # old per-claim tasks that became cluster tasks
    present: int = 0  # clusters that already have their task
    changed: list[str] = field(default_factory=list)  # mentions whose compared fields differ in their task
    merged: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)


def plan_clusters(clusters: list[Cluster], tasks: Sequence[Any], *, now: str) -> ClusterPlan:
    """Compare the clusters with the project's tasks (id, data): see the module docstring."""
    plan = ClusterPlan()
    owner: dict[str, Any] = {}  # claim_id -> the task it is a mention of (the first, if several)
    for task in tasks:
        for mention in mentions_of(task.data):
            owner.setdefault(str(mention.get(CLAIM_ID)), task)
    home = {m.claim_id: c.cluster_id for c in clusters for m in c.mentions}
    split: set[int] = set()
    for task in tasks:
        parts = sorted({home[cid] for m in mentions_of(task.data) if (cid := str(m.get(CLAIM_ID))) in home})
        if len(parts) > 1:
            split.add(task.id)
            plan.split.append(f"task {task.id} ({task.data.get(CLUSTER_ID) or task.data.get(CLAIM_ID)}): its mentions "
                              f"are now in clusters {', '.join(parts)}; left as it is")  # fmt: skip
    for cluster in clusters:
        found = {t.id: t for m in cluster.mentions if (t := _owner(m, owner)) is not None}
        if not found:
            plan.create.append(cluster_task(cluster))
            continue
        if len(found) > 1:
            plan.merged.append(f"cluster {cluster.cluster_id}: its mentions are in tasks "
                               f"{', '.join(map(str, sorted(found)))}; left as they are")  # fmt: skip
            continue
        (task,) = found.values()
        if task.id in split:
            continue
        plan.present += 1
        _extend(plan, task, cluster, now)
    return plan


def _owner(mention: Mention, owner: dict[str, Any]) -> Any:
    """The task a mention belongs to: the one holding its claim_id, else the one `triage --load`
    made for its whole sentence (a mention whose claim_id is the sentence_id): the sentence's CLAIM
    span, promoted later, joins that task."""
    found = owner.get(mention.claim_id)
    return found if found is not None else owner.get(str(mention.record.get(SENTENCE_ID)))


def _extend(plan: ClusterPlan, task: Any, cluster: Cluster, now: str) -> None:
    """Plan the new data of the one task this cluster has: mentions it lacks (with added_at), the
    cluster fields of an old per-claim task, and past checks it did not show yet."""
    data, own_claim = task.data, task.data.get(CLAIM_ID)
    stored = {str(m.get(CLAIM_ID)): m for m in mentions_of(data)}
    for mention in cluster.mentions:
        kept = stored.get(mention.claim_id)
        if kept is not None and digest(dict(kept), COMPARED) != digest(mention.record, COMPARED):
            plan.changed.append(mention.claim_id)
    new = [m.record | {MENTION_ADDED_AT: now} for m in cluster.mentions if m.claim_id not in stored]
    old_contract = CLUSTER_ID not in data
    checks_missing = bool(cluster.matches) and not data.get(PAST_CHECKS)
    if not (new or old_contract or checks_missing):
        return
    fields = cluster_fields(own_claim, [*stored.values(), *new], cluster)
    if not checks_missing and not old_contract:  # the past checks shown stay as the verifier saw them
        fields |= {PREVIOUSLY_CHECKED: data.get(PREVIOUSLY_CHECKED, ""), PAST_CHECKS: data.get(PAST_CHECKS, []),
                   PREVIOUS_CHECK_URL: data.get(PREVIOUS_CHECK_URL, "")}  # fmt: skip
    fields[CLUSTER_ID] = data.get(CLUSTER_ID) or cluster.cluster_id
    plan.extend[task.id] = dict(data) | fields
    if new:
        plan.added[task.id] = [str(m[CLAIM_ID]) for m in new]
    if old_contract:
        plan.attached.append(task.id)


@dataclass
class PromoteReport:
    claims: int  # check-worthy claims (mentions) found in the exports
    clusters: int
    load: LoadReport
    plan: ClusterPlan
    project: str
    project_id: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims": self.claims, "clusters": self.clusters, "created": self.load.created,
            "already_present": self.plan.present, "changed": self.plan.changed,
            "tasks_extended": len(self.plan.extend), "mentions_added": sum(len(v) for v in self.plan.added.values()),
            "attached_per_claim_tasks": len(self.plan.attached), "merged": self.plan.merged, "split": self.plan.split,
            "duplicates_removed": self.load.duplicates_removed, "project_id": self.project_id,
            "dry_run": self.dry_run,
        }  # fmt: skip

    def text(self) -> str:
        verb = "would create" if self.dry_run else "created"
        grew = "would add" if self.dry_run else "added"
        d = self.as_dict()
        return (f"{self.claims} check-worthy claim(s) in {self.clusters} cluster(s): {verb} {self.load.created} "
                f"verification task(s), already present {self.plan.present}; {grew} {d['mentions_added']} "
                f"mention(s) to {d['tasks_extended']} task(s); changed {len(self.plan.changed)}, merged "
                f"{len(self.plan.merged)}, split {len(self.plan.split)} "
                f"(project {self.project!r}, id {self.project_id})")  # fmt: skip


def promote(
    exports: ExportSet, client: Any, spec: ProjectSpec, *, config_dir: Path, dry_run: bool = False,
    matches: Path | None = None, log: Callable[[str], None] = lambda _m: None, semantic: Semantic | None = None,
) -> PromoteReport:  # fmt: skip
    """`annotate promote`: the check-worthy claims of valid claims exports, clustered (`matches`: a
    matches.jsonl from `annotate match`), loaded into the verification project `spec` as one task
    per cluster (idempotent by cluster: see the module docstring)."""
    with gc_paused(exiting=True):
        records = verification_records(read_collection(exports).part(verification=False))
    records = with_shown_source_types(records, exports)
    clusters = clusters_for(records, matches, semantic=semantic, log=log)
    project_id, report, plan = load_clusters(clusters, client, spec, config_dir=config_dir, dry_run=dry_run, log=log)
    return PromoteReport(len(records), len(clusters), report, plan, spec.name, project_id, dry_run)


def load_clusters(clusters: list[Cluster], client: Any, spec: ProjectSpec, *, config_dir: Path, dry_run: bool = False,
                  log: Callable[[str], None] = lambda _m: None) -> tuple[int, LoadReport, ClusterPlan]:  # fmt: skip
    """The clusters into the verification project `spec`, one task each, idempotent by cluster
    (plan_clusters): what `promote` and `triage --load` share."""
    project_id = require_project(client, spec, config_dir=config_dir)
    now = client.server_time()  # the clock that stamps the annotations' updated_at
    plan = plan_clusters(clusters, client.tasks(project_id), now=now)
    options = LoadOptions(journal_path=config_dir / JOURNAL_FILE, fields=spec.data_fields(), dry_run=dry_run,
                          log=log, key=CLUSTER_ID, compare=COMPARED)  # fmt: skip
    report = load_tasks(client, project_id, plan.create, options)
    if not dry_run:
        for task_id, data in plan.extend.items():
            client.update_task_data(task_id, sanitize(data, spec.data_fields()))
    for cid in plan.changed:
        log(f"Warning: claim {cid} is already in {spec.name!r} with a different text, normalised claim or source; "
            "left unchanged")  # fmt: skip
    for line in plan.merged + plan.split:
        log(f"Warning: {line}")
    return project_id, report, plan
