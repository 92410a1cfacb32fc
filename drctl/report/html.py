"""The report as one self-contained HTML file: inline CSS, charts as PNG data URIs, no script,
nothing fetched. Jinja2 escapes every value (run errors and playbook names are not markup)."""

from __future__ import annotations

import base64
from typing import Any

from jinja2 import Environment

from drctl.core.clock import iso
from drctl.core.durations import format_duration
from drctl.report import charts
from drctl.report.model import Group, Report
from drctl.report.records import Figure, RunRecord
from drctl.report.summary import RunSummary
from drctl.report.text import figures, pass_rate, title

# A timeline per failover; past this many a report would be mostly timelines.
MAX_TIMELINES = 30

STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#263238;max-width:70em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #cfd8dc;padding:.25em .6em;text-align:left;font-size:.9em}
th{background:#eceff1} .missed{color:#c62828;font-weight:bold} .met{color:#2e7d32}
code{font-size:.9em} img{display:block;margin:.5em 0 1em;max-width:100%}
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title><style>{{ style }}</style></head><body>
<h1>{{ title }}</h1><p>generated {{ generated }}</p>
{{ body }}
</body></html>
"""

REPORT = """
<h2>Summary</h2>
<table><tr><th>playbook / runbook</th><th>kind</th><th>runs</th><th>pass rate</th>
<th>RTO last/p50/p90/worst (target)</th><th>RPO last/p50/p90/worst (target)</th></tr>
{% for g in groups %}<tr><td>{{ g.playbook }}</td><td>{{ g.kind }}</td><td>{{ g.runs }}</td>
<td>{{ g.rate }}</td><td>{{ g.rto }}</td><td>{{ g.rpo }}</td></tr>{% endfor %}
</table>
{% if not groups %}<p>No runs in this window.</p>{% endif %}
<h2>Misses</h2>
{% if misses %}<table><tr><th>run id</th><th>kind</th><th>started</th><th>why</th></tr>
{% for m in misses %}<tr><td><code>{{ m.run_id }}</code></td><td>{{ m.kind }}</td>
<td>{{ m.started }}</td><td class="missed">{{ m.why }}</td></tr>{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}
<h2>Regressions</h2>
{% if regressions %}<table><tr><th>run id</th><th>kind</th><th>what</th></tr>
{% for r in regressions %}<tr><td><code>{{ r.run_id }}</code></td><td>{{ r.kind }}</td>
<td>{{ r.message }}</td></tr>{% endfor %}</table>
{% else %}<p>None.</p>{% endif %}
<h2>Restore age</h2>
{% if ages %}<table>
<tr><th>drill target</th><th>last validated</th><th>run id</th><th>age</th></tr>
{% for a in ages %}<tr><td>{{ a.target }}</td><td>{{ a.at }}</td>
<td><code>{{ a.run_id }}</code></td>
<td>{{ a.sentence }}</td></tr>{% endfor %}</table>
{% else %}<p>No drills in the journal.</p>{% endif %}
{% for g in groups %}
<h2>{{ g.playbook }} · {{ g.kind }}</h2>
{% for chart in g.charts %}<img alt="{{ chart.alt }}" src="{{ chart.src }}">{% endfor %}
<table>
<tr><th>run id</th><th>started</th><th>status</th><th>RTO</th><th>RPO</th><th>verdict</th></tr>
{% for r in g.rows %}<tr><td><code>{{ r.run_id }}</code></td><td>{{ r.started }}</td>
<td>{{ r.status }}</td><td class="{{ r.rto_class }}">{{ r.rto }}</td>
<td class="{{ r.rpo_class }}">{{ r.rpo }}</td><td>{{ r.verdict }}</td></tr>{% endfor %}</table>
{% for t in g.timelines %}<h3>Timeline of <code>{{ t.run_id }}</code></h3>
<img alt="timeline of {{ t.run_id }}" src="{{ t.src }}">{% endfor %}
{% if g.timelines_left %}<p>{{ g.timelines_left }} older failover timeline(s) left out: see
<code>drctl runs show RUN_ID --format html</code>.</p>{% endif %}
{% endfor %}
"""

RUN = """
<p>{{ headline }}</p>
<ul>{% for line in lines %}<li>{{ line }}</li>{% endfor %}
<li>full report: {% for c in commands %}<code>{{ c }}</code>
{%- if not loop.last %} or {% endif %}{% endfor %}</li></ul>
{% if timeline %}<img alt="timeline of {{ run_id }}" src="{{ timeline }}">{% endif %}
<table><tr><th>step</th><th>status</th><th>started</th><th>duration</th></tr>
{% for s in steps %}<tr><td>{{ s.name }}</td><td>{{ s.status }}</td><td>{{ s.started }}</td>
<td>{{ s.duration }}</td></tr>{% endfor %}</table>
"""

_ENV = Environment(autoescape=True)


def report_html(report: Report) -> str:
    groups = [_group(g) for g in report.groups]
    body = _ENV.from_string(REPORT).render(
        groups=groups, misses=_misses(report), ages=_ages(report),
        regressions=[{"run_id": r.run_id, "kind": g.kind, "message": r.message}
                     for g in report.groups for r in g.regressions])
    return _page(title(report), iso(report.generated_at), body)


def run_html(summary: RunSummary) -> str:
    record = summary.record
    steps = [{"name": s.name, "status": s.status, "started": iso(s.started_at) or "-",
              "duration": format_duration(s.seconds)} for s in record.steps]
    body = _ENV.from_string(RUN).render(
        headline=summary.headline, lines=summary.lines, commands=summary.commands,
        run_id=record.run_id, steps=steps,
        timeline=_uri(charts.timeline(record)))
    return _page(f"drctl {record.kind} {record.run_id}", iso(summary.generated_at), body)


def _page(heading: str, generated: str | None, body: str) -> str:
    from markupsafe import Markup

    return _ENV.from_string(PAGE).render(title=heading, generated=generated, style=Markup(STYLE),
                                         body=Markup(body))


def _group(group: Group) -> dict[str, Any]:
    records = group.records
    pictures = [("RTO per run over time, target dashed", charts.figures_over_time(records,
                                                                                  "rto")),
                ("RPO per run over time, target dashed", charts.figures_over_time(records,
                                                                                  "rpo")),
                ("chaos verdicts over time", charts.verdicts_over_time(records))]
    failovers = [r for r in records if r.kind == "failover"][-MAX_TIMELINES:]
    timelines = [{"run_id": r.run_id, "src": _uri(charts.timeline(r))} for r in failovers]
    return {
        "playbook": group.name, "kind": group.kind, "runs": group.runs,
        "rate": pass_rate(group), "rto": figures(group.rto), "rpo": figures(group.rpo),
        "charts": [{"alt": alt, "src": _uri(png)} for alt, png in pictures if png],
        "rows": [_row(r) for r in records],
        "timelines": [t for t in timelines if t["src"]],
        "timelines_left": sum(r.kind == "failover" for r in records) - len(failovers),
    }


def _row(record: RunRecord) -> dict[str, str]:
    return {"run_id": record.run_id, "started": iso(record.started_at) or "-",
            "status": str(record.status), "verdict": record.verdict or "-",
            "rto": _value(record.rto), "rto_class": _class(record.rto),
            "rpo": _value(record.rpo), "rpo_class": _class(record.rpo)}


def _value(figure: Figure | None) -> str:
    return "-" if figure is None else format_duration(figure.seconds)


def _class(figure: Figure | None) -> str:
    if figure is None or figure.met is None:
        return ""
    return "met" if figure.met else "missed"


def _misses(report: Report) -> list[dict[str, str]]:
    return [{"run_id": m.run_id, "kind": g.kind, "started": iso(m.started_at) or "-",
             "why": "; ".join(m.reasons)} for g in report.groups for m in g.misses]


def _ages(report: Report) -> list[dict[str, str]]:
    return [{"target": a.target, "at": iso(a.last_validated_at) or "never",
             "run_id": a.run_id or "-", "sentence": a.sentence} for a in report.restore_ages]


def _uri(png: bytes | None) -> str | None:
    if png is None:
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
