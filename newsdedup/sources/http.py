"""HTTP fetching with httpx: polite (per-host concurrency and pacing, robots.txt, conditional GET),
bounded (timeouts, retries with backoff, a size cap after decompression, a redirect limit) and safe
(http/https only; hosts resolving to private, loopback, link-local or metadata addresses are refused
on the address actually connected to, on every hop).

Nothing here raises for a bad URL or a bad server: every fetch ends in a `FetchResult` that either
holds the response or says why not, in words a person can act on."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import re
import socket
import time
import urllib.robotparser
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio
import httpcore
import httpx

from newsdedup.config import FetchSettings
from newsdedup.documents import RejectedInput

# A media type's name (RFC 6838: type/subtype), no longer than the store keeps.
_MEDIA_TYPE = re.compile(r"(?=.{3,100}$)[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
# Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS ECS; Alibaba; Oracle; AWS over IPv6). They hand
# out credentials, so they stay refused under allow_private: only an allowed_networks entry naming the
# address itself (169.254.169.254 or 169.254.169.254/32) opens one.
_METADATA = {"169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254"}


class FetchRefused(RejectedInput):
    """A fetch that must not or cannot go on."""


# -- URLs and addresses ------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """The URL, normalised, if it is an absolute http(s) URL without credentials; FetchRefused otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise FetchRefused("bad_url", f"not a valid URL: {url!r} ({exc})") from exc
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "no"
        raise FetchRefused("bad_url", f"only http and https URLs are fetched, not {scheme} scheme: {url!r}")
    if not parts.hostname:
        raise FetchRefused("bad_url", f"the URL has no host: {url!r}")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("bad_url", f"URLs with credentials are refused: {parts.hostname}")
    netloc = parts.hostname if port is None else f"{parts.hostname}:{port}"
    if ":" in parts.hostname:  # IPv6 literal
        netloc = f"[{parts.hostname}]" if port is None else f"[{parts.hostname}]:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()

    def refusal(self, host: str, address: str) -> str | None:
        """Why connecting to `address` (resolved from `host`) is refused, or None when allowed."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        networks = [ipaddress.ip_network(net, strict=False) for net in self.allowed_networks]
        if str(ip) in _METADATA:
            if any(net.num_addresses == 1 and ip in net for net in networks):
                return None
            return (f"{host} resolves to {ip}, a cloud metadata address: refused even with --allow-private "
                    "(only an allowed_networks entry naming this address opens it)")
        if any(ip in net for net in networks):
            return None
        if self.allow_private or ip.is_global:
            return None
        kind = ("a loopback" if ip.is_loopback else "a link-local" if ip.is_link_local
                else "a private" if ip.is_private else "a non-public")
        return f"{host} resolves to {ip}, {kind} address (use --allow-private to fetch from it)"


class BlockedAddress(Exception):
    """Raised inside the connection pool when the resolved address is refused by the policy."""


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address against the policy, then connects to the
    checked address: the check and the connection use the same address (no DNS rebinding)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        for address in addresses:  # one refused address refuses the host: no mixed answers
            reason = self.policy.refusal(host, address)
            if reason:
                raise BlockedAddress(reason)
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with the address guard as its network backend."""

    def __init__(self, policy: AddressPolicy, max_connections: int) -> None:
        super().__init__(trust_env=False)
        # httpx exposes no network_backend argument; rebuild its pool (pinned httpx 0.28) with one.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections,
            max_keepalive_connections=max_connections, keepalive_expiry=5.0,
            network_backend=_GuardedBackend(policy))


