"""The `newsdedup` command: stats, show and export over a processed store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from conftest import POSTGRES_URL, run_steps
from sqlalchemy import create_engine, inspect

from newsdedup.cli import main
from newsdedup.store import Store


@pytest.fixture
def processed(raw_dir: Path, tmp_path: Path) -> str:
    (raw_dir / "copy.txt").write_bytes((raw_dir / "003_c73d2bbacf694d4f.txt").read_bytes() + b"\n\nShare this!\n")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url)
    run_steps(store, raw_dir)
    store.close()
    return url


def _jsonl(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(list(args)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_export_canonical_and_all(processed: str, capsys: pytest.CaptureFixture[str]) -> None:
    canonical = _jsonl(capsys, "--store", processed, "export", "--format", "jsonl")
    everything = _jsonl(capsys, "--store", processed, "export", "--format", "jsonl", "--all")
    assert len(canonical) == 5 and len(everything) == 6
    assert all(r["canonical"] and r["duplicate_of"] is None for r in canonical)
    copy = next(r for r in everything if r["source"] == "copy.txt")
    original = next(r for r in everything if r["source"] == "003_c73d2bbacf694d4f.txt")
    assert copy["canonical"] is False and copy["duplicate_of"] == original["id"] == original["group"] == copy["group"]
    for record in everything:
        assert {"id", "source", "title", "published", "body", "group", "canonical", "duplicate_of", "overlaps"} <= set(
            record
        )
    linked = [r for r in everything if r["overlaps"]]
    assert {r["source"] for r in linked} == {"001_233dc4c3cfabbe5b.txt", "002_8d077245f715231b.txt"}
    pairs = linked[0]["overlaps"][0]["paragraphs"]
    assert len(pairs) == 3 and all(len(p) == 3 for p in pairs) and linked[0]["overlaps"][0]["kind"] == "lifted"
    a, b = linked
    assert a["body"].split("\n\n")[pairs[0][0]] and b["overlaps"][0]["id"] == a["id"]


def test_show_stats_and_parquet(processed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _jsonl(capsys, "--store", processed, "export", "--all")
    copy = next(r for r in records if r["source"] == "copy.txt")
    assert main(["--store", processed, "show", copy["id"][:8]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == copy["id"] and len(shown["group_members"]) == 2
    assert main(["--store", processed, "stats"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["articles"] == 6 and counts["exact_duplicates"] == 1 and counts["overlap_links"] == 1
    out = tmp_path / "out.parquet"
    assert main(["--store", processed, "export", "--format", "parquet", "--all", "-o", str(out)]) == 0
    assert pq.read_table(out).num_rows == 6
    assert main(["--store", processed, "show", "nope"]) == 1
    assert main(["--store", "notaurl", "stats"]) == 2


def test_parquet_is_written_one_row_group_at_a_time(processed: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """An export holds one row group in memory, never the whole store; the rows are the JSONL export's."""
    from newsdedup.store import read

    monkeypatch.setattr(read, "PARQUET_ROWS", 4)
    records = _jsonl(capsys, "--store", processed, "export", "--all")
    out = tmp_path / "out.parquet"
    assert main(["--store", processed, "export", "--format", "parquet", "--all", "-o", str(out)]) == 0
    assert pq.ParquetFile(out).num_row_groups == 2  # 6 records: 4 + 2
    rows = pq.read_table(out).to_pylist()
    assert [{**r, "overlaps": json.loads(r["overlaps"])} for r in rows] == records
    empty = tmp_path / "none.parquet"  # an empty store still writes every column
    assert read.write_parquet([], empty) == 0 and "published" in pq.read_schema(empty).names


def test_a_bad_setting_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSDEDUP_EXTRACT_WORKERS", "two")
    assert main(["stats"]) == 2
    assert "NEWSDEDUP_EXTRACT_WORKERS='two' is not a valid int" in capsys.readouterr().err


def test_a_banding_wider_than_the_signature_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEWSDEDUP_NUM_PERM", "64")
    assert main(["stats"]) == 2
    assert "doc_bands x doc_rows (37 x 3)" in capsys.readouterr().err
    monkeypatch.setenv("NEWSDEDUP_DOC_BANDS", "21")
    monkeypatch.setenv("NEWSDEDUP_PARAGRAPH_BANDS", "0")
    assert main(["stats"]) == 2
    assert "paragraph_bands x paragraph_rows (0 x 3)" in capsys.readouterr().err


def _cli(*args: str, stdout: Any = subprocess.PIPE, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a fresh process, so a traceback would show on its stderr."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    env.pop("NEWSDEDUP_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "newsdedup.cli", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, env=env, cwd=Path(__file__).parents[1])


