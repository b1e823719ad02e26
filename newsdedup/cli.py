"""`newsdedup` command line: run the pipeline, inspect and export the processed store."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from newsdedup.config import Settings
from newsdedup.store import Store, StoreError
from newsdedup.store.read import export_records, show, stats

DEFAULT_PREFECT_API = "http://127.0.0.1:4200/api"  # where `make serve` puts its server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdedup", description=__doc__)
    parser.add_argument("--store", help="store URL (default: $NEWSDEDUP_STORE_URL or sqlite:///processed/newsdedup.db)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="ingest raw/, extract and de-duplicate (the `pipeline` flow)")
    run.add_argument("--raw", dest="raw_dir", help="directory of raw articles (default raw/)")
    run.add_argument("--batch-size", type=int)
    run.add_argument("--max-file-bytes", type=int)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")

    fetch = commands.add_parser("fetch", help="fetch pages, feeds and sitemaps over HTTP, then extract and "
                                              "de-duplicate (the `fetch` flow)")
    fetch.add_argument("pages", nargs="*", metavar="URL", help="article page URLs")
    fetch.add_argument("--feed", action="append", default=[], metavar="URL", help="an RSS or Atom feed (repeatable)")
    fetch.add_argument("--sitemap", action="append", default=[], metavar="URL",
                       help="a sitemap or sitemap index, .xml or .xml.gz (repeatable)")
    fetch.add_argument("--sources", default="deploy/sources.yaml",
                       help="YAML file with pages:, feeds:, sitemaps: lists (default deploy/sources.yaml, if present)")
    fetch.add_argument("--allow-private", action="store_true",
                       help="allow hosts on private, loopback or link-local addresses (local servers, tests)")
    fetch.add_argument("--ignore-robots", action="store_true", help="do not obey robots.txt")
    fetch.add_argument("--batch-size", type=int)
    fetch.add_argument("--json", action="store_true", help="print the summary as JSON")

    trigger = commands.add_parser("trigger", help="start a run of a served deployment on the Prefect server")
    trigger.add_argument("deployment", choices=["pipeline", "fetch"])
    trigger.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                         help="override a parameter; VALUE is read as JSON when it parses, else as text")
    trigger.add_argument("--wait", action="store_true", help="wait for the run to finish and print its state")

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
        if args.command == "fetch":
            return _fetch(args, settings)
        if args.command == "trigger":
            return _trigger(args)
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


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from flows.fetch import fetch  # the CLI is the one entry point that starts Prefect
    from newsdedup.sources.crawl import SourceList
    from newsdedup.summary import format_summary

    sources_file = Path(args.sources)
    if args.sources != "deploy/sources.yaml" and not sources_file.is_file():
        raise FileNotFoundError(f"sources file {sources_file} does not exist")
    if sources_file.is_file():
        SourceList.from_yaml(sources_file)  # a malformed file fails here, with its line, not in the flow
    if not (args.pages or args.feed or args.sitemap or sources_file.is_file()):
        raise ValueError("nothing to fetch: give page URLs, --feed URL, --sitemap URL or a --sources file")
    summary: dict[str, Any] = fetch(
        pages=args.pages, feeds=args.feed, sitemaps=args.sitemap, sources_file=str(sources_file),
        store_url=settings.store_url, batch_size=args.batch_size or settings.batch_size,
        allow_private=args.allow_private or settings.fetch.allow_private,
        respect_robots=settings.fetch.respect_robots and not args.ignore_robots)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def _trigger(args: argparse.Namespace) -> int:
    """Start a run of a deployment on the server of PREFECT_API_URL (default: the one `make serve` starts)."""
    parameters: dict[str, Any] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param takes NAME=VALUE, not {item!r}")
        try:
            parameters[name] = json.loads(value)
        except json.JSONDecodeError:
            parameters[name] = value
    os.environ.setdefault("PREFECT_API_URL", DEFAULT_PREFECT_API)
    import httpx
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    api = os.environ["PREFECT_API_URL"]
    try:
        httpx.get(f"{api}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise StoreError(f"no Prefect server answers at {api} ({exc}); start one with `make serve`") from exc
    run = cast(FlowRun, run_deployment(f"{args.deployment}/{args.deployment}", parameters=parameters,
                                       timeout=None if args.wait else 0))
    state = run.state.name if run.state else "unknown"
    print(f"flow run {run.name} ({run.id}): {state}")
    print(f"{api.removesuffix('/api')}/runs/flow-run/{run.id}")
    return 0 if not args.wait or (run.state is not None and run.state.is_completed()) else 1


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
