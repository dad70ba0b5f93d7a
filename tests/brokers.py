"""A real mosquitto for tests: its own config in a temporary folder, a free loopback port, and
SIGKILL/restart on demand. No mock of the broker anywhere in the delivery tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACL_FILE = ROOT / "deploy" / "mosquitto" / "acl"
CA_SCRIPT = ROOT / "deploy" / "mosquitto" / "make-test-ca.sh"


class BrokerMissingError(RuntimeError):
    """mosquitto is not installed: apt-get install mosquitto (.ci/run does)."""


def mosquitto_binary() -> str:
    for candidate in (shutil.which("mosquitto"), "/usr/sbin/mosquitto"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrokerMissingError("mosquitto not found: install it (apt-get install mosquitto; .ci/run does)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_config(port: int, log_file: Path) -> str:
    lines = [
        "per_listener_settings false",
        f"listener {port} 127.0.0.1",
        "persistence false",  # a SIGKILL then loses everything the broker held: the hard case
        # mosquitto drops silently past its queue limits (a known trap). Sized here so that the
        # broker kills are the only loss the box's resends must make up for.
        "max_queued_messages 100000",
        "max_queued_bytes 0",
        "max_inflight_messages 20",
        f"log_dest file {log_file}",
        "log_type error",
        "log_type warning",
        "log_type notice",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # otherwise it drops to user mosquitto and cannot read our temp files
    return "\n".join(lines) + "\n"


def tls_lines(certs: Path) -> str:
    """Mutual TLS with the deploy ACL: the client certificate's CN is the username."""
    return "\n".join([
        f"cafile {certs / 'ca.crt'}",
        f"certfile {certs / 'server.crt'}",
        f"keyfile {certs / 'server.key'}",
        "require_certificate true",
        "use_identity_as_username true",
        f"acl_file {ACL_FILE}",
    ]) + "\n"


def make_test_ca(out: Path, *boxes: str) -> Path:
    subprocess.run(["bash", str(CA_SCRIPT), str(out), "localhost", *boxes], check=True, capture_output=True)
    return out


@dataclass
class Mosquitto:
    workdir: Path
    port: int = field(default_factory=free_port)
    extra: str = "allow_anonymous true\n"
    proc: subprocess.Popen[bytes] | None = None
    kills: int = 0

    @property
    def log_file(self) -> Path:
        return self.workdir / "mosquitto.log"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(base_config(self.port, self.log_file) + self.extra)
        self.proc = subprocess.Popen([mosquitto_binary(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.proc.returncode}); see {self.log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout} s")

    def kill(self) -> None:
        """SIGKILL: no goodbye, no will published by a clean shutdown, nothing saved."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> Mosquitto:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
