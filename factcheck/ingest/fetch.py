"""Fetch a URL someone gave us without letting it reach into our own network (SSRF).

A user-supplied URL is hostile until shown otherwise: it may point at 127.0.0.1, at the
cloud metadata service, at a host whose DNS answer changes between our check and our
connection (DNS rebinding), at a 10 GB file or a gzip bomb, or at a server that drips
one byte a second. `SafeFetcher` answers each of these:

- only http and https, re-checked on every redirect hop, which it follows itself up to
  a limit;
- a host name or IP literal is refused before any socket is opened when it is blocked
  by name (metadata host names) or by address (private, loopback, link-local, reserved,
  multicast, unspecified, metadata; IPv4 and IPv6, including IPv4 embedded in IPv6);
- a name is resolved inside the connection, every answer is checked, and the socket
  connects to the address that was checked, never to a second lookup. The request keeps
  the original Host header, and TLS keeps the host name for SNI and certificate checks;
- a connect timeout, plus one deadline for the whole fetch, redirects included, enforced
  by a watchdog that shuts the socket down so a slow drip cannot outlast it;
- the body is streamed and aborted past `max_bytes`, counted on the wire and again after
  decompression, which we do ourselves in bounded steps, so a gzip bomb never expands
  beyond the limit in memory;
- no proxies, .netrc or cookies from the environment (`trust_env = False`).

Residual risks: the DNS lookup itself is not bounded by the deadline (getaddrinfo cannot
be interrupted), and an allow-listed host name is trusted whatever it resolves to.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING, ClassVar, Protocol
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

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
from factcheck.ingest.text import decode_bytes

if TYPE_CHECKING:
    from factcheck.settings import Settings

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
"""Turns (host, port) into IP address strings; the default asks the system resolver."""

DEFAULT_USER_AGENT = "factcheck/0.1 (+https://github.com/factcheck)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
WEB_PAGE_TYPES = HTML_TYPES | {"text/plain"}
"""Media types `fetch` accepts by default; anything else is refused before its body is read."""

_SCHEMES = frozenset({"http", "https"})
_MAX_URL_CHARS = 8192
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_KEPT_HEADERS = ("content-type", "content-language", "last-modified", "etag", "date", "cache-control")
_CHUNK_BYTES = 64 * 1024
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_HOST_PATTERN = re.compile(r"\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")

METADATA_HOSTNAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
METADATA_ADDRESSES = frozenset(
    ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::253",  # AWS VPC DNS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")
_ADDRESS_CLASSES = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)


@dataclass(frozen=True)
class FetchResult:
    """A fetched page: where the redirects ended, what came back, decoded to text.

    `headers` keeps a few response headers (content-type, content-language,
    last-modified, etag, date, cache-control), lowercased; `redirects` lists the URLs
    that redirected, in order, before `final_url`.
    """

    final_url: str
    status: int
    content_type: str
    text: str
    encoding: str
    headers: Mapping[str, str] = field(default_factory=dict)
    redirects: tuple[str, ...] = ()


class Fetcher(Protocol):
    """Anything that turns a URL into a FetchResult; SafeFetcher is the one we ship."""

    def fetch(self, url: str) -> FetchResult: ...


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a host, in its order, without duplicates."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def blocked_reason(ip: IPAddress) -> str | None:
    """Why an address must not be fetched ("loopback address", ...), or None if it is public."""
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return blocked_reason(ip.ipv4_mapped)
        for embedded in _embedded_ipv4(ip):
            reason = blocked_reason(embedded)
            if reason:
                return f"{reason} ({embedded} embedded in IPv6)"
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    for attribute, kind in _ADDRESS_CLASSES:
        if getattr(ip, attribute):
            return f"{kind} address"
    return None if ip.is_global else "non-public address"


@dataclass(frozen=True)
class AddressPolicy:
    """Which hosts and addresses a fetch may reach: public ones, plus the allow-list.

    The allow-list holds host names (exact, or `.example.org` for its subdomains too)
    and IP addresses or CIDR networks. An allowed host name is trusted whatever it
    resolves to; an allowed network only admits addresses inside it.

    Example:
        >>> policy = AddressPolicy.from_allowlist(["127.0.0.1", "intranet.example"])
        >>> policy.check_host("127.0.0.1")  # allowed; 10.0.0.1 would raise BlockedAddressError
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_allowlist(cls, entries: Iterable[str]) -> AddressPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            item = _normalize_host(entry)
            if not item:
                continue
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError:
                if not _HOST_PATTERN.fullmatch(item):
                    raise ValueError(
                        f"allowlist entry {entry!r} is neither a host name nor an IP address or CIDR"
                    ) from None
                hosts.add(item.rstrip("."))
        return cls(allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks))

    def host_allowed(self, host: str) -> bool:
        name = _normalize_host(host)
        return any(
            name == entry or (entry.startswith(".") and name.endswith(entry)) for entry in self.allowed_hosts
        )

    def check_host(self, host: str) -> None:
        """Refuse a host by its name or literal address alone, before any DNS lookup or socket."""
        if self.host_allowed(host):
            return
        name = _normalize_host(host)
        literal = _literal_ip(name)
        if literal is not None:
            self.check_address(host, literal)
        elif name in METADATA_HOSTNAMES:
            raise BlockedAddressError(f"{host} is a cloud metadata host; refusing to fetch it")
        elif name == "localhost" or name.endswith(".localhost"):
            raise BlockedAddressError(f"{host} is a loopback host name; refusing to fetch it")

    def check_addresses(self, host: str, addresses: Sequence[str]) -> None:
        """Refuse a host if any address it resolved to is blocked; mixed answers are a rebinding trick."""
        if self.host_allowed(host):
            return
        for address in addresses:
            self.check_address(host, ip_address(address))

    def check_address(self, host: str, ip: IPAddress) -> None:
        unmapped = ip.ipv4_mapped if isinstance(ip, IPv6Address) and ip.ipv4_mapped else ip
        if any(unmapped in network for network in self.allowed_networks):
            return
        reason = blocked_reason(ip)
        if reason is None:
            return
        literal = _literal_ip(_normalize_host(host)) == ip
        subject = _normalize_host(host) if literal else f"{host} resolves to {ip}, which"
        article = "an" if reason[0] in "aeiou" else "a"
        raise BlockedAddressError(
            f"{subject} is {article} {reason}; refusing to connect "
            "(FACTCHECK_FETCH_ALLOWLIST can allow it for a trusted deployment)"
        )