def _one_line_error(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_store_is_taken_before_or_after_the_command(
    where: str, processed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--store", processed, "stats"] if where == "before" else ["stats", "--store", processed]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == 6


def test_stats_on_a_mistyped_path_creates_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "procesed" / "newsdedup.db"
    assert main(["stats", "--store", f"sqlite:///{missing}"]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists() and not missing.parent.exists()


def test_plain_postgresql_url_means_psycopg(capsys: pytest.CaptureFixture[str]) -> None:
    Store.open(POSTGRES_URL).close()
    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    assert main(["stats", "--store", plain]) == 0
    assert "articles" in json.loads(capsys.readouterr().out)


def test_user_errors_are_one_line_without_traceback(processed: str, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a database file, whatever its name says" * 200)
    cases = [
        (("--store", "foo://x", "stats"), "unsupported store URL 'foo://x'"),
        (("stats", "--store", "notaurl"), "not a database URL"),
        (("--store", f"sqlite:///{corrupt}", "export"), "file is not a database"),
        (("--store", "postgresql://postgres@127.0.0.1:1/test", "stats"), "cannot open the store"),
        (("run", "--batch-size", "0"), "--batch-size: must be at least 1, not 0"),
        (("run", "--max-file-bytes", "ten"), "not a whole number"),
        (("run", "--raw", str(corrupt)), "is not a directory"),
        (("--store", processed, "export", "-o", "/dev/full"), "disk full"),
    ]
    for args, expected in cases:
        _one_line_error(_cli(*args), expected)


def test_run_checks_its_store_before_prefect_starts(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    started = time.perf_counter()
    result = _cli("run", "--raw", str(tmp_path / "raw"), "--store", "postgresql://postgres@127.0.0.1:1/test")
    _one_line_error(result, "cannot open the store")
    assert time.perf_counter() - started < 8  # Prefect's start-up alone is ~9 s; it never began


def test_export_into_a_closed_pipe_ends_in_one_line(processed: str) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # `export | head` after head has gone
    try:
        result = _cli("--store", processed, "export", "--all", stdout=writer)
    finally:
        os.close(writer)
    _one_line_error(result, "broken pipe")


def test_a_full_disk_during_a_run_ends_in_one_line(tmp_path: Path) -> None:
    full = tmp_path / "small"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(full)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        raw = tmp_path / "raw"
        raw.mkdir()
        for n in range(40):
            words = " ".join(f"w{(n * 7919 + k * 104729) % 100003}" for k in range(1500))
            (raw / f"{n}.txt").write_text(f"Story {n}\n\n{words}\n")
        result = _cli("--store", f"sqlite:///{full / 's.db'}", "run", "--raw", str(raw), timeout=300)
    finally:
        subprocess.run(["umount", str(full)], check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr  # Prefect's log lines, one line each
    ours = [line for line in result.stderr.splitlines() if line.startswith("newsdedup:")]
    assert len(ours) == 1 and ours[0].startswith("newsdedup: disk full"), result.stderr


@pytest.mark.parametrize(("given", "expected"), [(None, 180), ("45", 45)])
def test_prefect_reads_the_cli_defaults_unless_the_environment_sets_them(given: str | None, expected: int) -> None:
    """The CLI sets its Prefect defaults before Prefect is imported, else Prefect never sees them."""
    code = ("import sys; from newsdedup.cli import main; main(['stats', '--store', 'sqlite:////nonexistent/s.db']); "
            "assert 'prefect' not in sys.modules; "
            "from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as timeout; "
            "print(timeout.value())")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"}
    if given is not None:
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = given
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) == expected


def test_sizes_from_the_environment_are_checked_before_prefect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "raw").mkdir()
    monkeypatch.setenv("NEWSDEDUP_BATCH_SIZE", "0")
    assert main(["run", "--raw", str(tmp_path / "raw"), "--store", f"sqlite:///{tmp_path / 's.db'}"]) == 2
    assert capsys.readouterr().err.strip() == "newsdedup: batch size must be between 1 and 100,000, not 0"


def test_reading_commands_never_create_a_store(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["stats"], ["export"], ["show", "abc"]):
        assert main([*command, "--store", store_url]) == 2
        assert "no " in capsys.readouterr().err  # "no store at …" / "no newsdedup store at …"
    if store_url.startswith("postgresql"):
        engine = create_engine(store_url)
        try:
            assert not inspect(engine).has_table("articles")
        finally:
            engine.dispose()
