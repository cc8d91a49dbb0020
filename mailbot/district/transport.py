"""Outgoing mail of several schools, each through its own school's SMTP settings.

Every outbox row carries its sender (`mail_from`, the school's help address), so one drain
of the shared outbox hands each mail to the transport of the school it is from. Schools
with the same [smtp] share one transport (one connection per drain).
"""

from __future__ import annotations

from collections.abc import Mapping

from mailbot.adapters.transport import Item, OnResult, Transport


class RoutedTransport:
    def __init__(self, by_sender: Mapping[str, Transport], fallback: Transport) -> None:
        self.by_sender = {addr.lower(): t for addr, t in by_sender.items()}
        self.fallback = fallback  # a row from an address no school has now (config changed)
        distinct = list(dict.fromkeys([*self.by_sender.values(), fallback]))
        self.transports = distinct
        self.description = "; ".join(t.description for t in distinct)

    def route(self, item: Item) -> Transport:
        return self.by_sender.get(item.mail_from.lower(), self.fallback)

    def send(self, items: list[Item], on_result: OnResult) -> None:
        """Each transport sends its own items, in the outbox's order."""
        groups: dict[int, tuple[Transport, list[Item]]] = {}
        for item in items:
            transport = self.route(item)
            groups.setdefault(id(transport), (transport, []))[1].append(item)
        for transport, batch in groups.values():
            transport.send(batch, on_result)

    def check(self) -> str:
        return "; ".join(t.check() for t in self.transports)
