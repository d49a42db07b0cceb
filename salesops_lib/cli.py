"""The ``salesops`` command: ``report``, ``validate`` and ``sample``.

Exit codes: 0 success (a page that cannot be made for the period, such as a quarter too
early to forecast, says why on the page and is not a failure), 1 a report notebook failed,
2 bad input (data, period, notebook name, ``-p`` value), 3 another run holds the reports folder
(see ``--wait``), 130 interrupted.
Every message masks passwords.
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
from pathlib import Path

from . import __version__


def _error(msg: str, code: int = 2, secrets: tuple[str, ...] = ()) -> int:
    from .secrets import mask_text

    body = mask_text(str(msg), secrets)
    print("salesops: error: " + body.replace("\n", "\n  "), file=sys.stderr)
    return code


def _secrets(*sources) -> tuple[str, ...]:
    from .secrets import url_password

    return tuple(pw for pw in (url_password(s) for s in sources if s) if pw)


def _cmd_report(args) -> int:
    from . import config
    from .report import ReportBusyError, ReportInputError, run_reports
    from .report.runner import DONE

    secrets = _secrets(args.data, args.mapping)
    params = {}
    for item in args.param or []:
        if "=" not in item:
            return _error(f"--param {item!r} must look like name=value\nNothing was written.",
                          secrets=secrets)
        k, v = item.split("=", 1)
        params[k.strip()] = v
    notebooks = [n.strip() for n in args.notebooks.split(",") if n.strip()] if args.notebooks else None
    per = [k for item in (args.per or []) for k in item.split(",")]
    try:
        result = run_reports(period=args.period, data=args.data, notebooks=notebooks,
                             out=args.out, params=params, mapping=args.mapping, jobs=args.jobs,
                             per=per, wait=args.wait,
                             progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ReportInputError as exc:
        return _error(f"{exc}\nNothing was written.", secrets=secrets)
    except ReportBusyError as exc:
        return _error(f"{exc}\nNothing was written.", 3, secrets=secrets)
    out = Path(args.out or config.REPORTS)
    failed = [r.name for r in result.results if r.status not in DONE]
    failed += [f"{r.name} [{pg['label']}]" for r in result.results for pg in r.pages
               if pg["status"] not in DONE]
    for what, note in [(r.name, r.note) for r in result.results] + [
            (f"{r.name} [{pg['label']}]", pg.get("note")) for r in result.results for pg in r.pages]:
        if note:
            print(f"salesops: {what} not made: {note}", file=sys.stderr)
    if failed:
        print(f"salesops: {len(failed)} report page(s) failed: "
              f"{', '.join(failed)}; see {out / 'index.html'}", file=sys.stderr)
    else:
        pages = len(result.results) + sum(len(r.pages) for r in result.results)
        print(f"salesops: {pages} report page(s) for {result.period} in "
              f"{out / result.period}; index at {out / 'index.html'}", file=sys.stderr)
    return result.exit_code


def _cmd_validate(args) -> int:
    from .data import DataSourceError, DataValidationError, capabilities, load_dataset
    from .secrets import mask_text

    secrets = _secrets(args.source, args.mapping)
    try:
        # a database too large for memory stays there, as in a report run
        ds = load_dataset(args.source, mapping=args.mapping or None, lazy="auto")
    except (DataValidationError, DataSourceError) as exc:
        return _error(str(exc), secrets=secrets)
    except (OSError, ValueError) as exc:
        return _error(f"cannot load the data: {exc}", secrets=secrets)
    period = None
    if getattr(args, "period", None):           # what the pages of that period would show
        from .periods import PeriodError
        from .report.runner import resolve_period

        try:
            period = resolve_period(args.period, ds.as_of, ds.fiscal_start_month)
        except PeriodError as exc:
            return _error(str(exc), secrets=secrets)
    print(mask_text(f"{ds.source}: valid (as of {ds.as_of:%Y-%m-%d}, fingerprint "
                    f"{ds.fingerprint()})", secrets))
    for _, row in ds.summary().iterrows():
        print(f"  {row['table']:<19} {row['rows']:>9,} rows")
    for note in ds.health:
        print(mask_text(f"  warning: {note}", secrets))
    if getattr(ds, "is_lazy", False):
        from .data.lazy import lazy_rows

        print(f"  note: more than {lazy_rows():,} opportunities: this check, the executive "
              "summary and rep performance read them by aggregate queries in the database; "
              "the other reports load the tables into memory")
    print("reports this data can feed" + (f" for {period.label}:" if period else ":"))
    for report, part in capabilities(ds, period).groupby("report", sort=False):
        ok = part[part["available"]]
        less = part[part["less"] != ""]
        needs = set(part.loc[~part["available"], "needs"])
        if not len(ok) and len(needs) == 1 and len(part) > 1:    # one reason for the page
            print(f"  {report}: none of its {len(part)} sections: {needs.pop()}")
            continue
        print(f"  {report}: {len(ok)} of {len(part)} sections"
              + (f" ({len(less)} with less)" if len(less) else ""))
        for _, row in part[~part["available"]].iterrows():
            print(f"    - {row['section']}: {row['needs']}")
        for _, row in less.iterrows():
            print(f"    ~ {row['section']}: {row['less']}.")
    return 0


def _cmd_sample(args) -> int:
    from .data.sample import generate, parse_options

    try:
        opts = parse_options("sample:" + (args.options or ""))
    except ValueError as exc:
        return _error(str(exc))
    out = Path(args.out)
    frames = generate(**opts)
    tmp = out.with_name(out.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        if name == "as_of":
            continue
        df.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    out.mkdir(parents=True, exist_ok=True)
    for f in tmp.iterdir():
        f.replace(out / f.name)
    tmp.rmdir()
    print(f"sample org ({', '.join(f'{k}={v}' for k, v in opts.items())}) written to {out}")
    return 0


def _notebook_help() -> str:
    from . import config
    from .report.params import help_text
    from .report.runner import available_notebooks

    try:
        names = available_notebooks()
        return help_text({n: config.NOTEBOOKS / f"{n}.ipynb" for n in names})
    except Exception as exc:  # noqa: BLE001 - help must show even if a notebook is broken
        return f"(cannot list the notebooks: {exc})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesops", description="Sales-operations workbench: reports, validation, sample data.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent("""\
            examples:
              salesops report                          # the quarter in progress
              salesops report --period previous        # close-out of the quarter just ended
              salesops report --data duckdb:///crm.duckdb --notebooks executive_summary
              salesops validate path/to/folder --mapping maven
              salesops sample --out data/sample --options accounts=20000,reps=120
        """))
    parser.add_argument("--version", action="version", version=f"salesops {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("report", help="render the HTML reports of one period",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         description="Render the HTML reports of one period into the reports "
                                     "folder (one run at a time per folder).")
    rep.add_argument("--period", help="current (default: the fiscal quarter holding the data's "
                                      "as-of date), previous, or a period: 2026-Q3, 2026-09, 2026")
    rep.add_argument("--data", default="sample", help="data source: sample, a folder, or a URL")
    rep.add_argument("--mapping", help="mapping of the source's columns: a preset name or a "
                                       "YAML/JSON file")
    rep.add_argument("--notebooks", help="comma-separated notebook names (default: all)")
    rep.add_argument("--out", help="output folder (default: the checkout's reports/ folder, "
                                   "or $SALESOPS_REPORTS, whatever the working folder)")
    rep.add_argument("--jobs", type=int, help="notebooks rendered at once (default: one per core)")
    rep.add_argument("--per", action="append", metavar="team|rep",
                     help="also render a page per team (notebooks declaring team) or per rep "
                          "(notebooks declaring rep)")
    rep.add_argument("--wait", nargs="?", type=float, const=-1.0, metavar="SECONDS",
                     help="if another run holds the folder, wait for it (optionally at most "
                          "SECONDS) instead of exiting with code 3")
    rep.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                     help="notebook parameter, for notebooks that declare it (listed below); "
                          "NOTEBOOK.NAME=VALUE sets it in that notebook only")
    rep.set_defaults(func=_cmd_report)

    val = sub.add_parser("validate", help="check a data source against the data contract")
    val.add_argument("source", help="sample, a folder of CSV/Parquet files, or a database URL")
    val.add_argument("--mapping", help="mapping of the source's columns: a preset name or a "
                                       "YAML/JSON file")
    val.add_argument("--period", help="say what the pages of this period would show (2026-Q3, "
                                      "current, previous, ...): some sections depend on it, "
                                      "such as a forecast, which needs history before the period")
    val.set_defaults(func=_cmd_validate)

    sam = sub.add_parser("sample", help="write the sample org as CSV files")
    sam.add_argument("--out", required=True, help="folder to write accounts.csv, reps.csv, ...")
    sam.add_argument("--options", default="",
                     help="accounts=5000,reps=50,years=3,seed=7,start=2024")
    sam.set_defaults(func=_cmd_sample)
    rep.format_help = _with_notebooks(rep.format_help)
    return parser


def _with_notebooks(format_help):
    def wrapped():
        return format_help() + "\n" + _notebook_help() + "\n"
    return wrapped


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``salesops`` console script."""
    args = build_parser().parse_args(argv)

    def _terminate(signum, frame):           # a killed cron job cleans up like Ctrl-C
        raise KeyboardInterrupt

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:                       # not the main thread (embedded use)
        pass
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return _error("interrupted; the reports folder is as it was before this run", 130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
