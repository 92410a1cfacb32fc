"""Where `drctl report` and `drctl runs show --format …` put what they render: stdout or a file."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from rich.console import Console

from drctl.core.errors import InvalidInput
from drctl.core.run import Run
from drctl.report.export import report_to_dict
from drctl.report.model import Report
from drctl.report.summary import summary_of_run
from drctl.report.summary import to_markdown as summary_markdown
from drctl.report.text import render_table, to_markdown
from drctl.store.base import Store


def render_report(report: Report, fmt: str) -> str | Callable[[Console], None]:
    """Text for json/md/html; a function that prints to a console for the table."""
    if fmt == "json":
        return json.dumps(report_to_dict(report), indent=2) + "\n"
    if fmt == "md":
        return to_markdown(report)
    if fmt == "html":
        from drctl.report.html import report_html  # matplotlib is loaded only for HTML

        return report_html(report)
    return lambda console: render_table(console, report)


def render_run_summary(store: Store, run: Run, now: datetime, fmt: str) -> str:
    """One run as Markdown or HTML, with its summary against the previous runs of its kind."""
    summary = summary_of_run(store, run, now)
    if fmt == "html":
        from drctl.report.html import run_html  # matplotlib is loaded only for HTML

        return run_html(summary)
    return summary_markdown(summary)


def write_output(console: Console, report: Report, fmt: str, out: Path | None) -> None:
    emit(console, render_report(report, fmt), out)


def emit(console: Console, rendered: str | Callable[[Console], None], out: Path | None) -> None:
    if callable(rendered):
        if out is None:
            rendered(console)
            return
        buffer = io.StringIO()
        rendered(Console(file=buffer, width=160, highlight=False, color_system=None))
        rendered = buffer.getvalue()
    if out is None:
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    write_file(out, rendered)
    Console(stderr=True, highlight=False).print(f"wrote {out}", markup=False)


def check_writable(path: Path | None) -> None:
    """Before the work (an HTML report takes a while): InvalidInput (exit 2) for an --out
    that is a directory, or whose directory does not exist or cannot be written to."""
    if path is None:
        return
    if path.is_dir():
        raise InvalidInput(f"--out {path}: is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise InvalidInput(f"--out {path}: no directory {folder}")
    if not os.access(folder, os.W_OK):
        raise InvalidInput(f"--out {path}: {folder} is not writable")


def write_file(path: Path, text: str) -> None:
    """All or nothing: a reader never sees half a report. Raises InvalidInput (exit 2) for a
    path that cannot be written."""
    check_writable(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(f"--out {path}: {exc.strerror or exc}") from None
    except BaseException:  # Ctrl-C while writing: no half-written file is left behind
        partial.unlink(missing_ok=True)
        raise