# -- responses ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """What a previous fetch of a URL said, for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Response:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]
    content: bytes  # decoded of any Content-Encoding, otherwise as sent
    fetched_at: datetime

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))

    @property
    def media_type(self) -> str | None:
        """The Content-Type's type/subtype, when it is one (a server may send anything there)."""
        value = (self.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        return value if _MEDIA_TYPE.fullmatch(value) else None


@dataclass(frozen=True)
class FetchResult:
    url: str
    response: Response | None = None  # a 2xx response with its body
    not_modified: bool = False  # a 304: what we kept is current
    reason: str | None = None  # why there is no response (a quarantine reason)
    detail: str = ""
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.response is not None


@dataclass
class _Host:
    slots: asyncio.Semaphore
    next_start: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return None


class Fetcher:
    """One async HTTP client for a whole crawl. Use as `async with Fetcher(settings) as f:`."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        s = self.settings
        self.policy = AddressPolicy(s.allow_private, s.allowed_networks)
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchRefused] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._total = asyncio.Semaphore(s.total_concurrency)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(self.policy, s.total_concurrency),
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout, pool=None),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,  # followed by hand, each hop checked
            trust_env=False,  # an environment proxy would bypass the address guard
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    # -- public --------------------------------------------------------------------------------------

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """GET a URL with retries; never raises for network or server trouble."""
        try:
            url = check_url(url)
        except FetchRefused as exc:
            return FetchResult(url, reason=exc.reason, detail=str(exc))
        s = self.settings
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._total:
                    response = await self._get(url, validators)
            except FetchRefused as exc:
                return FetchResult(url, reason=exc.reason, detail=str(exc), attempts=attempt)
            except BlockedAddress as exc:
                return FetchResult(url, reason="blocked_address", detail=str(exc), attempts=attempt)
            except httpx.TimeoutException as exc:
                reason, detail, wait = "timeout", f"{type(exc).__name__}: {exc or 'timed out'}", None
            except httpx.HTTPError as exc:  # connection refused, reset, truncated body, protocol error
                reason, detail, wait = "network_error", f"{type(exc).__name__}: {exc}", None
            else:
                if response.status == 304:
                    return FetchResult(url, not_modified=True, attempts=attempt)
                if 200 <= response.status < 300:
                    return FetchResult(url, response=response, attempts=attempt)
                if response.status != 429 and response.status < 500:
                    return FetchResult(url, reason=f"http_{response.status}",
                                       detail=f"the server answered {response.status}", attempts=attempt)
                reason, detail = f"http_{response.status}", f"the server answered {response.status}"
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if wait is not None and wait > s.max_retry_after:
                    return FetchResult(url, reason=reason, attempts=attempt,
                                       detail=f"{detail} with Retry-After {wait:.0f} s, over the "
                                              f"{s.max_retry_after:.0f} s limit (max_retry_after)")
            if attempt > s.retries:
                return FetchResult(url, reason=reason, detail=f"{detail} (after {attempt} attempts)", attempts=attempt)
            await asyncio.sleep(wait if wait is not None else s.backoff_seconds * 2 ** (attempt - 1))

    # -- one GET, redirects followed by hand -----------------------------------------------------------

    async def _get(self, url: str, validators: Validators | None, obey_robots: bool = True) -> Response:
        s = self.settings
        seen = {url}
        current = url
        for _ in range(s.max_redirects + 1):
            if obey_robots:
                await self._check_robots(current)
            headers = {}
            if validators and current == url:
                if validators.etag:
                    headers["If-None-Match"] = validators.etag
                if validators.last_modified:
                    headers["If-Modified-Since"] = validators.last_modified
            async with self._host_slot(current):
                status, response_headers, content, location = await self._request(current, headers)
            if location is None:
                return Response(url, current, status, response_headers, content, datetime.now(UTC))
            target = check_url(urljoin(current, location))
            if target in seen:
                raise FetchRefused("redirect_loop", f"redirect loop: {current} -> {target}")
            seen.add(target)
            current = target
        raise FetchRefused("too_many_redirects", f"more than {s.max_redirects} redirects from {url}")

    async def _request(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, str | None]:
        """(status, headers, body, redirect location or None); the body is read only for 2xx."""
        assert self._client is not None, "use Fetcher as an async context manager"
        cap = self.settings.max_response_bytes
        async with self._client.stream("GET", url, headers=headers) as response:
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            if response.is_redirect and "location" in response.headers:
                return response.status_code, response_headers, b"", response.headers["location"]
            if not 200 <= response.status_code < 300:
                return response.status_code, response_headers, b"", None
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchRefused("too_large", f"{url} declares {int(declared):,} bytes, over the "
                                                f"{cap:,}-byte limit (max_response_bytes)")
            chunks, total = [], 0
            # aiter_bytes decodes gzip/deflate as it streams: the cap holds for the decompressed size.
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > cap:
                    raise FetchRefused("too_large", f"{url} sent over {cap:,} bytes (after decompression), "
                                                    "the limit (max_response_bytes)")
                chunks.append(chunk)
            return response.status_code, response_headers, b"".join(chunks), None

    @contextlib.asynccontextmanager
    async def _host_slot(self, url: str) -> AsyncIterator[None]:
        """At most `per_host_concurrency` requests to a host at once, starts `per_host_interval` apart."""
        s = self.settings
        host = urlsplit(url).netloc
        state = self._hosts.setdefault(host, _Host(asyncio.Semaphore(s.per_host_concurrency)))
        async with state.slots:
            async with state.lock:
                delay = state.next_start - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                state.next_start = time.monotonic() + s.per_host_interval
            yield

    # -- robots.txt (RFC 9309) -------------------------------------------------------------------------

    async def _check_robots(self, url: str) -> None:
        if not self.settings.respect_robots:
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, FetchRefused):
            raise rules
        if not rules.can_fetch(_robots_agent(self.settings.user_agent), url):
            raise FetchRefused("robots", f"robots.txt of {origin} disallows {url} (respect_robots)")

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | FetchRefused:
        parser = urllib.robotparser.RobotFileParser()
        try:
            # robots.txt may redirect (RFC 9309 allows five hops); each hop goes through the guard too.
            response = await self._get(origin + "/robots.txt", None, obey_robots=False)
            status, content = response.status, response.content
        except BlockedAddress as exc:
            return FetchRefused("blocked_address", str(exc))
        except FetchRefused as exc:
            if exc.reason == "too_large":  # RFC 9309: parse at least 500 KiB; a huge file is no rule
                parser.parse([])
                return parser
            if exc.reason in ("redirect_loop", "too_many_redirects"):
                return FetchRefused("robots_unreachable", f"{origin}/robots.txt redirects without end: crawling "
                                                          "it is suspended, as RFC 9309 asks")
            return exc
        except httpx.HTTPError as exc:
            # RFC 9309: an unreachable robots.txt means "assume complete disallow".
            return FetchRefused("robots_unreachable", f"{origin}/robots.txt could not be read ({type(exc).__name__})")
        if 200 <= status < 300:
            parser.parse(content.decode("utf-8", errors="replace").splitlines())
        elif 400 <= status < 500:
            parser.parse([])  # no robots.txt: everything allowed
        else:
            return FetchRefused("robots_unreachable", f"{origin}/robots.txt answered {status}: crawling it is "
                                                      "suspended, as RFC 9309 asks")
        return parser


def _robots_agent(user_agent: str) -> str:
    return user_agent.split("/", 1)[0].split()[0]
