"""One spelling per page URL, applied before any two URLs are compared (canonical URL, og:url, a fetched
or listed URL): tracking parameters, AMP variants and spelling differences that name the same page
would otherwise keep copies of one article apart.

The rules, all in this module:
- scheme and host lower-case; the default port (80 for http, 443 for https), the fragment and a
  trailing slash dropped;
- tracking parameters dropped (`utm_*` and the click and campaign ids below), the rest kept, sorted;
- AMP variants mapped to the article's URL: an `amp.` host, an `/amp` last path segment, and the
  `outputType=amp` / `amp=1` switches.
Anything that is not an absolute http(s) URL (a file path) is returned as given, stripped."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from newsdedup.documents import writable

TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "ref", "cmpid", "ocid", "igshid"})
TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Query switches that ask for the AMP rendering of the same article (name, values), compared lower-case.
_AMP_SWITCHES = {"outputtype": {"amp"}, "amp": {"", "1", "true"}}


def _keeps(pair: str) -> bool:
    """Whether a `name=value` query pair says something about the page (not tracking, not AMP)."""
    name, _, value = pair.partition("=")
    name = unquote(name).strip().lower()
    if not name or name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES):
        return False
    return unquote(value).strip().lower() not in _AMP_SWITCHES.get(name, ())


_EDGES = "".join(map(chr, range(0x21)))  # C0 controls and the space
_UNPRINTABLE = re.compile("[\x00-\x20\x7f]")


def web_url(url: str) -> str:
    """A URL as a browser reads one linked or typed: C0 controls and spaces around it stripped, tabs and
    line breaks inside removed, other control characters and spaces percent-encoded (a feed may link to
    a URL holding a NUL, which no server and no PostgreSQL text column takes), a lone surrogate U+FFFD."""
    url = url.strip(_EDGES).replace("\t", "").replace("\n", "").replace("\r", "")
    return writable(_UNPRINTABLE.sub(lambda m: f"%{ord(m.group()):02X}", url))


def normalise_url(url: str) -> str:
    """The URL as it is compared and stored: see the module's rules. Idempotent."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal: compared as written
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = _without_amp(parts.hostname)
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    path = parts.path.rstrip("/")
    if path.lower().endswith("/amp"):
        path = path[: -len("/amp")].rstrip("/")
    kept = [pair for pair in parts.query.split("&") if pair and _keeps(pair)]
    query = "&".join(sorted(kept, key=lambda pair: pair.partition("=")[::2]))
    return urlunsplit((scheme, netloc, path, query, ""))


def _without_amp(host: str) -> str:
    """A host (lower-cased by urlsplit) without the `amp.` of an AMP rendering."""
    return host[len("amp."):] if host.startswith("amp.") and host.count(".") >= 2 else host


def url_host(url: str) -> str | None:
    """The host a page URL names, as an outlet is called after it: the host of its normalised form
    (`normalise_url`: the rest of the URL is not spelled out again), without `www.` or a port; None
    unless the URL is absolute http(s)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return _without_amp(parts.hostname).removeprefix("www.")
