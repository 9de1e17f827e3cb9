"""``effsearch report``: the studies of a storage, or one study as tables, CSV, JSON or HTML.

Without ``--study`` it lists every study (kind, trials by state, best value, last activity).
With one: rich tables in the terminal (default), the full trial table as CSV or JSON (to stdout
or ``--out``), or the self-contained HTML dashboard (``--out``, default
``runs/<study>/report.html``). Reading never creates anything: a misspelt SQLite path is an
error, not a new empty database. Works while a search is still writing the study.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from commands import flags
from search_spaces.errors import UserError

NAME = "report"
HELP = "Show search results: list studies, or one study as tables, CSV, JSON or an offline HTML dashboard"
FORMATS = ("table", "csv", "json", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_storage(parser)
    flags.add_study(parser, "list the studies")
    flags.add_format(
        parser, FORMATS, "table (terminal), csv/json (every trial, one row each), html (offline dashboard)"
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help="write here instead of stdout " + flags.default("stdout; html: runs/<study>/report.html"),
    )
    flags.add_top(parser)


def default_html_path(study_name: str) -> Path:
    """``runs/<study>/report.html``, the study name made safe by :func:`nas.files.folder_name`."""
    from nas.files import folder_name

    return Path("runs") / folder_name(study_name) / "report.html"


def _write_text(text: str, out: str | None, url: str) -> None:
    """``text`` on stdout, or atomically into ``out`` (never over the storage file: :mod:`nas.files`)."""
    from nas.files import inputs_of, write_atomic

    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    print(f"wrote {write_atomic(out, text, inputs=inputs_of(url))}")


def _json_document(study: Any, frame: Any) -> str:
    import json

    from results.stats import search_cost
    from results.tables import study_kind, study_settings

    records = json.loads(frame.to_json(orient="records", date_format="iso", date_unit="s"))
    document = {
        "study": study.study_name,
        "kind": study_kind(study),
        "directions": [d.name.lower() for d in study.directions],
        "settings": study_settings(study),
        "created_by": study.user_attrs.get("created_by", ""),
        "cost": search_cost(frame).to_dict(),
        "trials": records,
    }
    return json.dumps(document, indent=2, default=str, allow_nan=False) + "\n"


def _list(storage: Any, args: argparse.Namespace, label: str, url: str) -> int:
    import json

    from results.storage import list_studies

    infos = list_studies(storage)
    if args.format == "html":
        raise UserError("--format html needs --study NAME (run without --study to list the studies)")
    if args.format == "json":
        _write_text(json.dumps([i.to_dict() for i in infos], indent=2) + "\n", args.out, url)
        return 0
    if args.format == "csv":
        import pandas as pd

        rows = []
        for info in infos:
            row = info.to_dict()
            row["directions"] = ",".join(row["directions"])
            states = row.pop("states")
            row.update({f"n_{s}": n for s, n in states.items()})
            rows.append(row)
        _write_text(pd.DataFrame(rows).to_csv(index=False), args.out, url)
        return 0
    from results.terminal import print_study_list

    console = _console(args.out)
    print_study_list(infos, console, label)
    _close(console, args.out, url)
    return 0


def _console(out: str | None) -> Any:
    """The terminal, or a recording console whose text :func:`_close` writes to ``out``."""
    import io

    from rich.console import Console

    from results.formatting import PIPED_WIDTH, stdout_console

    if out is None:
        return stdout_console()  # full width when piped: `effsearch report | cat` keeps every column
    return Console(file=io.StringIO(), width=PIPED_WIDTH, no_color=True)


def _close(console: Any, out: str | None, url: str) -> None:
    if out is not None:
        _write_text(console.file.getvalue(), out, url)


def run(args: argparse.Namespace) -> int:
    from nas.files import check_output, inputs_of
    from nas.studies.storage_url import DEFAULT_STORAGE
    from nas.studies.storage_url import mask_secrets as mask_password
    from results.storage import load_study, open_storage

    if args.top < 1:
        raise UserError(f"--top must be at least 1, got {args.top}")
    url = args.storage or DEFAULT_STORAGE
    if args.out is not None:  # checked before anything is read: never over the storage itself
        check_output(args.out, inputs=inputs_of(url))
    storage = open_storage(url)
    label = mask_password(url)
    if not args.study:
        return _list(storage, args, label, url)
    study = load_study(storage, args.study)
    if args.format == "html":
        from results.html import write_report

        path = write_report(url, args.study, args.out or default_html_path(args.study))
        print(f"wrote {path} (open it in a browser; it works offline)")
        return 0
    if args.format == "table":
        from results.terminal import print_study

        console = _console(args.out)
        print_study(study, console, k=args.top, storage_label=label)
        _close(console, args.out, url)
        return 0
    from results.tables import frame_for_export, trials_frame

    frame = trials_frame(study)
    if args.format == "csv":
        _write_text(frame_for_export(frame).to_csv(index=False), args.out, url)
    else:
        _write_text(_json_document(study, frame), args.out, url)
    return 0
