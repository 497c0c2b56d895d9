"""What a process listens on, read from /proc (Linux): sampled in a thread while something starts."""

from __future__ import annotations

import ipaddress
import os
import threading
from dataclasses import dataclass

PROC_TABLES = {proto: f"/proc/net/{proto}" for proto in ("tcp", "tcp6", "udp", "udp6")}
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Socket:
    proto: str  # tcp, tcp6, udp, udp6
    address: str  # e.g. 127.0.0.1 (IPv4-mapped IPv6 addresses shown as IPv4)
    port: int

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback

    def __str__(self) -> str:
        return f"{self.proto} {self.address}:{self.port}"


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    # /proc prints IPv6 as four host-order 32-bit words
    ip = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
    return str(ip.ipv4_mapped or ip)


def _inodes(pid: int) -> set[str]:
    found = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _bound() -> dict[str, Socket]:
    """Every listening TCP and bound UDP socket of the machine, by inode (cheap: /proc/net only)."""
    found = {}
    for proto, path in PROC_TABLES.items():
        try:
            with open(path, encoding="ascii") as table:
                lines = table.read().splitlines()[1:]
        except OSError:
            continue  # no IPv6 here
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == TCP_LISTEN or proto.startswith("udp"):
                hex_addr, hex_port = local.split(":")
                found[inode] = Socket(proto, _address(hex_addr), int(hex_port, 16))
    return found


def listening(pid: int) -> set[Socket]:
    """The TCP sockets ``pid`` listens on and the UDP sockets it has bound, now."""
    mine = _inodes(pid)
    return {sock for inode, sock in _bound().items() if inode in mine}


class ListenSampler:
    """Every socket ``pid`` listened on while the ``with`` block ran, sampled every ``every`` s.

    >>> with ListenSampler(pid) as sampler:   # doctest: +SKIP
    ...     start_something()
    >>> sampler.seen, sampler.samples         # doctest: +SKIP
    """

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.pid, self.every = pid, every
        self.seen: set[Socket] = set()
        self.samples = 0
        self._owned: dict[str, bool] = {}  # inode -> whether pid holds it (asked once per inode)
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listen-sampler", daemon=True)

    def _run(self) -> None:
        while True:
            bound = _bound()
            new = [inode for inode in bound if inode not in self._owned]
            if new:  # only then look through the process's descriptors (the costly part)
                mine = _inodes(self.pid)
                self._owned.update((inode, inode in mine) for inode in new)
            self.seen |= {sock for inode, sock in bound.items() if self._owned.get(inode)}
            self.samples += 1
            self._first.set()
            if self._stop.wait(self.every):
                break

    def __enter__(self) -> ListenSampler:
        self._thread.start()
        self._first.wait(5)  # the first sample is taken before the block starts
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.seen |= listening(self.pid)
