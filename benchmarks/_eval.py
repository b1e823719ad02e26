"""Runs the shared evaluation scorers (../shared/eval) on a module:function and returns their line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("NEWSDEDUP_EVAL_DIR", ROOT.parent / "shared" / "eval"))


def score(script: str, data: str, function: str, *args: str) -> str:
    """One scorer run from the project root (the scorer imports `function` from there)."""
    if not (EVAL / script).exists():
        raise SystemExit(f"{EVAL / script} not found: set NEWSDEDUP_EVAL_DIR to the shared eval folder")
    done = subprocess.run([sys.executable, str(EVAL / script), str(EVAL / data), function, *args],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        return f"{function}: failed\n{done.stderr.strip()[-2000:]}"
    return done.stdout.strip()
