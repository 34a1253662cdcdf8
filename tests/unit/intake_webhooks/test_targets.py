"""The SSRF guard: only http(s) URLs of allowed hosts; loopback only by default; an address matches only as
written."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.webhooks.domain.targets import (
    DEFAULT_ALLOWED_HOSTS,
    AllowedHosts,
    TargetRefusedError,
    check_target,
)

DEFAULT = AllowedHosts.parse(DEFAULT_ALLOWED_HOSTS)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "https://127.0.0.1/hook?x=1",
        "http://127.8.9.10:1/",
        "http://localhost:8080/receive",
        "http://LOCALHOST./receive",
        "http://[::1]:8080/hook",
    ],
)
def test_loopback_is_allowed_by_default(url: str) -> None:
    check_target(url, DEFAULT)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/hook", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1:70/", "scheme"),
        ("127.0.0.1:8080/hook", "scheme"),
        ("http:///hook", "no host"),
        ("http://169.254.169.254/latest/meta-data", "not allowed"),
        ("http://10.0.0.1/", "not allowed"),
        ("http://192.168.1.10/", "not allowed"),
        ("https://hospital.example.org/hook", "not allowed"),
        ("http://2130706433/", "not allowed"),  # 127.0.0.1 spelled as a number
        ("http://127.1/", "not allowed"),
        ("http://0x7f000001/", "not allowed"),
        ("http://localhost.evil.example/", "not allowed"),
        ("http://[::ffff:a9fe:a9fe]/", "not allowed"),  # 169.254.169.254 as IPv4-mapped IPv6
        ("http://user:pass@127.0.0.1/", "credentials"),
        ("http://127.0.0.1:99999/", "not a valid URL"),
        ("http://127.0.0.1/a b", "spaces"),
        ("http://127.0.0.1/#frag", "fragment"),
        ("http://127.0.0.1/" + "a" * 2100, "at most"),
    ],
)
def test_refused_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(TargetRefusedError, match=reason):
        check_target(url, DEFAULT)


def test_the_setting_takes_names_suffixes_addresses_and_networks() -> None:
    allowed = AllowedHosts.parse("engine.hospital.example, *.partner.example, 10.1.2.3, 192.168.50.0/24")
    for url in (
        "https://engine.hospital.example/hook",
        "https://a.b.partner.example/hook",
        "http://10.1.2.3:8443/",
        "http://192.168.50.77/",
    ):
        check_target(url, allowed)
    for url in (
        "https://partner.example/hook",  # the suffix entry names sub-domains only
        "https://xengine.hospital.example/",
        "http://10.1.2.4/",
        "http://192.168.51.1/",
        "http://127.0.0.1/",  # loopback is no longer allowed once the setting names other hosts
    ):
        with pytest.raises(TargetRefusedError):
            check_target(url, allowed)


@given(st.ip_addresses())
def test_an_address_is_allowed_by_default_exactly_when_it_is_loopback(address: object) -> None:
    host = f"[{address}]" if ":" in str(address) else str(address)
    url = f"http://{host}/hook"
    loopback = getattr(address, "is_loopback", False) and (
        getattr(address, "version", 4) == 4 or str(address) == "::1"
    )
    if loopback:
        check_target(url, DEFAULT)
    else:
        with pytest.raises(TargetRefusedError):
            check_target(url, DEFAULT)
