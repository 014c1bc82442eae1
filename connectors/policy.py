"""Where the HTTP request connector may connect: a destination allow/deny policy.

Programs choose their URLs, so without a policy any task could read a cloud
provider's instance metadata (and its credentials) through the connector.
The policy is checked at connection time, after name resolution, for every
address a host name resolves to (one denied address denies the host), and
the connection then goes to a checked address, not to a second lookup (no
DNS-rebinding window):

1. a host name on the deny list, or any resolved address in a denied
   network, is refused;
2. when the allow list is not empty, the host name must be on it, or every
   resolved address must lie in an allowed network.

Denied by default: link-local networks (169.254.0.0/16, fe80::/10, which
hold the AWS/GCP/Azure metadata address 169.254.169.254), AWS's IPv6
metadata address fd00:ec2::254, Alibaba's 100.100.100.200, and the host
names metadata.google.internal and metadata.goog. Loopback and private
networks are allowed (local services and tests); deny them in production
with FLOWMETAL_HTTP_DENY=127.0.0.0/8,10.0.0.0/8,... when they hold
something to protect.

Entries (FLOWMETAL_HTTP_DENY, FLOWMETAL_HTTP_ALLOW, comma- or space-separated):
a CIDR or address (`10.0.0.0/8`, `fd00::1`), a host name (`example.com`),
or a domain and its subdomains (`.example.com` or `*.example.com`).
FLOWMETAL_HTTP_DENY_DEFAULTS=false drops the default deny list.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flowmetal.errors import ServiceError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_DENY: tuple[str, ...] = (
    "169.254.0.0/16",
    "fe80::/10",
    "fd00:ec2::254/128",
    "100.100.100.200/32",
    "metadata.google.internal",
    "metadata.goog",
)


class PolicyDenied(Exception):
    """A destination the policy refuses; the message says which and why."""


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


@dataclass(frozen=True)
class _Rules:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()  # exact names
    domains: tuple[str, ...] = ()  # ".example.com": the name and its subdomains

    @classmethod
    def parse(cls, entries: Iterable[str]) -> _Rules:
        networks: list[Network] = []
        hosts: set[str] = set()
        domains: list[str] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = _normal_host(entry)
            if name.startswith("*."):
                name = name[1:]
            if not name or any(c in name for c in "/:@ "):
                raise ServiceError(f"not a CIDR, address or host name in an HTTP policy: {raw!r}")
            if name.startswith("."):
                domains.append(name)
            else:
                hosts.add(name)
        return cls(tuple(networks), frozenset(hosts), tuple(domains))

    def __bool__(self) -> bool:
        return bool(self.networks or self.hosts or self.domains)

    def match_host(self, host: str) -> bool:
        name = _normal_host(host)
        return name in self.hosts or any(name == d[1:] or name.endswith(d) for d in self.domains)

    def match_address(self, address: Address) -> bool:
        candidates: list[Address] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)  # ::ffff:169.254.169.254 is 169.254.169.254
        if any(a.is_unspecified for a in candidates):
            # Connecting to 0.0.0.0 or :: reaches this host: judge it as loopback.
            candidates += [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
        return any(
            a in net for a in candidates for net in self.networks if a.version == net.version
        )


def split_entries(text: str | None) -> list[str]:
    return [e for e in (text or "").replace(",", " ").split() if e]


@dataclass(frozen=True)
class DestinationPolicy:
    """Which hosts and addresses the HTTP connector may connect to (see the module docstring)."""

    deny: _Rules = field(default_factory=lambda: _Rules.parse(DEFAULT_DENY))
    allow: _Rules = field(default_factory=_Rules)

    @classmethod
    def build(
        cls, deny: Iterable[str] = (), allow: Iterable[str] = (), *, defaults: bool = True
    ) -> DestinationPolicy:
        base = list(DEFAULT_DENY) if defaults else []
        return cls(_Rules.parse([*base, *deny]), _Rules.parse(allow))

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        extra_deny: str | None = None,
        extra_allow: str | None = None,
    ) -> DestinationPolicy:
        """FLOWMETAL_HTTP_DENY / _ALLOW / _DENY_DEFAULTS, plus entries from the command line."""
        env = os.environ if env is None else env
        defaults = env.get("FLOWMETAL_HTTP_DENY_DEFAULTS", "true").strip().lower()
        return cls.build(
            [*split_entries(env.get("FLOWMETAL_HTTP_DENY")), *split_entries(extra_deny)],
            [*split_entries(env.get("FLOWMETAL_HTTP_ALLOW")), *split_entries(extra_allow)],
            defaults=defaults not in ("0", "false", "no", "off"),
        )

    def check_host(self, host: str) -> None:
        """Step 1 for the name itself, before any lookup."""
        if self.deny.match_host(host):
            raise PolicyDenied(
                f"destination {host} is denied by policy (host name on the deny list)"
            )

    def check_addresses(self, host: str, addresses: list[str]) -> None:
        """Steps 1 and 2 for every address `host` resolved to."""
        parsed: list[Address] = []
        for text in addresses:
            try:
                parsed.append(ipaddress.ip_address(text.split("%", 1)[0]))  # drop an IPv6 zone
            except ValueError as exc:
                raise PolicyDenied(
                    f"destination {host} resolved to a non-address {text!r}"
                ) from exc
        for address in parsed:
            if self.deny.match_address(address):
                raise PolicyDenied(
                    f"destination {host} ({address}) is denied by policy (address on the deny list)"
                )
        if self.allow and not self.allow.match_host(host):
            outside = [a for a in parsed if not self.allow.match_address(a)]
            if outside or not parsed:
                raise PolicyDenied(
                    f"destination {host} ({', '.join(map(str, outside))}) is denied by policy "
                    "(not on the allow list)"
                )