class SafeFetcher:
    """Fetches web pages with SSRF, size, time and redirect limits (see the module docstring).

    Parameters
    ----------
    allowlist : iterable of str
        Host names, IP addresses or CIDRs that may be fetched although private or
        loopback. Empty by default; tests pass `["127.0.0.1"]` for their local server.
    connect_timeout : float
        Seconds to open one TCP connection.
    total_timeout : float
        Seconds for the whole fetch: every redirect hop, headers and body.
    max_bytes : int
        Largest body accepted, compressed on the wire and again once decompressed.
    max_redirects : int
        Redirect hops followed before giving up.
    user_agent : str
    resolver : callable (host, port) -> list of IP strings
        Defaults to the system resolver; pass one for split-horizon DNS or for tests.
    ca_bundle : str, optional
        A CA bundle to verify TLS against instead of certifi's (a private CA, tests).

    The fetcher holds no connection between calls, so one instance can serve many threads.

    Example:
        >>> fetcher = SafeFetcher(max_bytes=2_000_000)
        >>> fetcher.fetch("http://127.0.0.1/")
        Traceback (most recent call last):
        factcheck.errors.BlockedAddressError: 127.0.0.1 is a loopback address; refusing to connect ...
    """

    def __init__(
        self,
        *,
        allowlist: Iterable[str] = (),
        connect_timeout: float = 5.0,
        total_timeout: float = 20.0,
        max_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        resolver: Resolver = system_resolver,
        ca_bundle: str | None = None,
    ) -> None:
        for name, value in (("connect_timeout", connect_timeout), ("total_timeout", total_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes!r}")
        if max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, got {max_redirects!r}")
        self.policy = AddressPolicy.from_allowlist(allowlist)
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self.resolver = resolver
        self.ca_bundle = ca_bundle

    @classmethod
    def from_settings(cls, settings: Settings) -> SafeFetcher:
        return cls(
            allowlist=settings.fetch_allowlist_entries,
            connect_timeout=settings.fetch_connect_timeout_s,
            total_timeout=settings.fetch_total_timeout_s,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            user_agent=settings.fetch_user_agent,
        )

    def fetch(
        self, url: str, *, accept: Collection[str] = WEB_PAGE_TYPES, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """GET `url`, following redirects, and return the decoded body.

        `headers` are added to every request of the chain, e.g. If-None-Match for a
        conditional GET; a 304 answer comes back as a FetchResult with status 304 and
        empty text.

        Raises a FetchError subclass for each way the fetch can fail (blocked address,
        scheme, timeout, size, redirects, error status), InputError for a malformed
        URL or a binary body, and UnsupportedFormatError for a media type outside `accept`.
        """
        attempt = _Attempt(
            policy=self.policy,
            resolver=self.resolver,
            connect_timeout=self.connect_timeout,
            total_timeout=self.total_timeout,
            deadline=time.monotonic() + self.total_timeout,
        )
        token = _CURRENT_ATTEMPT.set(attempt)
        watchdog = threading.Timer(self.total_timeout, attempt.expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            with self._session() as session:
                session.headers.update(headers or {})
                return self._follow(session, attempt, url, accept)
        finally:
            watchdog.cancel()
            _CURRENT_ATTEMPT.reset(token)

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        if self.ca_bundle:
            session.verify = self.ca_bundle
        adapter = _GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {
                "User-Agent": self.user_agent,
                "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
                "Accept-Encoding": "gzip, deflate",
            }
        )
        return session

    def _follow(
        self, session: requests.Session, attempt: _Attempt, url: str, accept: Collection[str]
    ) -> FetchResult:
        redirects: list[str] = []
        target = url
        while True:
            request = self._prepare(session, target, redirected_from=redirects[-1] if redirects else None)
            response = self._send(session, request, attempt)
            location = (
                response.headers.get("location") if response.status_code in _REDIRECT_STATUSES else None
            )
            if not location:
                break
            response.close()
            if len(redirects) >= self.max_redirects:
                raise TooManyRedirectsError(f"{url} redirected more than {self.max_redirects} times")
            redirects.append(str(request.url))
            target = urljoin(str(request.url), location)
        final_url = str(request.url)
        with response:
            if response.status_code >= 400:
                raise HTTPStatusError(
                    f"{final_url} answered {response.status_code} {response.reason}",
                    status=response.status_code,
                )
            media_type, charset = _parse_content_type(response.headers.get("content-type", ""))
            if media_type and media_type not in accept:
                raise UnsupportedFormatError(
                    f"{final_url} is {media_type}, not one of {', '.join(sorted(accept))}"
                )
            body = self._read_body(response, attempt, final_url)
        text, encoding = decode_bytes(body, declared=charset, html=media_type in HTML_TYPES or not media_type)
        return FetchResult(
            final_url=final_url,
            status=response.status_code,
            content_type=media_type,
            text=text,
            encoding=encoding,
            headers={name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers},
            redirects=tuple(redirects),
        )

    def _prepare(
        self, session: requests.Session, url: str, *, redirected_from: str | None
    ) -> requests.PreparedRequest:
        context = f" (redirected from {redirected_from})" if redirected_from else ""
        if len(url) > _MAX_URL_CHARS:
            raise InputError(f"URL is {len(url):,} characters long (limit {_MAX_URL_CHARS:,}){context}")
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme not in _SCHEMES:
            raise UnsupportedSchemeError(
                f"only http and https URLs are fetched, not {scheme or 'a URL without a scheme'}: {url}{context}"
            )
        try:
            request = session.prepare_request(requests.Request("GET", url.strip()))
            host = urllib3.util.parse_url(request.url).host
        except (
            requests.exceptions.RequestException,
            urllib3.exceptions.LocationParseError,
            ValueError,
        ) as exc:
            raise InputError(f"not a valid URL: {url!r}{context}") from exc
        if not host:
            raise InputError(f"URL has no host: {url!r}{context}")
        self.policy.check_host(host)
        return request

    def _send(
        self, session: requests.Session, request: requests.PreparedRequest, attempt: _Attempt
    ) -> requests.Response:
        remaining = attempt.remaining()
        if remaining <= 0:
            raise attempt.timeout_error(str(request.url))
        try:
            return session.send(
                request,
                stream=True,
                allow_redirects=False,
                timeout=(self.connect_timeout, remaining),
                proxies={},
            )
        except requests.exceptions.RequestException as exc:
            if attempt.expired or isinstance(exc, requests.exceptions.Timeout):
                raise attempt.timeout_error(str(request.url)) from exc
            raise FetchError(f"could not fetch {request.url}: {_root_cause(exc)}") from exc

    def _read_body(self, response: requests.Response, attempt: _Attempt, url: str) -> bytes:
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise ResponseTooLargeError(f"{url} is {int(declared):,} bytes; the limit is {self.max_bytes:,}")
        decoder = _BodyDecoder.for_content_encoding(response.headers.get("content-encoding", ""), url)
        chunks: list[bytes] = []
        received = decoded = 0
        try:
            while chunk := response.raw.read1(_CHUNK_BYTES, decode_content=False):
                received += len(chunk)
                data = decoder.decode(chunk, max_length=self.max_bytes - decoded)
                decoded += len(data)
                if received > self.max_bytes or decoded > self.max_bytes:
                    raise ResponseTooLargeError(
                        f"{url} sent more than {self.max_bytes:,} bytes"
                        + (" once decompressed" if decoded > received else "")
                    )
                chunks.append(data)
        except zlib.error as exc:
            raise FetchError(f"{url} sent a corrupt compressed body: {exc}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if attempt.expired or isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
                raise attempt.timeout_error(url) from exc
            raise FetchError(f"the connection to {url} broke while reading the body: {exc}") from exc
        if attempt.expired:  # the watchdog's shutdown can look like a clean end of body
            raise attempt.timeout_error(url)
        return b"".join(chunks)


class _BodyDecoder:
    """Inflates a gzip or deflate body in bounded steps, so a bomb stops at the size limit."""

    _WBITS: ClassVar[dict[str, int]] = {
        "gzip": 16 + zlib.MAX_WBITS,
        "x-gzip": 16 + zlib.MAX_WBITS,
        "deflate": zlib.MAX_WBITS,
    }

    def __init__(self, coding: str) -> None:
        self._wbits = self._WBITS.get(coding)
        self._inflater = zlib.decompressobj(self._wbits) if self._wbits is not None else None
        self._started = False
        self._members = 0

    @classmethod
    def for_content_encoding(cls, header: str, url: str) -> _BodyDecoder:
        codings = [coding.strip().lower() for coding in header.split(",")]
        codings = [coding for coding in codings if coding and coding != "identity"]
        if not codings:
            return cls("")
        if len(codings) > 1 or codings[0] not in cls._WBITS:
            raise FetchError(f"{url} used Content-Encoding {header!r}; only gzip and deflate are supported")
        return cls(codings[0])

    def decode(self, data: bytes, *, max_length: int) -> bytes:
        """Inflate `data`, producing at most `max_length + 1` bytes (one more means too large)."""
        if self._inflater is None or self._wbits is None:
            return data
        output = bytearray()
        while data and len(output) <= max_length:
            if self._inflater.eof:  # a gzip body may hold several members
                self._inflater = zlib.decompressobj(self._wbits)
                self._members += 1
            try:
                output += self._inflater.decompress(data, max_length + 1 - len(output))
            except zlib.error:
                if self._wbits == zlib.MAX_WBITS and not self._started:
                    # Some servers send raw deflate (no zlib header) for "deflate"; browsers accept it.
                    self._wbits = -zlib.MAX_WBITS
                    self._inflater = zlib.decompressobj(self._wbits)
                    continue
                if self._members:  # bytes after the last gzip member: ignored, as browsers do
                    return bytes(output)
                raise
            self._started = True
            data = self._inflater.unused_data if self._inflater.eof else self._inflater.unconsumed_tail
        return bytes(output)


@dataclass
class _Attempt:
    """One call to `fetch`: its deadline and the connections the watchdog may have to cut."""

    policy: AddressPolicy
    resolver: Resolver
    connect_timeout: float
    total_timeout: float
    deadline: float
    expired: bool = False
    _sockets: list[socket.socket] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def timeout_error(self, url: str) -> FetchTimeoutError:
        return FetchTimeoutError(f"{url} did not finish within {self.total_timeout:g} s")

    def open_socket(
        self, host: str, port: int, options: Sequence[tuple[int, int, int]] | None
    ) -> socket.socket:
        """Resolve, check every address, and connect to a checked one (never a second lookup)."""
        self.policy.check_host(host)
        literal = _literal_ip(_normalize_host(host))
        addresses = [str(literal)] if literal is not None else list(self.resolver(host, port))
        if not addresses:
            raise FetchError(f"{host} has no address")
        self.policy.check_addresses(host, addresses)
        failure: OSError | None = None
        for address in addresses:
            remaining = self.remaining()
            if remaining <= 0:
                break
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                for option in options or ():
                    sock.setsockopt(*option)
                sock.settimeout(min(self.connect_timeout, remaining))
                sock.connect((address, port))
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            return sock
        if failure is None or isinstance(failure, TimeoutError):
            raise FetchTimeoutError(f"connecting to {host}:{port} took longer than {self.connect_timeout} s")
        raise FetchError(f"cannot connect to {host}:{port}: {failure.strerror or failure}")

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shut(sock)

    def expire(self) -> None:
        """Called by the watchdog at the deadline: cut every socket so blocked reads return."""
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # The plain socket method even on an SSLSocket: SSLSocket.shutdown would tear down TLS
        # state under the reading thread. Shutting the descriptor makes that thread's recv return;
        # it works after http.client has "closed" the socket too, as its response file keeps the
        # descriptor open.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


_CURRENT_ATTEMPT: contextvars.ContextVar[_Attempt | None] = contextvars.ContextVar(
    "factcheck_fetch_attempt", default=None
)


class _GuardedConnectionMixin:
    """Replaces urllib3's resolve-and-connect with the checked version, and registers the socket."""

    host: str
    port: int
    socket_options: Sequence[tuple[int, int, int]] | None
    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        attempt = _current_attempt()
        sock = attempt.open_socket(self.host, self.port, self.socket_options)
        attempt.track(sock)  # covers the TLS handshake
        return sock

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None:
            _current_attempt().track(self.sock)  # the TLS socket, which took over the descriptor


def _current_attempt() -> _Attempt:
    attempt = _CURRENT_ATTEMPT.get()
    if attempt is None:
        raise FetchError("guarded connections are only opened by SafeFetcher.fetch")
    return attempt


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: object
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPConnectionPool,
            "https": _GuardedHTTPSConnectionPool,
        }


def _normalize_host(host: str) -> str:
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".") if host else ""


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ip_address(host)
    except ValueError:
        return None


def _embedded_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """IPv4 addresses an IPv6 address routes to: 6to4, Teredo and NAT64 (RFC 6052)."""
    found = [ip.sixtofour] if ip.sixtofour is not None else []
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media_type, _, parameters = value.partition(";")
    charset = _CHARSET_PARAM.search(parameters)
    return media_type.strip().lower(), charset.group(1) if charset else None


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error chain, without pool and retry wrappers."""
    for _ in range(10):
        inner = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException) or inner is exc:
            break
        exc = inner
    return str(exc)
