"""Figures, their targets, PASS/FAIL, the printed table and `bench/results.json`."""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"

PASS, FAIL, INFO = "PASS", "FAIL", "info"


@dataclass
class Figure:
    """One measured figure; `status` is PASS/FAIL against its target, or info."""

    section: str
    item: str
    scale: str
    metric: str
    value: float | None
    unit: str
    target: str = ""
    status: str = INFO
    note: str = ""
    database: str = ""  # "SQLite" / "PostgreSQL" (the run's backends, issue 18)

    def shown(self) -> str:
        if self.value is None:
            return self.note or "n/a"
        if self.unit == "ms":
            return f"{self.value:.1f} ms"
        if self.unit == "s":
            return f"{self.value:.2f} s"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit == "%":
            return f"{self.value:.1f} %"
        if self.unit == "MiB":
            return f"{self.value:.1f} MiB"
        if self.unit == "/s":
            return f"{self.value:.1f}/s"
        if float(self.value).is_integer():
            return f"{int(self.value)}{' ' + self.unit if self.unit else ''}"
        return f"{self.value:.2f} {self.unit}".strip()


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    generation: list[dict[str, Any]] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)  # overview tables printed first
    remarks: list[str] = field(default_factory=list)  # lines printed under the table
    started: float = field(default_factory=time.time)
    database: str = ""  # stamped on every figure added while it is set

    def add(self, section: str, item: str, scale: str, metric: str, value: float | None,
            unit: str, *, target: str = "", ok: bool | None = None, note: str = "") -> Figure:
        """Record a figure; `ok` None = informational, and a missing value always FAILs
        when the figure has a target."""
        if ok is None:
            status = FAIL if (target and value is None) else INFO
        else:
            status = PASS if ok else FAIL
        fig = Figure(section, item, scale, metric, value, unit, target, status, note,
                     self.database)
        self.figures.append(fig)
        return fig

    def missing(self, section: str, item: str, scale: str, metric: str, target: str,
                why: str) -> Figure:
        """A figure that could not be measured (endpoint or API missing, app error): FAIL."""
        return self.add(section, item, scale, metric, None, "", target=target, ok=False,
                        note=why)

    @property
    def failed(self) -> list[Figure]:
        return [f for f in self.figures if f.status == FAIL]

    def table(self) -> str:
        head = ("section", "item", "database", "scale", "metric", "value", "target", "result")
        rows = [head] + [
            (f.section, f.item, f.database or "-", f.scale, f.metric, f.shown(),
             f.target or "-", f.status)
            for f in self.figures
        ]
        widths = [min(48, max(len(str(r[i])) for r in rows)) for i in range(len(head))]
        lines = []
        for n, row in enumerate(rows):
            lines.append("  ".join(str(c)[:48].ljust(w) for c, w in zip(row, widths,
                                                                      strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        passed = sum(f.status == PASS for f in self.figures)
        lines.append("")
        lines.append(f"{passed} PASS, {len(self.failed)} FAIL, "
                     f"{sum(f.status == INFO for f in self.figures)} info")
        if self.remarks:
            lines.append("")
            lines.extend(self.remarks)
        notes = [f for f in self.figures if f.note and f.value is not None]
        if notes:
            lines.append("")
            lines.append("notes:")
            lines.extend(f"  {f.section} / {f.item} / {f.database + ' ' if f.database else ''}"
                         f"{f.scale}: {f.note}" for f in notes)
        return "\n".join(lines)

    def write_json(self, path: Path = RESULTS_PATH) -> None:
        data = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "seconds": round(time.time() - self.started, 1),
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "generation": self.generation,
            "overview": self.preamble,
            "remarks": self.remarks,
            "figures": [asdict(f) for f in self.figures],
            "summary": {"pass": sum(f.status == PASS for f in self.figures),
                        "fail": len(self.failed)},
        }
        path.write_text(json.dumps(data, indent=1, default=str) + "\n")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 30 samples is the 29th smallest)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
