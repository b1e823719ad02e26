"""`make serve`: a local Prefect server (SQLite, UI included) and every deployment of deploy/prefect.yaml
served with its schedule from this one process. Ctrl-C stops both.

    python deploy/serve.py [--port 4200] [--no-server]

--no-server serves the deployments to the server PREFECT_API_URL already names (e.g. one on PostgreSQL)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from newsdedup.parallel import watch_for_orphans

ROOT = Path(__file__).resolve().parent.parent
PREFECT_FILE = ROOT / "deploy" / "prefect.yaml"


def load_deployments(path: Path = PREFECT_FILE) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["deployments"])


def wait_for(url: str, what: str, timeout: float = 120.0) -> None:
    """Poll `url` until it answers 200 (a server's health, a deployment's registration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s ({url})")


@contextlib.contextmanager
def local_server(port: int, extra_env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """`prefect server start` on 127.0.0.1:port; yields its API URL and stops it on exit. `extra_env`
    may set PREFECT_HOME (where its SQLite database lives) or PREFECT_API_DATABASE_CONNECTION_URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **(extra_env or {}), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(port),
           "PREFECT_UI_API_URL": api_url}  # the UI's own calls go to this server, not the default port
    env.pop("PREFECT_API_URL", None)
    output = log.open("ab") if log else None
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT if output else None)
    try:
        wait_for(f"{api_url}/health", f"the Prefect server at {api_url}")
        yield api_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if output:
            output.close()


def serve_deployments(path: Path = PREFECT_FILE) -> None:
    """Build each deployment of prefect.yaml from its flow and serve them all (blocks)."""
    from prefect import serve
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron, Interval, Schedule

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)  # entrypoints and default parameters (raw/, processed/) are relative to the project
    runnable = []
    for spec in load_deployments(path):
        module, _, name = spec["entrypoint"].partition(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)
        schedules: list[Schedule] = []
        for s in spec.get("schedules", []):
            if "cron" in s:
                schedules.append(Cron(s["cron"], timezone=s.get("timezone", "UTC")))
            else:
                schedules.append(Interval(s["interval"]))
        limit = spec.get("concurrency_limit")
        concurrency = ConcurrencyLimitConfig(
            limit=limit["limit"], collision_strategy=ConcurrencyLimitStrategy(limit["collision_strategy"])
        ) if isinstance(limit, dict) else limit
        runnable.append(flow.to_deployment(
            name=spec["name"], description=spec.get("description"), parameters=spec.get("parameters", {}),
            schedules=schedules, concurrency_limit=concurrency))
    serve(*runnable)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # out of the serving loop at once, through the finally that stops the server


def main() -> int:
    # SIGTERM's default is to die on the spot, leaving the server (in a session of its own) running; on
    # Ctrl-C, asyncio's own handler would cancel the serving loop gracefully, which took over 15 s.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Even a SIGKILL (the OOM killer) takes the server and the runs this process started with it.
    watch_for_orphans()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("NEWSDEDUP_PREFECT_PORT", "4200")))
    parser.add_argument("--no-server", action="store_true", help="use the server of PREFECT_API_URL")
    args = parser.parse_args()
    if args.no_server:
        if not os.environ.get("PREFECT_API_URL"):
            parser.error("--no-server needs PREFECT_API_URL")
        serve_deployments()
        return 0
    with local_server(args.port) as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        print(f"Prefect UI: {api_url.removesuffix('/api')}  (API {api_url})", flush=True)
        print("Trigger a run: newsdedup trigger pipeline   (or: prefect deployment run pipeline/pipeline)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            serve_deployments()
    return 0


if __name__ == "__main__":
    sys.exit(main())
