"""The ``salesops`` command: ``report``, ``validate`` and ``sample``.

Exit codes: 0 success, 1 a report notebook failed, 2 bad input (data, period, notebook name).
Every message masks passwords.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from . import __version__


def _error(msg: str, code: int = 2) -> int:
    from .secrets import mask_text

    body = mask_text(str(msg))
    print("salesops: error: " + body.replace("\n", "\n  "), file=sys.stderr)
    return code


def _cmd_report(args) -> int:
    from . import config
    from .report import ReportInputError, run_reports

    params = {}
    for item in args.param or []:
        if "=" not in item:
            return _error(f"--param {item!r} must look like name=value")
        k, v = item.split("=", 1)
        params[k.strip()] = v
    notebooks = [n.strip() for n in args.notebooks.split(",") if n.strip()] if args.notebooks else None
    try:
        result = run_reports(period=args.period, data=args.data, notebooks=notebooks,
                             out=args.out, params=params,
                             progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ReportInputError as exc:
        return _error(f"{exc}\nNothing was written.")
    out = Path(args.out or config.REPORTS)
    failed = [r.name for r in result.results if r.status != "ok"]
    if failed:
        print(f"salesops: {len(failed)} of {len(result.results)} report(s) failed: "
              f"{', '.join(failed)}; see {out / 'index.html'}", file=sys.stderr)
    else:
        print(f"salesops: {len(result.results)} report(s) for {result.period} in "
              f"{out / result.period}; index at {out / 'index.html'}", file=sys.stderr)
    return result.exit_code


def _cmd_validate(args) -> int:
    from .data import DataSourceError, DataValidationError, capabilities, load_dataset

    try:
        ds = load_dataset(args.source, mapping=getattr(args, "mapping", None) or None)
    except (DataValidationError, DataSourceError) as exc:
        return _error(str(exc))
    print(f"{ds.source}: valid (as of {ds.as_of:%Y-%m-%d}, fingerprint {ds.fingerprint()})")
    for _, row in ds.summary().iterrows():
        print(f"  {row['table']:<19} {row['rows']:>9,} rows")
    for note in ds.health:
        print(f"  warning: {note}")
    print("reports this data can feed:")
    for report, part in capabilities(ds).groupby("report", sort=False):
        ok = part[part["available"]]
        print(f"  {report}: {len(ok)} of {len(part)} sections")
        for _, row in part[~part["available"]].iterrows():
            print(f"    - {row['section']}: {row['needs']}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesops", description="Sales-operations workbench: reports, validation, sample data.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=textwrap.dedent("""\
            examples:
              salesops report --period 2026-Q3
              salesops report --data duckdb:///crm.duckdb --notebooks executive_summary
              salesops validate path/to/folder
              salesops sample --out data/sample --options accounts=20000,reps=120
        """))
    parser.add_argument("--version", action="version", version=f"salesops {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("report", help="render the HTML reports of one period")
    rep.add_argument("--period", help="fiscal period: 2026-Q3, 2026-09 or 2026 (default 2026-Q3)")
    rep.add_argument("--data", default="sample", help="data source: sample, a folder, or a URL")
    rep.add_argument("--notebooks", help="comma-separated notebook names (default: all)")
    rep.add_argument("--out", help="output folder (default: reports/)")
    rep.add_argument("-p", "--param", action="append", metavar="NAME=VALUE",
                     help="extra notebook parameter, for notebooks that declare it")
    rep.set_defaults(func=_cmd_report)

    val = sub.add_parser("validate", help="check a data source against the data contract")
    val.add_argument("source", help="sample, a folder of CSV/Parquet files, or a database URL")
    val.set_defaults(func=_cmd_validate)

    sam = sub.add_parser("sample", help="write the sample org as CSV files")
    sam.add_argument("--out", required=True, help="folder to write accounts.csv, reps.csv, ...")
    sam.add_argument("--options", default="",
                     help="accounts=5000,reps=50,years=3,seed=7,start=2024")
    sam.set_defaults(func=_cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``salesops`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return _error("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
