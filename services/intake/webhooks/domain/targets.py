"""The SSRF guard: a webhook may only point at an http(s) URL whose host the operator allowed
(WEBHOOK_ALLOWED_HOSTS: host names, `*.domain` suffixes, IP addresses and CIDR networks; loopback only by
default). A host matches only as written: an IP address in another spelling (`2130706433`, `127.1`) is a
host name no entry names, so it is refused, although a resolver would take it for 127.0.0.1."""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import InvalidRequestError

DEFAULT_ALLOWED_HOSTS = "localhost,127.0.0.0/8,::1"
MAX_URL_LENGTH = 2048

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AllowedHosts:
    names: frozenset[str]
    suffixes: tuple[str, ...]  # ".example.org" for an entry "*.example.org"
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, raw: str) -> "AllowedHosts":
        names: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for entry in filter(None, (part.strip().lower().rstrip(".") for part in raw.split(","))):
            if entry.startswith("*."):
                suffixes.append(entry[1:])
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(entry)
        return cls(frozenset(names), tuple(suffixes), tuple(networks))

    def allows(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.names or any(
                host.endswith(suffix) and len(host) > len(suffix) for suffix in self.suffixes
            )
        return any(address in network for network in self.networks)


class TargetRefusedError(InvalidRequestError):
    """The URL may not be a webhook target; the message is the reason, without the URL."""

    def __init__(self, reason: str) -> None:
        super().__init__("url", reason)


def check_target(url: str, allowed: AllowedHosts) -> None:
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefusedError(f"at most {MAX_URL_LENGTH} characters")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise TargetRefusedError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefusedError("not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise TargetRefusedError("the scheme must be http or https")
    if parts.username is not None or parts.password is not None:
        raise TargetRefusedError("credentials in the URL are not accepted; verify the signature instead")
    host = parts.hostname
    if not host:
        raise TargetRefusedError("the URL has no host")
    if port == 0:
        raise TargetRefusedError("port 0 is not a port")
    if parts.fragment:
        raise TargetRefusedError("a fragment is never sent; remove it")
    if not allowed.allows(host):
        raise TargetRefusedError("this host is not allowed (WEBHOOK_ALLOWED_HOSTS)")
