"""A real HTTP server on 127.0.0.1 for fetch tests: routes are plain functions, requests are counted."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                server.request_headers.setdefault(path, []).append({k.lower(): v for k, v in self.headers.items()})
                route = server.routes.get(path)
                if route is None:
                    send(self, 404, b"not found", "text/plain")
                else:
                    route(self)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str,
         headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def static(body: bytes, content_type: str = "text/html; charset=utf-8", etag: str | None = None) -> Handler:
    """A resource that honours If-None-Match when it has an ETag."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        if etag and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        send(handler, 200, body, content_type, {"ETag": etag} if etag else None)
    return route


def failing(times: int, status: int, then: Handler, headers: dict[str, str] | None = None) -> Handler:
    """Answers `status` the first `times` requests, then behaves like `then`."""
    count = {"n": 0}

    def route(handler: BaseHTTPRequestHandler) -> None:
        count["n"] += 1
        if count["n"] <= times:
            send(handler, status, b"try later", "text/plain", headers)
        else:
            then(handler)
    return route


def redirect(location: str, status: int = 302) -> Handler:
    def route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, status, b"", "text/plain", {"Location": location})
    return route


def slow(seconds: float, then: Handler) -> Handler:
    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        then(handler)
    return route


def truncated(handler: BaseHTTPRequestHandler) -> None:
    """Promises 10,000 bytes and sends 100, then closes the connection."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "10000")
    handler.end_headers()
    handler.wfile.write(b"<p>" + b"x" * 97)
    handler.close_connection = True


def gzip_bomb(decompressed_bytes: int) -> Handler:
    """A small gzip body (Content-Encoding: gzip) that inflates to `decompressed_bytes`."""
    body = gzip.compress(b"\0" * decompressed_bytes, compresslevel=9)

    def route(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, body, "text/html", {"Content-Encoding": "gzip"})
    return route


def article_html(title: str, paragraphs: list[str], canonical: str | None = None, charset: str = "utf-8") -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"><head><meta charset="{charset}"><title>{title} | The Daily</title>{link}'
            f'<meta property="article:published_time" content="2026-11-20T08:00:00Z"></head><body>'
            f'<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>'
            f"<article><h1>{title}</h1>{body}</article>"
            f'<footer><a href="/about">About us</a> Copyright The Daily</footer></body></html>').encode(charset)


def rss(items: list[tuple[str, str]], base: str) -> bytes:
    """RSS 2.0 with (path, title) items; pubDate fixed so the feed is byte-stable."""
    entries = "".join(f"<item><title>{t}</title><link>{base}{p}</link>"
                      f"<pubDate>{formatdate(1_795_000_000 + i, usegmt=True)}</pubDate></item>"
                      for i, (p, t) in enumerate(items))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Daily</title>'
            f"<link>{base}/</link>{entries}</channel></rss>").encode()


def atom(items: list[tuple[str, str, str]]) -> bytes:
    """Atom 1.0 with (relative href, title, updated) entries."""
    entries = "".join(f'<entry><title>{t}</title><link href="{p}"/><id>tag:daily,{p}</id><updated>{u}</updated></entry>'
                      for p, t, u in items)
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>The Daily</title><id>tag:daily</id><updated>2026-11-20T00:00:00Z</updated>{entries}</feed>"
            ).encode()


def sitemap(urls: list[tuple[str, str | None]], index: bool = False) -> bytes:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    body = "".join(f"<{item}><loc>{u}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + f"</{item}>"
                   for u, m in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{body}</{tag}>").encode()
