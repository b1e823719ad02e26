"""`newsdedup` command line: run the pipeline, inspect and export the processed store."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, cast

from sqlalchemy.exc import SQLAlchemyError

from newsdedup.config import Settings
from newsdedup.parallel import watch_for_orphans
from newsdedup.sources.files import RawDirectoryError, list_files
from newsdedup.store import Store, StoreError
from newsdedup.store.read import export_records, show, stats, stories, write_parquet
from newsdedup.summary import format_stories

DEFAULT_PREFECT_API = "http://127.0.0.1:4200/api"  # where `make serve` puts its server
# Set unless the environment says otherwise. No internet: no analytics. The in-process server of a fresh
# PREFECT_HOME first builds its database; Prefect's 20 s wait for it ran out on a busy 2-core machine.
PREFECT_DEFAULTS = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
_MAX_BATCH_SIZE = 100_000  # the flows' own bound (Field(le=...))


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage error in one line (argparse prints the whole usage first)."""
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def _utc_date(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parser() -> argparse.ArgumentParser:
    store_help = "store URL (default: $NEWSDEDUP_STORE_URL or sqlite:///processed/newsdedup.db)"
    parser = _Parser(prog="newsdedup", description=__doc__)
    parser.add_argument("--store", help=store_help)
    # Every command takes --store after its name too; SUPPRESS keeps a --store given before the name.
    takes_store = _Parser(add_help=False)
    takes_store.add_argument("--store", default=argparse.SUPPRESS, help=store_help)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", parents=[takes_store],
                              help="ingest raw/, extract and de-duplicate (the `pipeline` flow)")
    run.add_argument("--raw", dest="raw_dir", help="directory of raw articles (default raw/)")
    run.add_argument("--batch-size", type=_positive_int)
    run.add_argument("--max-file-bytes", type=_positive_int)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--dask", nargs="?", const="dask", metavar="ADDRESS", dest="task_runner",
                     help="read and classify pages on a Dask cluster: a local one with one worker per core, or "
                          "the scheduler at ADDRESS (tcp://host:8786); default: $NEWSDEDUP_TASK_RUNNER or local")
    run.add_argument("--match-window-days", type=int, metavar="DAYS",
                     help="match copies and lifts only within this many days of each other "
                          "(default 0: no window; 30 suits a live news feed)")

    fetch = commands.add_parser("fetch", parents=[takes_store],
                                help="fetch pages, feeds and sitemaps over HTTP, then extract and "
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
    fetch.add_argument("--batch-size", type=_positive_int)
    fetch.add_argument("--json", action="store_true", help="print the summary as JSON")

    trigger = commands.add_parser("trigger", parents=[takes_store],
                                  help="start a run of a served deployment on the Prefect server")
    trigger.add_argument("deployment", choices=["pipeline", "fetch"])
    trigger.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                         help="override a parameter; VALUE is read as JSON when it parses, else as text")
    trigger.add_argument("--wait", action="store_true", help="wait for the run to finish and print its state")

    commands.add_parser("stats", parents=[takes_store], help="counts of the processed store")

    show_cmd = commands.add_parser("show", parents=[takes_store], help="one record with its group and overlaps")
    show_cmd.add_argument("id", help="article id (or a unique prefix)")

    stories_cmd = commands.add_parser("stories", parents=[takes_store],
                                      help="stories by size: canonical title, first seen, size, outlets, overlap links")
    stories_cmd.add_argument("--since", type=_utc_date, metavar="DATE",
                             help="only stories first seen on or after DATE (YYYY-MM-DD or an ISO time; UTC)")
    stories_cmd.add_argument("--limit", type=_positive_int, default=20, help="how many stories (default 20)")
    stories_cmd.add_argument("--json", action="store_true", help="print the stories as JSON")

    export = commands.add_parser("export", parents=[takes_store],
                                 help="write records as JSONL (stdout by default) or Parquet")
    export.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    export.add_argument("--all", action="store_true", help="every record, duplicates included")
    export.add_argument("--output", "-o", help="file to write (required for parquet)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    try:
        settings = Settings.from_env().replace(store_url=args.store)
        if args.command == "run":
            return _run(args, settings)
        if args.command == "fetch":
            return _fetch(args, settings)
        if args.command == "trigger":
            return _trigger(args)
        # Reading commands never create a store: a mistyped path is an error, not an empty store.
        store = Store.open(settings.store_url, create=False)
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
        elif args.command == "stories":
            found = stories(store, since=args.since, limit=args.limit)
            print(json.dumps(found, indent=2, ensure_ascii=False) if args.json else format_stories(found))
        return 0
    except BrokenPipeError:
        # The reader left (`export | head`): say so once; stdout is closed, so Python must not flush it again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("newsdedup: output closed by the reader (broken pipe); the rest was not written", file=sys.stderr)
        return 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
    except KeyboardInterrupt:
        print("newsdedup: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every failure ends in one line; NEWSDEDUP_DEBUG=1 shows the traceback
        if os.environ.get("NEWSDEDUP_DEBUG"):
            raise
        print(f"newsdedup: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """What went wrong, in one line a user can act on."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"disk full: {exc.filename or 'a write'} could not be completed; free space and run again"
    if isinstance(exc, SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        if "disk is full" in str(cause) or "No space left" in str(cause):
            return f"disk full: the store could not write ({cause}); free space and run again"
        return f"the store failed: {str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__}"
    if isinstance(exc, (StoreError, RawDirectoryError, FileNotFoundError, ValueError)):
        return str(exc).strip().splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _WithoutTraceback(logging.Formatter):
    """The console shows a failed task's one-line log message; the traceback stays in the run's logs on
    the Prefect server (its own handler), and NEWSDEDUP_DEBUG=1 brings it back to the console."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def _console_without_tracebacks() -> None:
    if os.environ.get("NEWSDEDUP_DEBUG"):
        return
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)
                                       if name.startswith("prefect")]
    for logger in loggers:
        for handler in logger.handlers:
            formatter = handler.formatter
            if (type(handler).__name__ != "APILogHandler" and isinstance(handler, logging.StreamHandler)
                    and formatter is not None and not isinstance(formatter, _WithoutTraceback)):
                handler.setFormatter(_WithoutTraceback(formatter))


def _check_sizes(settings: Settings) -> None:
    """The flows' bounds on sizes, also when they come from the environment (NEWSDEDUP_BATCH_SIZE)."""
    if not 1 <= settings.batch_size <= _MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be between 1 and {_MAX_BATCH_SIZE:,}, not {settings.batch_size}")
    if settings.max_file_bytes < 1:
        raise ValueError(f"max_file_bytes must be at least 1, not {settings.max_file_bytes}")
    if settings.dedup.match_window_days < 0:
        raise ValueError(f"match window must be 0 (none) or a number of days, not {settings.dedup.match_window_days}")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.replace(raw_dir=args.raw_dir, batch_size=args.batch_size, max_file_bytes=args.max_file_bytes,
                                match_window_days=args.match_window_days, task_runner=args.task_runner)
    # Parameters, the folder and the store are checked before Prefect starts (seconds, and its tracebacks).
    _check_sizes(settings)
    if settings.task_runner not in ("local", "dask") and "://" not in settings.task_runner:
        raise ValueError(f"--dask takes a scheduler address like tcp://host:8786, not {settings.task_runner!r}")
    list_files(settings.raw_dir)
    Store.open(settings.store_url).close()
    from flows.pipeline import pipeline  # the CLI is the one entry point that starts Prefect
    from newsdedup.summary import format_summary

    _console_without_tracebacks()
    watch_for_orphans()  # the temporary Prefect server and the workers end with this process

    summary: dict[str, Any] = pipeline(
        raw_dir=str(settings.raw_dir), store_url=settings.store_url, batch_size=settings.batch_size,
        max_file_bytes=settings.max_file_bytes, match_window_days=settings.dedup.match_window_days,
        task_runner=settings.task_runner)
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


def _fetch(args: argparse.Namespace, settings: Settings) -> int:
    from flows.fetch import fetch  # the CLI is the one entry point that starts Prefect
    from newsdedup.sources.crawl import SourceList
    from newsdedup.summary import format_summary

    _console_without_tracebacks()
    watch_for_orphans()  # the temporary Prefect server and the workers end with this process

    sources_file = Path(args.sources)
    if args.sources != "deploy/sources.yaml" and not sources_file.is_file():
        raise FileNotFoundError(f"sources file {sources_file} does not exist")
    if sources_file.is_file():
        SourceList.from_yaml(sources_file)  # a malformed file fails here, with its line, not in the flow
    if not (args.pages or args.feed or args.sitemap or sources_file.is_file()):
        raise ValueError("nothing to fetch: give page URLs, --feed URL, --sitemap URL or a --sources file")
    _check_sizes(settings.replace(batch_size=args.batch_size))
    Store.open(settings.store_url).close()  # checked before Prefect starts
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
        print(f"wrote {write_parquet(records, args.output)} records to {args.output}", file=sys.stderr)
        return 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(Path(args.output).open("w", encoding="utf-8")) if args.output else sys.stdout
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()  # a closed pipe or a full disk fails here, inside main's handling, not at exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
