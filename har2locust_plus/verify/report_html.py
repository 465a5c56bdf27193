"""The verify result as one self-contained HTML page (``--html``).

No external resources: inline CSS, a few lines of inline JS (a "failures only" filter), the
correlations drawn as inline SVG arrows from the source step to the steps that use the value.
Every text from the HAR, the server or the script goes through :func:`html.escape` (``_e``):
recorded and replayed text never becomes markup.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Iterator

from .. import ir
from .compare import Finding, StepResult
from .cookies import COOKIE
from .core import Outcome, Round
from .replay import Exchange
from .report_text import result_text, shorten, status_text, taken_once_notes

ROW = 44  # px per step row: the arrows are drawn on this grid
LANE = 11  # px between two arrows' lanes
MAX_DIFF_CHARS = 20_000
MAX_DIFF_LINES = 160

CSS = """
:root { --ok: #1a7f37; --fail: #cf222e; --skip: #6e7781; --rec: #0969da; --found: #bc4c00;
        --added: #8250df; --line: #d0d7de; font-family: system-ui, sans-serif; }
body { margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
code, pre, .mono { font-family: ui-monospace, monospace; font-size: .85rem; }
.verdict { font-weight: 600; padding: .5rem .8rem; border-radius: 6px; }
.verdict.pass { background: #dafbe1; color: var(--ok); }
.verdict.fail { background: #ffebe9; color: var(--fail); }
.flow-wrap { position: relative; padding-left: var(--gutter); }
.flow-wrap svg { position: absolute; left: 0; top: 0; overflow: visible; }
ol.flow { list-style: none; margin: 0; padding: 0; }
ol.flow li { height: 44px; box-sizing: border-box; border-bottom: 1px solid var(--line);
             display: grid; grid-template-columns: 3rem 20rem 9rem 1fr; gap: .6rem;
             align-items: center; white-space: nowrap; overflow: hidden; }
ol.flow li .msg { overflow: hidden; text-overflow: ellipsis; font-size: .85rem; }
.num { font-weight: 600; text-align: right; }
.badge { display: inline-block; padding: .1rem .45rem; border-radius: 1rem; color: #fff;
         font-size: .8rem; font-weight: 600; }
.badge.ok { background: var(--ok); } .badge.fail { background: var(--fail); }
.badge.skip { background: var(--skip); }
.vars { color: #57606a; font-size: .8rem; }
.legend span { margin-right: 1.2rem; font-size: .85rem; }
.legend i { display: inline-block; width: 1.6rem; height: 0; border-top: 2px solid;
            vertical-align: middle; margin-right: .3rem; }
tr.failed td:first-child { color: var(--fail); font-weight: 600; }
table { border-collapse: collapse; font-size: .85rem; }
td, th { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
pre.diff { background: #f6f8fa; padding: .6rem; overflow-x: auto; max-height: 30rem; }
pre.diff .add { color: var(--ok); } pre.diff .del { color: var(--fail); }
pre.diff .hunk { color: #8250df; }
body.only-failures ol.flow li.passed { opacity: .35; }
details > summary { cursor: pointer; }
"""

SCRIPT = """
document.getElementById("only-failures").addEventListener("change", function (event) {
  document.body.classList.toggle("only-failures", event.target.checked);
});
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(outcome: Outcome) -> str:
    final = outcome.final
    verdict = "pass" if outcome.passed else "fail"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>verify {_e(outcome.source)}: {verdict.upper()}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>verify <code>{_e(outcome.source)}</code> against <code>{_e(outcome.host)}"
        "</code></h1>",
        f'<p class="verdict {verdict}" id="verdict">{_e(final.verdict())}</p>',
        '<p><label><input type="checkbox" id="only-failures"> dim the steps that passed'
        "</label></p>",
        '<p class="legend"><span><i style="color:var(--rec)"></i>correlated</span>'
        '<span><i style="color:var(--added)"></i>added by --fix (replay)</span>'
        '<span><i style="color:var(--found);border-top-style:dashed"></i>missed, found by '
        "replay</span></p>",
    ]
    if outcome.added:
        parts.append("<h2>Correlation rules added by --fix</h2>")
        parts.append(_findings_table(outcome.added))
    for number, round_ in enumerate(outcome.rounds, start=1):
        last = number == len(outcome.rounds)
        title = f"Round {number}: {_e(round_.label)} — {_e(round_.verdict())}"
        body = _round(round_, number)
        if last:
            parts.append(f'<section class="round" id="round-{number}"><h2>{title}</h2>'
                         f"{body}</section>")
        else:
            parts.append(f'<details class="round" id="round-{number}"><summary>{title}'
                         f"</summary>{body}</details>")
    if outcome.skipped:
        items = "".join(f"<li>{_e(reason)}: {count}</li>" for reason, count in outcome.skipped)
        parts.append(f"<h2>Recorded entries not replayed</h2><ul>{items}</ul>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


# --- one round: the flow with arrows, what was found, the diffs of failing steps --------------


def _round(round_: Round, number: int) -> str:
    arrows = list(_arrows(round_))
    gutter = 24 + LANE * max(1, len(arrows))
    rows = [_row(r, number) for r in round_.results]
    rows += [_extra_row(e) for e in round_.extra if e.iteration == 1]
    svg = _svg(arrows, gutter, len(rows))
    out = [f'<div class="flow-wrap" style="--gutter:{gutter}px">{svg}'
           f'<ol class="flow">{"".join(rows)}</ol></div>']
    out.append(_iteration_2(round_))
    if round_.replay.stopped:
        out.append(f"<p>Note: {_e(round_.replay.stopped)}</p>")
    if round_.findings:
        out.append("<h3>Dynamic values the script does not correlate (found by replay)</h3>")
        out.append(_findings_table(round_.findings))
    failing = [r for r in round_.results if r.replayed and not r.ok]
    if failing or round_.new_in_again:
        out.append("<h3>Failing steps: recorded vs replayed</h3>")
    failing += round_.new_in_again
    if failing:
        recorded = {s.number: s for s in round_.scenario.steps}
        replayed = {(e.iteration, e.step): e for e in reversed(round_.replay.exchanges)
                    if e.step is not None}  # reversed: the first exchange of a step wins
        for result in failing:
            out.append(_diff(result, recorded.get(result.number),
                             replayed.get((result.iteration, result.number))))
    return "\n".join(out)


def _iteration_2(round_: Round) -> str:
    """What the same user's second run of the flow did differently: a table of those steps."""
    if not round_.again:
        if round_.replay.iterations < 2 and any(r.replayed for r in round_.results):
            return '<p class="iteration-2">Iteration 2: not run (iteration 1 ended early).</p>'
        return ""
    differing = round_.differing
    others = [e for e in round_.extra if e.iteration == 2 and e.failure]
    title = (f"Iteration 2 (the same user again): {len(differing)} of {len(round_.again)} "
             "steps differ from iteration 1" if differing else
             f"Iteration 2 (the same user again): {sum(r.replayed for r in round_.again)} of "
             f"{len(round_.again)} steps as in iteration 1")
    if not differing and not others:
        return f'<p class="iteration-2">{_e(title)}</p>'
    first = {r.number: r for r in round_.results}
    rows = "".join(
        f'<tr class="{"passed" if r.ok else "failed"}"><td>{r.number}</td>'
        f'<td class="mono">{_e(r.method)} {_e(r.name)}</td>'
        f"<td>{_e(status_text(first[r.number]))}</td><td>{_e(status_text(r))}</td>"
        f"<td>{_e(result_text(r))}</td></tr>" for r in differing) + "".join(
        f'<tr class="failed"><td>-</td><td class="mono">{_e(e.method)} {_e(e.name)}</td>'
        f"<td></td><td>{_e(e.status or 'none')}</td><td>{_e(e.failure)}</td></tr>"
        for e in others)
    notes = "".join(f'<p class="taken-once">Note: {_e(note)}</p>'
                    for note in taken_once_notes(round_))
    return (f'<h3 class="iteration-2">{_e(title)}</h3><table class="iteration-2"><tr><th>step'
            "</th><th>request</th><th>iteration 1</th><th>iteration 2</th><th>result</th></tr>"
            f"{rows}</table>{notes}")


def _row(result: StepResult, round_number: int) -> str:
    if not result.replayed:
        badge, css = '<span class="badge skip">not replayed</span>', "skipped"
    elif result.ok:
        badge, css = f'<span class="badge ok">{_e(result.replayed_status)}</span>', "passed"
    else:
        shown = "refused" if result.refused else result.replayed_status or "none"
        badge, css = f'<span class="badge fail">{_e(shown)}</span>', "failed"
    variables = ", ".join(f"{k}={shorten(v)}" for k, v in result.variables)
    message = result_text(result)
    if result.missing_keys:
        message += "; JSON keys missing: " + ", ".join(result.missing_keys)
    return (f'<li class="step {css}" id="r{round_number}-step-{result.number}" '
            f'data-step="{result.number}" title="{_e(message)}">'
            f'<span class="num">{result.number}</span>'
            f'<span class="mono">{_e(result.method)} {_e(result.name)}</span>'
            f'<span>{_e(status_text(result))} {badge}</span>'
            f'<span class="msg">{_e(message)} <span class="vars">{_e(variables)}</span>'
            "</span></li>")


def _extra_row(exchange: Exchange) -> str:
    css, badge = ("failed", "fail") if exchange.failure else ("passed", "ok")
    return (f'<li class="step {css}"><span class="num">-</span>'
            f'<span class="mono">{_e(exchange.method)} {_e(exchange.name)}</span>'
            f'<span><span class="badge {badge}">{_e(exchange.status or "none")}</span></span>'
            f'<span class="msg">{_e(exchange.failure or "")}</span></li>')


def _arrows(round_: Round) -> Iterator[tuple[str, int, tuple[int, ...], str]]:
    """(variable, source step, use steps, kind) for every correlation of this round."""
    added = {f.regex for f in round_.rules}
    for step in round_.scenario.steps:
        for extraction in step.extractions:
            if extraction.used_by:
                kind = "added" if extraction.kind in ("regex", "location") and \
                    extraction.expr in added else "rec"
                yield extraction.var, step.number, extraction.used_by, kind
    for finding in round_.findings:
        yield finding.name, finding.source_step, finding.used_by, "found"


def _svg(arrows: list[tuple[str, int, tuple[int, ...], str]], gutter: int, rows: int) -> str:
    height = rows * ROW
    out = [f'<svg width="{gutter}" height="{height}" viewBox="0 0 {gutter} {height}" '
           'role="img" aria-label="correlations">',
           "<defs>" + "".join(
               f'<marker id="head-{kind}" viewBox="0 0 10 10" refX="9" refY="5" '
               f'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
               f'<path d="M0,0 L10,5 L0,10 z" fill="var(--{color})"/></marker>'
               for kind, color in (("rec", "rec"), ("added", "added"), ("found", "found")))
           + "</defs>"]
    for lane, (var, source, uses, kind) in enumerate(arrows):
        x = gutter - 16 - lane * LANE
        y1 = (source - 0.5) * ROW
        dash = ' stroke-dasharray="4 3"' if kind == "found" else ""
        for use in uses:
            y2 = (use - 0.5) * ROW
            if y2 > height:
                continue
            out.append(
                f'<path class="arrow {kind}" d="M{gutter - 2},{y1:.0f} C{x},{y1:.0f} {x},'
                f'{y2:.0f} {gutter - 2},{y2:.0f}" fill="none" stroke="var(--{kind})" '
                f'stroke-width="1.6"{dash} marker-end="url(#head-{kind})">'
                f"<title>{_e(var)}: step {source} → step {use}</title></path>")
    out.append("</svg>")
    return "".join(out)


def _findings_table(findings: tuple) -> str:
    rows = "".join(
        f"<tr><td><code>{_e(f.name)}</code></td><td>{f.source_step}</td>"
        f"<td>{_e(', '.join(str(n) for n in f.used_by))}</td>"
        f"<td>{_e(_where(f))}</td>"
        f"<td><code>{_e(shorten(f.value, 32))}</code> → <code>{_e(shorten(f.replayed, 32))}"
        f"</code></td><td><code>{_e(_rule(f))}</code></td></tr>"
        for f in findings)
    return ("<table class=\"findings\"><tr><th>name</th><th>from step</th><th>sent back by</th>"
            f"<th>where</th><th>recorded → replayed</th><th>rule</th></tr>{rows}</table>")


def _where(finding: Finding) -> str:
    if finding.where == COOKIE:
        return f"cookie {finding.name}, sent as {finding.context}"
    return "body" if finding.where == "body" else "header " + finding.where


def _rule(finding: Finding) -> str:
    if finding.where == COOKIE:
        return f"read from the cookie jar ({finding.name})"
    return finding.regex or "no regex found"


def _diff(result: StepResult, step: ir.Step | None, exchange: Exchange | None) -> str:
    iteration = "iteration 2: " if result.iteration == 2 else ""
    anchor = f"diff-iter2-step-{result.number}" if result.iteration == 2 else \
        f"diff-step-{result.number}"
    recorded = _response_lines(step.response if step else None)
    replayed = _exchange_lines(exchange)
    lines = list(difflib.unified_diff(recorded, replayed, "recorded", "replayed", n=2,
                                      lineterm=""))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    body = "\n".join(_diff_line(line) for line in lines) or "(no difference in the text)"
    return (f'<details open class="diff" id="{anchor}"><summary>{iteration}step '
            f"{result.number} {_e(result.method)} {_e(result.name)}: {_e(result.problem)}"
            f'</summary><pre class="diff">{body}</pre></details>')


def _diff_line(line: str) -> str:
    css = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
    if line.startswith(("+++", "---")):
        css = "hunk"
    return f'<span class="{css}">{_e(line)}</span>' if css else _e(line)


def _response_lines(response: ir.RecordedResponse | None) -> list[str]:
    if response is None:
        return ["(no recorded response)"]
    return _lines(response.status, response.headers, response.text)


def _exchange_lines(exchange: Exchange | None) -> list[str]:
    if exchange is None:
        return ["(not replayed)"]
    return _lines(exchange.status, exchange.headers, exchange.text)


def _lines(status: int, headers: tuple[tuple[str, str], ...], text: str | None) -> list[str]:
    skip = {"date", "server", "content-length", "connection", "set-cookie"}
    lines = [f"status {status}"]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in skip and not k.startswith(":")]
    lines.append("")
    lines += (text or "")[:MAX_DIFF_CHARS].splitlines()
    return lines
