"""What a conversion did, for people (stderr) and programs (``--report FILE.json``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import ir
from .codegen.script_options import ScriptOption


@dataclass(frozen=True, slots=True)
class Report:
    source: str
    entries: int  # entries in the HAR
    steps: int  # requests in the generated flow
    pages: int
    main_origin: str
    user_class: str
    skipped: tuple[tuple[str, int], ...]
    diagnostics: tuple[ir.Diagnostic, ...]
    correlations: tuple[dict[str, Any], ...] = ()
    secrets: tuple[ir.Secret, ...] = ()
    data_columns: tuple[ir.DataColumn, ...] = ()
    options: tuple[ScriptOption, ...] = ()  # what the script adds to Locust's command line
    timings: tuple[tuple[str, float], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "entries": self.entries,
            "steps": self.steps,
            "pages": self.pages,
            "main_origin": self.main_origin,
            "user_class": self.user_class,
            "skipped": dict(self.skipped),
            "diagnostics": [{"level": d.severity.value, "message": d.message}
                            for d in self.diagnostics],
            "correlations": list(self.correlations),
            # names only: a report must not leak what it replaced
            "secrets": [{"option": "--" + s.name.replace("_", "-"), "env": s.env,
                         "kind": s.kind, "where": s.where} for s in self.secrets],
            "data_columns": [{"column": c.name, "kind": c.kind} for c in self.data_columns],
            "options": [{"option": o.flag, "help": o.help} for o in self.options],
            "timings_s": dict(self.timings),
        }

    def summary_lines(self) -> list[str]:
        skipped = sum(n for _, n in self.skipped)
        lines = [f"{self.source}: {self.entries} entries → {self.steps} requests in "
                 f"{self.pages} pages ({self.user_class}), host {self.main_origin or '-'}"]
        if skipped:
            detail = ", ".join(f"{reason}: {n}" for reason, n in self.skipped)
            lines.append(f"  not replayed: {skipped} ({detail})")
        if self.correlations:
            lines.append(f"  correlated values: {len(self.correlations)}")
            for c in self.correlations:
                used = ", ".join(str(n) for n in c["used_by"])
                lines.append(f"    {c['var']:<24} {c['preview']:<26} step {c['source_step']} "
                             f"{c['how']:<34} → steps {used}")
        if self.secrets:
            lines.append("  secrets (not in the script): give each as its option, or set its "
                         "environment variable")
        if self.data_columns:
            lines.append("  per-user data columns: " + ", ".join(c.name for c in self.data_columns))
        if self.options:
            lines.append("  options of the script:")
            width = max(len(o.flag) for o in self.options)
            lines.extend(f"    {o.flag:<{width}}  {o.help}" for o in self.options)
        for d in self.diagnostics:
            lines.append(f"  {d.severity.value}: {d.message}")
        return lines


@dataclass(frozen=True, slots=True)
class WorkloadReport:
    """The report of a script made of several recordings: a section per recording."""

    sections: tuple[Report, ...]  # in the order the recordings were given
    classes: tuple[str, ...]  # each section's user class in the script
    weights: tuple[int, ...]  # each class's Locust weight
    options: tuple[ScriptOption, ...] = ()  # what the script adds to Locust's command line
    timings: tuple[tuple[str, float], ...] = field(default=())

    @property
    def diagnostics(self) -> tuple[ir.Diagnostic, ...]:
        return tuple(d for section in self.sections for d in section.diagnostics)

    def as_dict(self) -> dict[str, Any]:
        recordings = []
        for section, name, weight in zip(self.sections, self.classes, self.weights, strict=True):
            part = section.as_dict()
            del part["timings_s"]  # the conversion's, below
            recordings.append({"class": name, "weight": weight, **part})
        return {"recordings": recordings,
                "options": [{"option": o.flag, "help": o.help} for o in self.options],
                "timings_s": dict(self.timings)}

    def summary_lines(self) -> list[str]:
        total = sum(self.weights)
        lines = []
        for section, name, weight in zip(self.sections, self.classes, self.weights, strict=True):
            lines.append(f"{name} (weight {weight}/{total}):")
            lines.extend("  " + line for line in replace(section, options=()).summary_lines())
        if self.options:
            lines.append("options of the script:")
            width = max(len(o.flag) for o in self.options)
            lines.extend(f"  {o.flag:<{width}}  {o.help}" for o in self.options)
        return lines
