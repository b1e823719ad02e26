"""`newsdedup` command line: run the pipeline, inspect and export the processed store."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from newsdedup.config import Settings
from newsdedup.store import Store, StoreError
from newsdedup.store.read import export_records, show, stats


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdedup", description=__doc__)
    parser.add_argument("--store", help="store URL (default: $NEWSDEDUP_STORE_URL or sqlite:///processed/newsdedup.db)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="ingest raw/, extract and de-duplicate (the `pipeline` flow)")
    run.add_argument("--raw", dest="raw_dir", help="directory of raw articles (default raw/)")
    run.add_argument("--batch-size", type=int)
    run.add_argument("--max-file-bytes", type=int)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    commands.add_parser("stats", help="counts of the processed store")

    show_cmd = commands.add_parser("show", help="one record with its group and overlaps")
    show_cmd.add_argument("id", help="article id (or a unique prefix)")

    export = commands.add_parser("export", help="write records as JSONL (stdout by default) or Parquet")
    export.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    export.add_argument("--all", action="store_true", help="every record, duplicates included")
    export.add_argument("--output", "-o", help="file to write (required for parquet)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    try:
        settings = Settings.from_env().replace(store_url=args.store)
        if args.command == "run":
            return _run(args, settings)
        store = Store.open(settings.store_url)
        if args.command == "stats":
            print(json.dumps(stats(store), indent=2))
        elif args.command == "show":
            record = show(store, args.id)
            if record is None:
                print(f"newsdedup: no single article matches id {args.id!r}", file=sys.stderr)
                return 1
            print(json.dumps(record, indent=2, ensure_ascii=False))
        elif args.command == "export":
            return _export(store, args)
        return 0
    except (StoreError, FileNotFoundError, ValueError) as exc:
        print(f"newsdedup: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.replace(raw_dir=args.raw_dir, batch_size=args.batch_size, max_file_bytes=args.max_file_bytes)
    if not settings.raw_dir.is_dir():
        raise FileNotFoundError(f"raw directory {settings.raw_dir} does not exist")
    from flows.pipeline import pipeline  # the CLI is the one entry point that starts Prefect
    from newsdedup.summary import format_summary

    summary: dict[str, Any] = pipeline(
        raw_dir=str(settings.raw_dir), store_url=settings.store_url, batch_size=settings.batch_size,
        max_file_bytes=settings.max_file_bytes)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    records = export_records(store, include_duplicates=args.all)
    if args.format == "parquet":
        if not args.output:
            raise ValueError("--output FILE is required for parquet")
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = [{**r, "overlaps": json.dumps(r["overlaps"])} for r in records]
        pq.write_table(pa.Table.from_pylist(rows), args.output)
        print(f"wrote {len(rows)} records to {args.output}", file=sys.stderr)
        return 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(Path(args.output).open("w", encoding="utf-8")) if args.output else sys.stdout
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
