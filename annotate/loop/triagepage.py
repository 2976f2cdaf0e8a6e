"""triage.html: the morning triage as one self-contained page (no server, no network, no file
beside it): the day's sentences ranked by check-worthiness, each with its outlets and links, the
past check that already answers it ("already checked: VERDICT by ORGANISATION (date, link)") and the
candidates below the safe cut; counts per article and topic; the model and past checks used.

It reads without JavaScript; a small script only adds a filter box. Every text is escaped, each
sentence's direction is the browser's (dir="auto": Arabic reads right to left), and only http(s)
addresses become links.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any
from urllib.parse import urlsplit

from annotate.vocabulary import ARTICLE_ID

STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:0 .8rem;color:#1a1a1a;
overflow-wrap:anywhere}
.wide{overflow-x:auto;max-width:100%}
h1{font-size:1.4rem;margin:.8rem 0 .2rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
.meta,.src,.cand{color:#555;font-size:.85rem}
ol.rows{padding:0;list-style:none}li.row{border-top:1px solid #ddd;padding:.6rem 0}
.score{display:inline-block;min-width:3.2rem;font-variant-numeric:tabular-nums;font-weight:600}
.worthy .score{color:#a4000f}.text{margin:.2rem 0;font-size:1.05rem}
.checked{background:#fff4d6;border-left:4px solid #e0a800;padding:.3rem .5rem;margin:.3rem 0}
table{border-collapse:collapse;font-size:.9rem}td,th{border-bottom:1px solid #eee;padding:.2rem .5rem;text-align:left;
overflow-wrap:normal}th{white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
#filter{display:none;width:100%;font-size:1rem;padding:.4rem;margin:.4rem 0;box-sizing:border-box}
a{color:#0645ad;overflow-wrap:anywhere}details{margin:.2rem 0}
"""

SCRIPT = """
var f=document.getElementById('filter');f.style.display='block';
f.addEventListener('input',function(){var q=f.value.toLowerCase();
document.querySelectorAll('li.row').forEach(function(li){
li.style.display=li.textContent.toLowerCase().indexOf(q)<0?'none':''});});
"""


def _link(url: Any, label: str) -> str:
    """A link for http(s) addresses; anything else (javascript:, data:, a path) stays text."""
    text = escape(label)
    if isinstance(url, str) and urlsplit(url.strip()).scheme.lower() in ("http", "https"):
        return f'<a href="{escape(url.strip(), quote=True)}" rel="noopener noreferrer">{text}</a>'
    return text


def _check(match: Any, *, verdict: bool) -> str:
    c = match.check
    when = f"{c.date}, " if c.date else ""
    where = _link(c.url, c.url) if c.url else "no link"
    head = (f"already checked: <strong>{escape(c.verdict or c.rating or 'no verdict')}</strong> by "
            f"{escape(c.organization or 'unknown organisation')}" if verdict
            else f"{escape(c.organization or 'unknown organisation')}")  # fmt: skip
    why = f"; {escape(match.near_miss)}" if match.near_miss else ""
    return (f'{head} ({escape(when)}{where}) &mdash; score {match.score:.2f}{why}'
            f'<div dir="auto">&ldquo;{escape(c.claim)}&rdquo;</div>')  # fmt: skip


