"""Staff report of anonymous triage outcomes: counts over time, as an HTML page
with a chart (PNG).

    python -m bot.store.report --out results/report      (make report)
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file
import matplotlib.pyplot as plt  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.store.outcomes import TriageOutcome, engine_for, outcomes_url  # noqa: E402

ASSESSMENTS = ("stalking_likely", "stalking_possible", "stalking_unlikely")
LIST_FIELDS = frozenset({"behaviours", "signposts"})


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_counts(outcomes: Sequence[TriageOutcome]) -> Dict[dt.date, Counter]:
    weeks: Dict[dt.date, Counter] = {}
    for outcome in outcomes:
        weeks.setdefault(week_of(outcome.day), Counter())[outcome.assessment] += 1
    return dict(sorted(weeks.items()))


def totals(outcomes: Sequence[TriageOutcome], field: str) -> Counter:
    counter: Counter = Counter()
    for outcome in outcomes:
        value = getattr(outcome, field)
        counter.update([v for v in value.split(",") if v] if field in LIST_FIELDS else [value])
    return counter


def chart(weeks: Dict[dt.date, Counter], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(8, 4))
    labels = [week.isoformat() for week in weeks]
    bottom = [0] * len(labels)
    for assessment in ASSESSMENTS:
        values = [weeks[week][assessment] for week in weeks]
        axes.bar(labels, values, bottom=bottom, label=assessment.replace("_", " "))
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]
    axes.set_title("Finished triages per week, by assessment")
    axes.set_xlabel("Week starting")
    axes.set_ylabel("Triages")
    axes.legend()
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def table(title: str, counter: Counter) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{v}</td></tr>" for k, v in counter.most_common())
    return f"<h2>{html.escape(title)}</h2><table><tr><th>Value</th><th>Count</th></tr>{rows}</table>"


def write_report(outcomes: List[TriageOutcome], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    weeks = weekly_counts(outcomes)
    chart(weeks, folder / "outcomes.png")
    page = folder / "report.html"
    page.write_text(
        "<!doctype html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<title>Triage outcomes</title></head><body>"
        f"<h1>Triage outcomes</h1><p>{len(outcomes)} finished triages. Anonymous: no words, "
        "no conversation ids.</p><img src='outcomes.png' alt='Finished triages per week, by assessment'>"
        + table("Assessment", totals(outcomes, "assessment"))
        + table("Risk level", totals(outcomes, "risk_level"))
        + table("Behaviours", totals(outcomes, "behaviours"))
        + table("Services offered", totals(outcomes, "signposts"))
        + table("Channel", totals(outcomes, "channel"))
        + "</body></html>",
        encoding="utf-8",
    )
    return page


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="results/report")
    args = parser.parse_args(list(argv))
    with Session(engine_for(outcomes_url())) as session:
        outcomes = session.query(TriageOutcome).order_by(TriageOutcome.day).all()
    print(f"Report of {len(outcomes)} triages: {write_report(outcomes, Path(args.out))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
