"""One settings object. Defaults live here; environment variables (NEWSDEDUP_*), CLI flags and flow
parameters all map onto these fields, so each knob is named and documented once."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STORE_URL = "sqlite:///processed/newsdedup.db"


@dataclass(frozen=True)
class ExtractionSettings:
    # Lines shorter than this (in words) that end without sentence punctuation are treated as
    # furniture (navigation, labels, teasers) unless they look like a sub-heading of the article.
    min_body_words: int = 10
    # A short line is kept as a sub-heading only if this share of its content words also occurs in
    # the rest of the article: headings introduce the text below, teasers point at other stories.
    heading_cohesion: float = 0.6
    # After a "Related" / "Other news" heading, prose sharing fewer than this share of its content words
    # with the article so far is a snippet of another story.
    teaser_cohesion: float = 0.2
    # Pages whose body is shorter than this many words get a low confidence flag.
    low_confidence_words: int = 80
    # Less body than this (words; characters / 3 in scripts written without spaces) and the densest
    # run of text on the page is compared with it: the larger is taken (lines._fallback).
    min_article_units: int = 50


@dataclass(frozen=True)
class DedupSettings:
    num_perm: int = 128
    shingle_size: int = 3  # word n-grams; 3 keeps lightly edited copies similar
    # LSH bands (bands x rows of a signature) of whole documents and of long paragraphs. Every candidate
    # is verified exactly, so the banding trades index size against speed and recall. Documents: 37 x 3,
    # datasketch's optimum for a Jaccard of 0.3. Paragraphs: LSH only has to bring two documents
    # together; 8 bands of 3 rows find a paragraph at Jaccard 0.5 two times in three, a report lifting
    # three such paragraphs 96 % of the time. Fewer keys with rows of 2 (documents 28 x 2, paragraphs
    # 4 x 2: 81 keys instead of 142 on real articles) keep that recall but, on the 1,015 dev pages, make
    # 5x the false candidates to load and verify (196 instead of 36 per new article at 40k indexed).
    doc_bands: int = 37
    doc_rows: int = 3
    paragraph_bands: int = 8
    paragraph_rows: int = 3
    # An article's first `opening_letters` letters are banded apart: a reprint cut to its first
    # paragraphs shares too little of a long story's whole text for the document bands (a quarter of
    # it is found a third to a half of the time), but keeps its opening; 6 bands of 2 rows find two
    # openings at Jaccard 0.5 (a 100-letter byline or dateline apart, with OCR noise) 82 % of the
    # time. Noisy reprints pair F1 0.965 -> 0.970, the other dev dedup files unchanged.
    opening_bands: int = 6
    opening_rows: int = 2
    opening_letters: int = 300
    # Copies are verified on the letters of their texts (spaces and punctuation dropped, case folded),
    # in windows of `char_shingle_size` characters: OCR noise, split or merged words and copy-editing
    # spoil a few windows, not whole word n-grams. Calibrated over every dev dedup file at once
    # (benchmarks/calibrate_dedup.py prints the table).
    char_shingle_size: int = 7
    near_duplicate_jaccard: float = 0.5  # verified window Jaccard that makes two documents one story
    # ...or an abridged or noisy copy: this share of the shorter document's windows found in the longer,
    containment: float = 0.5
    # ...with both documents opening alike: the text they share (a run of some 30 letters, so a common
    # phrase does not count) begins within the first `lede_offset` letters of each (room for a dateline
    # or a byline). A reprint keeps the story's opening however much of its end was cut; a report that
    # lifts passages, however long, opens with a lede of its own and takes them from the middle. Dev
    # dedup files (noisy / syndicated / dev): 94 % / 89 % / 100 % of copy pairs open alike within 100
    # letters, 3 % / 0 % of lifting pairs (most copies that do not lost their first paragraph to extraction).
    lede_offset: int = 100
    # Copies and lifts are matched only between stories that ran within this many days of each other
    # (their publication dates when both pages state one, else the days they were first seen): with 30,
    # a wire story re-run next year is a new story. 0, the default: no window. Stated dates are not to
    # be trusted blindly: republished copies carry their outlet's date (the dev dedup sets' copies of
    # one story are dated years apart), and a date line may belong to a teaser; a window suits a live
    # feed of recent news (set it for scheduled fetches), not archives or data sets.
    match_window_days: int = 0
    # With a window, articles that ran more than the window and this margin before the newest indexed
    # one leave the dedup index at the end of each run (records keep their groups and links): the index
    # stays the size of the window, however large the store grows.
    index_margin_days: int = 7
    paragraph_similarity: float = 0.5  # verified Jaccard that makes two paragraphs the same passage
    min_paragraph_words: int = 8  # shorter paragraphs are too generic to prove copying
    # Shared paragraphs that make an overlap link: a report that lifts passages shares several, or one
    # copied (near) verbatim of at least 2 x min_paragraph_words words; two reports quoting one statement
    # share a single paragraph loosely, two pages of a blog one short line (its tagline) verbatim.
    # (Teasers of other stories are removed by extraction before they can link anything.)
    min_overlap_paragraphs: int = 2
    verbatim_paragraph: float = 0.8
    # Rewritten reports (dedup/rewrites.py): a report put in other words shares no paragraph verbatim,
    # yet its sentences keep their source's content words, in order. Of the other stories an article
    # is compared with, one is linked when at least `rewrite_sentences` sentence pairs of word-stem Dice
    # >= `rewrite_similarity` follow in the same order in both, making up `rewrite_share` of the
    # shorter text's sentences (benchmarks/rewrites.py measures it on retold dev bodies; among the 1,015
    # dev extraction pages' own bodies it links nothing the verbatim tests had not).
    rewrite_similarity: float = 0.5
    rewrite_sentences: int = 3
    rewrite_share: float = 0.4
    seed: int = 1

    def __post_init__(self) -> None:
        for name, bands, rows in (("doc", self.doc_bands, self.doc_rows),
                                  ("paragraph", self.paragraph_bands, self.paragraph_rows),
                                  ("opening", self.opening_bands, self.opening_rows)):
            if bands < 1 or rows < 1 or bands * rows > self.num_perm:
                raise ValueError(f"{name}_bands x {name}_rows ({bands} x {rows}) must be at least 1 x 1 and use "
                                 f"at most num_perm ({self.num_perm}) signature values")


@dataclass(frozen=True)
class FetchSettings:
    """How newsdedup behaves as an HTTP client: polite to each host, hard to abuse."""

    user_agent: str = "newsdedup/0.1 (news de-duplication pipeline; +https://pypi.org/project/newsdedup/)"
    max_response_bytes: int = 10 * 1024 * 1024  # after decompression, so gzip bombs stop here too
    max_redirects: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3  # further attempts after a 5xx, 429 or network error
    backoff_seconds: float = 1.0  # first retry waits this long, doubling each time
    max_retry_after: float = 120.0  # a longer Retry-After gives up (and quarantines) instead of waiting
    per_host_concurrency: int = 2
    per_host_interval: float = 1.0  # seconds between request starts to one host
    total_concurrency: int = 16
    respect_robots: bool = True
    # Hosts resolving to private, loopback, link-local or metadata addresses are refused unless this
    # is set (for a local test server or an intranet), or the address is listed in `allowed_networks`.
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()
    max_sitemap_urls: int = 50_000
    max_sitemap_depth: int = 3


@dataclass(frozen=True)
class Settings:
    store_url: str = DEFAULT_STORE_URL
    raw_dir: Path = Path("raw")
    batch_size: int = 1000
    max_file_bytes: int = 20 * 1024 * 1024  # larger inputs are quarantined, not read into memory
    # Processes classifying pages during extraction: 0 means one per CPU core, 1 keeps it in-process
    # (as under a Dask task runner, where the cluster's workers are the parallelism).
    extract_workers: int = 0
    # Where extraction's per-page work runs: "local" (the processes above), "dask" (a Dask LocalCluster,
    # one worker per core) or a Dask scheduler's address, tcp://host:8786 (flows/cluster.py).
    task_runner: str = "local"
    extraction: ExtractionSettings = field(default_factory=ExtractionSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)

    def replace(self, **changes: Any) -> Settings:
        """Copy with changes; `None` values mean "keep the current value" (unset CLI flags)."""
        top = {k: v for k, v in changes.items() if v is not None and k in _TOP_FIELDS}
        dedup = {k: v for k, v in changes.items() if v is not None and k in _DEDUP_FIELDS}
        extraction = {k: v for k, v in changes.items() if v is not None and k in _EXTRACTION_FIELDS}
        fetch = {k: v for k, v in changes.items() if v is not None and k in _FETCH_FIELDS}
        unknown = set(changes) - _TOP_FIELDS - _DEDUP_FIELDS - _EXTRACTION_FIELDS - _FETCH_FIELDS
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if "raw_dir" in top:
            top["raw_dir"] = Path(top["raw_dir"])
        return dataclasses.replace(
            self,
            **top,
            dedup=dataclasses.replace(self.dedup, **dedup),
            extraction=dataclasses.replace(self.extraction, **extraction),
            fetch=dataclasses.replace(self.fetch, **fetch),
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Defaults overridden by NEWSDEDUP_<FIELD> variables (e.g. NEWSDEDUP_STORE_URL)."""
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for name, kind in _FIELD_TYPES.items():
            variable = f"NEWSDEDUP_{name.upper()}"
            value = env.get(variable)
            if value is not None:
                try:
                    changes[name] = kind(value)
                except ValueError as exc:
                    raise ValueError(f"{variable}={value!r} is not a valid {kind.__name__.lstrip('_')}: {exc}") from exc
        return cls().replace(**changes)


def _boolean(value: str) -> bool:
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r} (use true or false)")


def _field_types(klass: type) -> dict[str, Any]:
    casts: dict[str, Any] = {"int": int, "float": float, "str": str, "Path": Path, "bool": _boolean}
    return {f.name: casts[str(f.type)] for f in dataclasses.fields(klass) if str(f.type) in casts}


_TOP_FIELDS = {"store_url", "raw_dir", "batch_size", "max_file_bytes", "extract_workers", "task_runner"}
_DEDUP_FIELDS = {f.name for f in dataclasses.fields(DedupSettings)}
_EXTRACTION_FIELDS = {f.name for f in dataclasses.fields(ExtractionSettings)}
_FETCH_FIELDS = {f.name for f in dataclasses.fields(FetchSettings)}
_FIELD_TYPES = {**_field_types(Settings), **_field_types(DedupSettings), **_field_types(ExtractionSettings),
                **_field_types(FetchSettings)}
