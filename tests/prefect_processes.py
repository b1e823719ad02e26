"""Real Prefect processes for the end-to-end tests: a server (`deploy/serve.py`'s own starter), the
serving process, workers, and the `newsdedup trigger` command, each on 127.0.0.1."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def serve_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("newsdedup_serve", ROOT / "deploy" / "serve.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_env(api_url: str, home: Path) -> dict[str, str]:
    return {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


@contextlib.contextmanager
def background(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running process (serve, worker), stopped with its children on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def trigger(deployment: str, env: dict[str, str], **parameters: str) -> tuple[str, str]:
    """`newsdedup trigger DEPLOYMENT --wait`: (flow run id, final state name)."""
    command = [str(BIN / "newsdedup"), "trigger", deployment, "--wait"]
    command += [f"--param={k}={v}" for k, v in parameters.items()]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    match = re.search(r"\(([0-9a-f-]{36})\): (\w+)", done.stdout)
    assert match, f"trigger printed no run: {done.stdout}\n{done.stderr}"
    return match.group(1), match.group(2)


def wait_for_deployment(api_url: str, name: str) -> None:
    serve_module().wait_for(f"{api_url}/deployments/name/{name}", f"the registration of deployment {name}")
