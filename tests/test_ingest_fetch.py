"""SafeFetcher against a real HTTP server on 127.0.0.1; refusals are checked with no traffic at all.

An audit hook records every `socket.connect` and `socket.getaddrinfo` while a test asks for
it, and raises if anything tries to reach a non-loopback address, so a regression in the
address checks fails the test instead of sending packets to 10.0.0.1 or the metadata service.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import pytest

from factcheck.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    InputError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    UnsupportedFormatError,
    UnsupportedSchemeError,
)
from factcheck.ingest import AddressPolicy, SafeFetcher, document_from_url, ingest
from factcheck.settings import Settings

LIMIT = 1_000_000
_BOMB = gzip.compress(b"\0" * (8 * LIMIT))
_HTML_PAGE = (
    "<html><head><title>Local page</title></head><body><article>"
    + "<p>The local test server answered this request with a small article about nothing at all.</p>" * 3
    + "</article></body></html>"
).encode()


# --- the network audit -----------------------------------------------------------------------------

_AUDIT: dict[str, list[tuple[str, object]] | None] = {"events": None}


def _audit(event: str, args: tuple[object, ...]) -> None:
    events = _AUDIT["events"]
    if events is None or event not in ("socket.connect", "socket.getaddrinfo"):
        return
    target = args[1] if event == "socket.connect" else args[0]
    events.append((event, target))
    if (
        event == "socket.connect"
        and isinstance(target, tuple)
        and not ip_address(str(target[0]).split("%")[0]).is_loopback
    ):
        raise RuntimeError(f"a test tried to connect to {target}")


sys.addaudithook(_audit)


@pytest.fixture
def ingest_network_audit() -> Iterator[list[tuple[str, object]]]:
    """The connect and DNS events of this test; any non-loopback connect raises."""
    events: list[tuple[str, object]] = []
    _AUDIT["events"] = events
    try:
        yield events
    finally:
        _AUDIT["events"] = None


# --- the local server --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    paths: list[str]
    hosts: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self.server.hosts.append(self.headers.get("Host", ""))
        route = _ROUTES.get(self.path.split("?")[0])
        if route is None and self.path.startswith("/redirect/"):
            hops = int(self.path.rsplit("/", 1)[1])
            self._send(302, b"", location="/page" if hops == 0 else f"/redirect/{hops - 1}")
        elif route is None:
            self._send(404, b"not found", "text/plain")
        else:
            route(self)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/html",
        *,
        location: str | None = None,
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if location:
            self.send_header("Location", location)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client may hang up first; that is what some tests do
            self.wfile.write(body)

    def _origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(40):
            try:
                self.wfile.write(b"<p>drip</p>")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    def _big_unannounced(self) -> None:
        self._send(200, b"a" * (2 * LIMIT), length=False)


def _cyrillic(declared: str) -> Callable[[_Handler], None]:
    body = "<html><body><p>Министерство здравоохранения сообщило, что вакцина безопасна.</p></body></html>"
    return lambda handler: handler._send(200, body.encode("cp1251"), declared)


_ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/page": lambda h: h._send(200, _HTML_PAGE, "text/html; charset=utf-8"),
    "/plain": lambda h: h._send(200, b"Plain text: the moon is made of cheese.", "text/plain"),
    "/image": lambda h: h._send(200, b"\x89PNG\r\n\x1a\n", "image/png"),
    "/echo-host": lambda h: h._send(200, f"<p>Host was {h.headers['Host']}</p>".encode(), "text/html"),
    "/header-charset-wins": lambda h: h._send(
        200, '<meta charset="utf-8"><p>café</p>'.encode("latin-1"), "text/html; charset=ISO-8859-1"
    ),
    "/meta-charset": lambda h: h._send(
        200,
        '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир</p></body></html>'.encode(
            "cp1251"
        ),
    ),
    "/http-equiv": lambda h: h._send(
        200,
        '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>ワクチンは安全です</p>'.encode(
            "shift_jis"
        ),
    ),
    "/detected": _cyrillic("text/html"),
    "/unknown-charset": lambda h: h._send(
        200, "<p>Olá, café</p>".encode(), "text/html; charset=x-no-such-charset"
    ),
    "/gzip": lambda h: h._send(200, gzip.compress(_HTML_PAGE), headers={"Content-Encoding": "gzip"}),
    "/deflate-raw": lambda h: h._send(
        200, zlib.compress(_HTML_PAGE)[2:-4], headers={"Content-Encoding": "deflate"}
    ),
    "/gzip-bomb": lambda h: h._send(200, _BOMB, headers={"Content-Encoding": "gzip"}),
    "/big-declared": lambda h: h._send(200, b"a" * (2 * LIMIT)),
    "/big-unannounced": _Handler._big_unannounced,
    "/drip": _Handler._drip,
    "/status-500": lambda h: h._send(500, b"boom"),
    "/etag": lambda h: (
        h._send(304, b"", length=False)
        if h.headers.get("If-None-Match") == '"v1"'
        else h._send(200, _HTML_PAGE, headers={"ETag": '"v1"'})
    ),
    "/relative-redirect": lambda h: h._send(301, b"", location="page"),
    "/to-loopback-ip": lambda h: h._send(302, b"", location=f"{h._origin()}/page"),
    "/to-ftp": lambda h: h._send(302, b"", location="ftp://files.example.org/secret"),
}


@pytest.fixture(scope="module")
def ingest_server() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.paths, server.hosts = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def ingest_base(ingest_server: _Server) -> str:
    ingest_server.paths.clear()
    ingest_server.hosts.clear()
    return f"http://127.0.0.1:{ingest_server.server_port}"


def _local_fetcher(**options: object) -> SafeFetcher:
    settings: dict[str, object] = {"allowlist": ["127.0.0.1"], "max_bytes": LIMIT, "total_timeout": 5.0}
    return SafeFetcher(**{**settings, **options})  # type: ignore[arg-type]


# --- success and decoding ----------------------------------------------------------------------------


def test_fetch_returns_decoded_page_when_host_is_allowlisted(ingest_base: str) -> None:
    result = _local_fetcher().fetch(f"{ingest_base}/page")
    assert result.status == 200
    assert result.final_url == f"{ingest_base}/page"
    assert result.content_type == "text/html"
    assert result.encoding == "utf-8"
    assert "small article about nothing" in result.text
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.redirects == ()


@pytest.mark.parametrize(
    ("path", "expected_text", "expected_encoding"),
    [
        ("/header-charset-wins", "café", "cp1252"),  # ISO-8859-1 is decoded as windows-1252, as browsers do
        ("/meta-charset", "Привет, мир", "cp1251"),
        ("/http-equiv", "ワクチンは安全です", "shift_jis"),
        ("/detected", "Министерство здравоохранения", "cp1251"),
        ("/unknown-charset", "Olá, café", "utf-8"),
    ],
)
def test_fetch_decodes_charset_from_header_then_meta_then_detection(
    ingest_base: str, path: str, expected_text: str, expected_encoding: str
) -> None:
    result = _local_fetcher().fetch(ingest_base + path)
    assert expected_text in result.text
    assert result.encoding == expected_encoding


@pytest.mark.parametrize("path", ["/gzip", "/deflate-raw"])
def test_fetch_inflates_compressed_bodies(ingest_base: str, path: str) -> None:
    assert "small article about nothing" in _local_fetcher().fetch(ingest_base + path).text


# --- redirects ---------------------------------------------------------------------------------------


def test_fetch_follows_redirects_and_records_each_hop(ingest_base: str) -> None:
    result = _local_fetcher(max_redirects=3).fetch(f"{ingest_base}/redirect/2")
    assert result.final_url == f"{ingest_base}/page"
    assert result.redirects == tuple(f"{ingest_base}/redirect/{n}" for n in (2, 1, 0))


def test_fetch_resolves_relative_redirect_locations(ingest_base: str) -> None:
    assert _local_fetcher().fetch(f"{ingest_base}/relative-redirect").final_url == f"{ingest_base}/page"


def test_fetch_raises_too_many_redirects_past_the_limit(ingest_base: str) -> None:
    with pytest.raises(TooManyRedirectsError, match="more than 2 times"):
        _local_fetcher(max_redirects=2).fetch(f"{ingest_base}/redirect/5")


def test_fetch_rechecks_the_address_of_every_redirect_hop(ingest_server: _Server, ingest_base: str) -> None:
    # The first hop's host is allowed by name ("localhost"), the redirect target 127.0.0.1 is not:
    # the same server, but the second hop must be refused on its own merits.
    fetcher = SafeFetcher(allowlist=["localhost"], total_timeout=5.0)
    with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1 is a loopback address"):
        fetcher.fetch(f"http://localhost:{ingest_server.server_port}/to-loopback-ip")
    assert ingest_server.paths == ["/to-loopback-ip"]


def test_fetch_refuses_redirect_to_a_non_http_scheme(ingest_base: str) -> None:
    with pytest.raises(UnsupportedSchemeError, match="redirected from"):
        _local_fetcher().fetch(f"{ingest_base}/to-ftp")


# --- size and time limits ----------------------------------------------------------------------------


def test_fetch_stops_a_gzip_bomb_by_counting_decoded_bytes(ingest_base: str) -> None:
    assert len(_BOMB) < LIMIT  # small on the wire: only the decoded size can catch it
    with pytest.raises(ResponseTooLargeError, match="once decompressed"):
        _local_fetcher().fetch(f"{ingest_base}/gzip-bomb")


@pytest.mark.parametrize("path", ["/big-declared", "/big-unannounced"])
def test_fetch_refuses_a_body_over_max_bytes(ingest_base: str, path: str) -> None:
    with pytest.raises(ResponseTooLargeError):
        _local_fetcher().fetch(ingest_base + path)


def test_fetch_enforces_the_whole_download_deadline_on_a_slow_drip(ingest_base: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError):
        _local_fetcher(total_timeout=0.8).fetch(f"{ingest_base}/drip")
    assert time.monotonic() - started < 2.0


def test_fetch_times_out_when_the_server_never_answers() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never reads or writes
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError):
            _local_fetcher(total_timeout=0.8).fetch(url)
    assert time.monotonic() - started < 2.0


def test_fetch_raises_http_status_error_for_error_statuses(ingest_base: str) -> None:
    with pytest.raises(HTTPStatusError, match="500") as raised:
        _local_fetcher().fetch(f"{ingest_base}/status-500")
    assert raised.value.status == 500


def test_fetch_sends_extra_headers_and_returns_a_304_for_a_conditional_get(ingest_base: str) -> None:
    fetcher = _local_fetcher()
    first = fetcher.fetch(f"{ingest_base}/etag")
    assert first.headers["etag"] == '"v1"'
    again = fetcher.fetch(f"{ingest_base}/etag", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status, again.text) == (304, "")


def test_fetch_refuses_media_types_it_cannot_read_before_reading_the_body(ingest_base: str) -> None:
    with pytest.raises(UnsupportedFormatError, match="image/png"):
        _local_fetcher().fetch(f"{ingest_base}/image")


# --- refusals, without any traffic ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/file",
        "file:///etc/passwd",
        "gopher://example.org/",
        "javascript:alert(1)",
        "example.org",
    ],
)
def test_fetch_refuses_non_http_schemes(url: str, ingest_network_audit: list[tuple[str, object]]) -> None:
    with pytest.raises(UnsupportedSchemeError):
        SafeFetcher().fetch(url)
    assert ingest_network_audit == []


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("[::1]", "loopback"),
        ("[::]", "unspecified"),
        ("[fe80::1]", "link-local"),
        ("[fd00:ec2::254]", "cloud metadata"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:169.254.169.254]", "cloud metadata"),
        ("[64:ff9b::a00:1]", "private"),  # NAT64 route to 10.0.0.1
        ("[2002:a9fe:a9fe::]", "cloud metadata"),  # 6to4 route to 169.254.169.254
        ("metadata.google.internal", "cloud metadata host"),
        ("localhost", "loopback host name"),
    ],
)
def test_fetch_refuses_blocked_hosts_before_any_connection_or_lookup(
    ingest_server: _Server, host: str, reason: str, ingest_network_audit: list[tuple[str, object]]
) -> None:
    with pytest.raises(BlockedAddressError, match=reason):
        SafeFetcher().fetch(f"http://{host}:{ingest_server.server_port}/page")
    assert ingest_network_audit == []


def test_fetch_checks_the_resolved_address_inside_the_connection(
    ingest_server: _Server, ingest_base: str, ingest_network_audit: list[tuple[str, object]]
) -> None:
    # A public-looking name whose DNS answer is loopback (a rebinding attack's second answer).
    fetcher = SafeFetcher(resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(BlockedAddressError, match=r"news\.example resolves to 127\.0\.0\.1"):
        fetcher.fetch(f"http://news.example:{ingest_server.server_port}/page")
    assert [event for event, _ in ingest_network_audit if event == "socket.connect"] == []
    assert ingest_server.paths == []


def test_fetch_refuses_a_host_when_any_resolved_address_is_blocked(
    ingest_network_audit: list[tuple[str, object]],
) -> None:
    fetcher = SafeFetcher(resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(BlockedAddressError, match=r"10\.0\.0\.7"):
        fetcher.fetch("http://mixed.example/")
    assert ingest_network_audit == []


def test_fetch_connects_to_the_checked_address_and_keeps_the_host_header(ingest_server: _Server) -> None:
    fetcher = SafeFetcher(allowlist=["news.example"], resolver=lambda host, port: ["127.0.0.1"])
    result = fetcher.fetch(f"http://news.example:{ingest_server.server_port}/echo-host")
    assert f"Host was news.example:{ingest_server.server_port}" in result.text


@pytest.fixture(scope="module")
def ingest_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_Server, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = _Server(("127.0.0.1", 0), _Handler)
    server.paths, server.hosts = [], []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, cert
    server.shutdown()
    server.server_close()


def test_fetch_over_tls_verifies_the_certificate_for_the_host_name_not_the_pinned_ip(
    ingest_tls_server: tuple[_Server, Path],
) -> None:
    server, cert = ingest_tls_server
    port = server.server_port
    pinned = {"resolver": lambda host, port: ["127.0.0.1"], "ca_bundle": str(cert)}
    result = SafeFetcher(allowlist=["news.example"], **pinned).fetch(f"https://news.example:{port}/echo-host")  # type: ignore[arg-type]
    assert f"Host was news.example:{port}" in result.text
    with pytest.raises(FetchError, match="certificate"):
        SafeFetcher(allowlist=["other.example"], **pinned).fetch(f"https://other.example:{port}/page")  # type: ignore[arg-type]


# --- configuration and the Document path --------------------------------------------------------------


def test_safe_fetcher_from_settings_reads_the_fetch_settings() -> None:
    settings = Settings(
        fetch_allowlist="127.0.0.1, intranet.example", fetch_max_bytes=1234, fetch_max_redirects=1
    )
    fetcher = SafeFetcher.from_settings(settings)
    assert fetcher.max_bytes == 1234
    assert fetcher.max_redirects == 1
    assert fetcher.policy.host_allowed("intranet.example")
    assert not fetcher.policy.host_allowed("other.example")


def test_address_policy_rejects_an_allowlist_entry_that_is_not_a_host_or_network() -> None:
    with pytest.raises(ValueError, match="neither a host name nor an IP"):
        AddressPolicy.from_allowlist(["http://example.org/"])


def test_address_policy_allows_a_cidr_and_subdomains() -> None:
    policy = AddressPolicy.from_allowlist(["10.1.0.0/16", ".corp.example"])
    policy.check_host("10.1.2.3")
    policy.check_host("[::ffff:10.1.2.3]")
    policy.check_addresses("wiki.corp.example", ["10.9.9.9"])
    with pytest.raises(BlockedAddressError):
        policy.check_host("10.2.0.1")


def test_safe_fetcher_rejects_invalid_limits() -> None:
    with pytest.raises(ValueError, match="total_timeout"):
        SafeFetcher(total_timeout=0)


def test_fetch_raises_input_error_for_a_url_without_host() -> None:
    with pytest.raises(InputError):
        SafeFetcher().fetch("http:///page")


def test_document_from_url_extracts_html_and_records_the_final_url(ingest_base: str) -> None:
    document = document_from_url(f"{ingest_base}/redirect/0", _local_fetcher())
    assert document.kind == "url"
    assert document.source_url == f"{ingest_base}/page"
    assert "small article about nothing" in document.text


def test_ingest_detects_a_url_and_reads_plain_text_pages(ingest_base: str) -> None:
    document = ingest(f"  {ingest_base}/plain \n", fetcher=_local_fetcher())
    assert document.kind == "url"
    assert document.text == "Plain text: the moon is made of cheese."


def test_ingest_refuses_a_local_url_with_the_default_fetcher(ingest_base: str) -> None:
    with pytest.raises(BlockedAddressError):
        ingest(f"{ingest_base}/page")