def _row(row: Any) -> str:
    outlets = "; ".join(
        _link(r.get("url"), r.get("title") or r.get(ARTICLE_ID) or "article")
        + (f" &middot; {escape(r['source'])}" if r.get("source") else "")
        + (f" &middot; {escape(str(r['published']))}" if r.get("published") else "")
        for r in row.records)  # fmt: skip
    parts = [f'<li class="row{" worthy" if row.checkworthy else ""}" id="r{row.rank}">',
             f'<span class="score" title="probability of check-worthy">{row.checkworthiness:.2f}</span> '
             f'<span class="meta">#{row.rank} &middot; {escape(row.claim_status)}'
             + (f" &middot; {len(row.records)} outlets" if len(row.records) > 1 else "")
             + (f" &middot; {escape(', '.join(row.topics))}" if row.topics else "") + "</span>",
             f'<p class="text" dir="auto">{escape(row.text)}</p>',
             f'<div class="src">{outlets}</div>']  # fmt: skip
    parts += [f'<div class="checked">{_check(m, verdict=True)}</div>' for m in row.matches[:3]]
    if row.candidates:
        items = "".join(f"<li>{_check(m, verdict=False)}</li>" for m in row.candidates)
        parts.append(f'<details class="cand"><summary>{len(row.candidates)} candidate(s) below the safe cut '
                     f"(not confirmed: compare before use)</summary><ul>{items}</ul></details>")  # fmt: skip
    return "".join(parts) + "</li>"


def _counts(triage: Any) -> str:
    per_article: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    per_topic: Counter[str] = Counter()
    topic_checked: Counter[str] = Counter()
    for row in triage.rows:
        for record in row.records:
            per_article[record[ARTICLE_ID]] += row.checkworthy
            checked[record[ARTICLE_ID]] += bool(row.matches)
        for topic in row.topics:
            per_topic[topic] += row.checkworthy
            topic_checked[topic] += bool(row.matches)
    lines = [
        '<h2>Articles</h2><div class="wide"><table><tr><th>article</th><th>source</th><th class="n">sentences</th>'
        '<th class="n">check-worthy</th><th class="n">already checked</th></tr>'
    ]
    for article_id, a in sorted(triage.articles.items(), key=lambda p: (-per_article[p[0]], p[0])):
        lines.append(
            f'<tr><td dir="auto">{_link(a.get("url"), a.get("title") or article_id)}</td>'
            f'<td>{escape(a.get("source") or "")}</td><td class="n">{a["sentences"]}</td>'
            f'<td class="n">{per_article[article_id]}</td><td class="n">{checked[article_id]}</td></tr>'
        )
    lines.append("</table></div>")
    if per_topic:
        lines.append(
            '<h2>Topics</h2><div class="wide"><table><tr><th>topic</th><th class="n">check-worthy</th>'
            '<th class="n">already checked</th></tr>'
        )
        lines += [f'<tr><td dir="auto">{escape(t)}</td><td class="n">{n}</td><td class="n">{topic_checked[t]}</td></tr>'
                  for t, n in sorted(per_topic.items(), key=lambda p: (-p[1], p[0]))]  # fmt: skip
        lines.append("</table></div>")
    return "".join(lines)


def page(triage: Any) -> str:
    """The page of a Triage (annotate.loop.triage)."""
    c = triage.counts()
    against = ", ".join(f"{escape(k)} ({n} checks)" for k, n in triage.against.items()) or "no past checks given"
    embedding = (f"{escape(triage.embedding['model'])} {escape(triage.embedding['version'])}" if triage.embedding
                 else "none (words only)")  # fmt: skip
    summary = (f"{c['articles']} articles, {c['sentences']} sentences ({c['unique']} distinct), "
               f"<strong>{c['checkworthy']} check-worthy</strong>, <strong>{c['already_checked']} already "
               f"checked</strong>, {c['with_candidates']} with candidates only")  # fmt: skip
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Triage {escape(triage.day)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Triage {escape(triage.day)}</h1>", f'<p class="meta">{summary}.</p>',
        f'<p class="meta">Model {escape(triage.model["model_id"])}; embedding {embedding}; past checks: {against}. '
        "Ranked by the model's probability that a sentence is check-worthy; &ldquo;already checked&rdquo; only "
        "from the matcher's safe cut.</p>",
        '<input id="filter" type="search" placeholder="Filter sentences" aria-label="Filter sentences">',
        '<h2>Sentences</h2><ol class="rows">', *(_row(r) for r in triage.rows), "</ol>",
        _counts(triage), f"<script>{SCRIPT}</script>", "</body></html>", ""])  # fmt: skip
