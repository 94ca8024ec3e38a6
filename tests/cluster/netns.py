"""Hosts made of Linux network namespaces, each with a real sshd, for the multi-host tests.

Each namespace gets a veth pair on a bridge and an address in 198.18.0.0/15 (reserved for
network benchmarks, RFC 2544); this machine's side of the bridge is 198.18.0.1. The file system
is shared, which stands in for the shared mount the warehouse needs. Needs root, iproute2 and
Debian's openssh-server (``make test`` installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BRIDGE = "sgbr0"
CLIENT = "198.18.0.1"
PREFIX = 24


def _ip(*args: str, ns: str | None = None, check: bool = True) -> None:
    argv = ["ip", *args] if ns is None else ["ip", "netns", "exec", ns, "ip", *args]
    subprocess.run(argv, check=check, capture_output=True)


def available() -> str | None:
    """Why namespaces cannot be made here, or ``None``."""
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    for tool in ("ip", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path("/usr/sbin/sshd").exists():
        return "sshd is not installed (Debian's openssh-server; `make test` installs it)"
    return None


@dataclass
class Hosts:
    """Namespaced hosts with sshd, reachable as root with ``key``."""

    root: Path
    names: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    sshd: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def key(self) -> Path:
        return self.root / "id_ed25519"

    def start(self, count: int, first: int = 11) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)],
                       check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(self.root / "host_key")], check=True)
        (self.root / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text())
        Path("/run/sshd").mkdir(exist_ok=True)
        _ip("link", "del", BRIDGE, check=False)
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{CLIENT}/{PREFIX}", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        for i in range(count):
            self.add(f"sgh{os.getpid() % 1000}-{i}", f"198.18.0.{first + i}")

    def add(self, name: str, address: str) -> None:
        veth, peer = f"sgv{len(self.names)}-{os.getpid() % 1000}", f"sgp{len(self.names)}"
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        _ip("netns", "add", name)
        self.names.append(name)
        _ip("link", "add", veth, "type", "veth", "peer", "name", peer)
        _ip("link", "set", peer, "netns", name)
        _ip("link", "set", veth, "master", BRIDGE)
        _ip("link", "set", veth, "up")
        _ip("addr", "add", f"{address}/{PREFIX}", "dev", peer, ns=name)
        _ip("link", "set", peer, "up", ns=name)
        _ip("link", "set", "lo", "up", ns=name)
        self.addresses.append(address)
        config = self.root / f"sshd-{address}.conf"
        config.write_text(
            f"ListenAddress {address}\nPort 22\nHostKey {self.root / 'host_key'}\n"
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}\nPermitRootLogin "
            "prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"StrictModes no\nUsePAM no\nPidFile {self.root / f'sshd-{address}.pid'}\n"
            "AcceptEnv LANG\nMaxStartups 50\n")
        proc = subprocess.Popen(["ip", "netns", "exec", name, "/usr/sbin/sshd", "-D", "-e",
                                 "-f", str(config)], stderr=subprocess.DEVNULL)
        self.sshd.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done = subprocess.run(["ssh", "-o", "BatchMode=yes", "-o",
                                   "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                   "-o", "LogLevel=ERROR", "-i", str(self.key),
                                   f"root@{address}", "true"], capture_output=True, check=False)
            if done.returncode == 0:
                return
            time.sleep(0.2)
        raise AssertionError(f"sshd in namespace {name} ({address}) did not answer")

    def kill_namespace_processes(self, index: int) -> None:
        """Kill every process in one namespace but its sshd (a host's processes dying)."""
        out = subprocess.run(["ip", "netns", "pids", self.names[index]], capture_output=True,
                             text=True, check=False).stdout.split()
        for pid in out:
            if int(pid) != self.sshd[index].pid:
                subprocess.run(["kill", "-9", pid], check=False)

    def stop(self) -> None:
        for name in self.names:  # whatever still runs in a namespace goes with it
            out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True,
                                 check=False).stdout.split()
            for pid in out:
                subprocess.run(["kill", "-9", pid], check=False)
        for proc in self.sshd:
            proc.wait(timeout=10)
        for name in self.names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        _ip("link", "del", BRIDGE, check=False)


def listening(hosts: Hosts, address: str, pid: int) -> list[str]:
    """The ``address:port`` pairs process ``pid`` listens on, seen inside the namespace whose
    address is ``address``."""
    name = hosts.names[hosts.addresses.index(address)]
    out = subprocess.run(["ip", "netns", "exec", name, "ss", "-ltnpH"], capture_output=True,
                         text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        if f"pid={pid}," in line and len(fields) >= 4:
            found.append(fields[3])
    return found
