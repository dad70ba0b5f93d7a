"""`etle-edge selftest` as a technician and a HEALTHCHECK run it: the demo site, a real key, a real
mosquitto, the bundled models; dead brokers and cameras answered within the timeout."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.cli import main
from edge.clock import probe_once
from tests.brokers import Mosquitto, free_port, make_test_ca, tls_lines
from tests.conftest import DEMO, ROOT
from tests.selftest.conftest import BoxFolder

MODELS_OFF = ("--skip", "detector", "--skip", "plates")


def rows(table: str) -> dict[str, tuple[str, str]]:
    """check → (result, detail) from the rich table (a detail wraps onto rows with an empty check)."""
    out: dict[str, tuple[str, str]] = {}
    last = ""
    for line in table.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) != 6:
            continue
        result, name, detail = cells[1:4]
        if name:
            out[name], last = (result, detail), name
        elif last:
            out[last] = (out[last][0], f"{out[last][1]} {detail}")
    return out


def selftest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, tuple[str, str]], str]:
    code = main(list(args))
    out = capsys.readouterr().out
    return code, rows(out), out


def test_the_demo_passes_everything_but_what_this_machine_lacks(
    box: BoxFolder, broker: Mosquitto, capsys: pytest.CaptureFixture[str],
) -> None:
    code, table, out = selftest(capsys, *box.args("--broker", f"127.0.0.1:{broker.port}"))
    print(out)  # the README's sample
    assert list(table) == ["settings", "site", "key", "clock", "disk", "broker", "detector", "plates", "camera"]
    clock = probe_once()
    expected = {name: "PASS" for name in table} | {"clock": "PASS" if clock.synced else "FAIL"}
    assert {name: result for name, (result, _) in table.items()} == expected
    assert code == (0 if clock.synced else 1)
    if clock.synced is None:  # this machine: a container with neither chrony nor systemd
        assert table["clock"][1].startswith("no time daemon answered")
    assert "connected anonymously and disconnected" in table["broker"][1]
    assert "found the bundled frame's car" in table["detector"][1] and "sha256" in table["detector"][1]
    assert "read 'B 2706 TKR'" in table["plates"][1]
    assert "10 fps by the file's container" in table["camera"][1]


def test_a_dead_broker_fails_at_once_and_says_refused(box: BoxFolder, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    start = time.monotonic()
    code, table, _ = selftest(capsys, *box.args("--broker", f"127.0.0.1:{port}", "--timeout-s", "3", *MODELS_OFF))
    assert time.monotonic() - start < 3
    assert code == 1
    result, detail = table["broker"]
    assert result == "FAIL" and detail.startswith(f"broker 127.0.0.1:{port}: cannot connect: Connection refused")


def test_a_broker_refusing_the_credentials_gives_its_reason(
    box: BoxFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    with Mosquitto(tmp_path / "closed", extra="allow_anonymous false\n").start() as closed:
        code, table, _ = selftest(capsys, *box.args("--broker", f"127.0.0.1:{closed.port}", *MODELS_OFF))
    assert code == 1
    assert table["broker"] == ("FAIL", f"broker 127.0.0.1:{closed.port}: broker refused the connection: "
                                       "Not authorized")


def test_a_broker_accepting_the_configured_user_and_password(
    box: BoxFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "t-01/cam-01", "s3cret"], check=True,
                   capture_output=True)
    passwords.chmod(0o600)
    broker = Mosquitto(tmp_path / "auth", extra=f"allow_anonymous false\npassword_file {passwords}\n")
    box.settings.write_text(box.settings.read_text() + "delivery:\n  broker:\n    username: t-01/cam-01\n"
                            "    password_env: BROKER_PASSWORD\n")
    with broker.start():
        args = box.args("--broker", f"127.0.0.1:{broker.port}", *MODELS_OFF)
        _, unset, _ = selftest(capsys, *args)
        monkeypatch.setenv("BROKER_PASSWORD", "s3cret")
        _, table, out = selftest(capsys, *args)
    assert unset["broker"][0] == "FAIL" and "(the password variable BROKER_PASSWORD is not set)" in unset["broker"][1]
    assert table["broker"] == ("PASS", f"broker 127.0.0.1:{broker.port}: connected as 't-01/cam-01' and disconnected")
    assert "s3cret" not in out


def test_mutual_tls_as_the_box_connects_and_a_wrong_ca_is_named(
    box: BoxFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    certs = make_test_ca(tmp_path / "ca", "t-01/cam-01")
    settings = box.settings.read_text()
    tls = (f"delivery:\n  broker:\n    tls:\n      ca_file: {{ca}}\n      cert_file: {certs / 't-01__cam-01.crt'}\n"
           f"      key_file: {certs / 't-01__cam-01.key'}\n")
    with Mosquitto(tmp_path / "tls", extra=tls_lines(certs)).start() as broker:
        args = box.args("--broker", f"localhost:{broker.port}", *MODELS_OFF)
        box.settings.write_text(settings + tls.format(ca=certs / "ca.crt"))
        _, trusted, _ = selftest(capsys, *args)
        box.settings.write_text(settings + tls.format(ca=certs / "server.crt"))  # not the CA that signed it
        _, stranger, _ = selftest(capsys, *args)
    assert trusted["broker"] == ("PASS", f"broker localhost:{broker.port} (TLS): connected by its certificate and "
                                         "disconnected")
    assert stranger["broker"][0] == "FAIL" and "certificate verify failed" in stranger["broker"][1]


def test_no_key_folder_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "evidence"
    code, table, _ = selftest(capsys, "selftest", "--evidence-dir", str(evidence), "--skip", "broker", "--skip",
                              "camera", *MODELS_OFF)
    assert code == 1
    assert table["key"][0] == "FAIL" and table["key"][1].startswith("no device key configured")
    assert table["disk"][0] == "PASS" and table["disk"][1].startswith(f"evidence {evidence}: ")
    code, table, _ = selftest(capsys, "selftest", "--key-dir", str(tmp_path / "nowhere"), "--skip", "broker",
                              "--skip", "camera", *MODELS_OFF)
    assert table["key"][0] == "FAIL" and "does not exist" in table["key"][1]


def test_broken_settings_fail_and_what_needs_them_is_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    settings = tmp_path / "device.yaml"
    settings.write_text("delivery:\n  broker:\n    prot: 8883\n")
    code, table, _ = selftest(capsys, "selftest", "--settings", str(settings), "--skip", "camera")
    assert code == 1
    assert table["settings"][0] == "FAIL" and "delivery.broker.prot" in table["settings"][1]
    for name in ("key", "disk", "broker", "detector", "plates"):
        assert table[name] == ("skip", "not checked: the settings did not load")
    assert table["camera"] == ("skip", "left out on request (--skip camera)")


def test_a_broken_site_file_fails_naming_the_field(box: BoxFolder, capsys: pytest.CaptureFixture[str]) -> None:
    broken = box.root / "site.yaml"
    broken.write_text((DEMO / "site.yaml").read_text().replace("  fps: 10\n", "  fps: -3\n"))
    code, table, _ = selftest(capsys, *box.args("--site", str(broken), "--skip", "broker", *MODELS_OFF))
    assert code == 1
    assert table["site"] == ("FAIL", f"{broken}: camera.fps: Input should be greater than 0")
    assert table["camera"] == ("skip", "not checked: the site file did not load (it names the camera)")


def test_bad_geometry_fails_the_site_but_the_camera_is_still_checked(
    box: BoxFolder, capsys: pytest.CaptureFixture[str],
) -> None:
    faulty = box.root / "site.yaml"
    faulty.write_text((DEMO / "site.yaml").read_text().replace("lanes: [lane-1, lane-2, lane-3]", "lanes: [lane-9]"))
    _, table, _ = selftest(capsys, *box.args("--site", str(faulty), "--source", str(DEMO / "clip.mp4"),
                                             "--skip", "broker", *MODELS_OFF))
    assert table["site"][0] == "FAIL" and "calibration.stop_lines.0 (stop-1).lanes: unknown lane id" in table["site"][1]
    assert "fail-safe" in table["site"][1]
    assert table["camera"][0] == "PASS"


def test_a_camera_that_refuses_fails_at_once_without_its_password(
    box: BoxFolder, capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"rtsp://tech:secret@127.0.0.1:{free_port()}/stream1"
    code, table, out = selftest(capsys, *box.args("--source", url, "--timeout-s", "5", "--skip", "broker",
                                                  *MODELS_OFF))
    assert code == 1
    assert table["camera"] == ("FAIL", f"camera {url.replace('secret', '***')}: cannot connect")
    assert "secret" not in out


@pytest.fixture
def silent_camera() -> Iterator[str]:
    """Accepts the TCP connection and never answers: FFmpeg would wait 30 s for the RTSP reply."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield f"rtsp://tech:secret@127.0.0.1:{listener.getsockname()[1]}/stream1"


def test_a_silent_camera_is_given_up_at_the_timeout(
    box: BoxFolder, silent_camera: str, capsys: pytest.CaptureFixture[str],
) -> None:
    start = time.monotonic()
    code, table, out = selftest(capsys, *box.args("--source", silent_camera, "--timeout-s", "2", "--skip", "broker",
                                                  *MODELS_OFF))
    assert time.monotonic() - start < 4
    assert table["camera"] == ("FAIL", f"camera {silent_camera.replace('secret', '***')}: no frame within 2 s")
    assert "secret" not in out and code == 1


def test_a_healthcheck_in_a_real_process_json_and_exit_code(
    box: BoxFolder, broker: Mosquitto, silent_camera: str,
) -> None:
    """As Docker runs it: its own process, JSON on stdout, `ok` and the exit code agree (a model
    session still running at exit would abort it: -6). A camera that never answers fails at the
    timeout, and the process exits at once though a thread of it is still stuck in FFmpeg."""
    command = [sys.executable, "-m", "edge.cli", *box.args("--broker", f"127.0.0.1:{broker.port}", "--json",
                                                           "--skip", "clock")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    healthy = subprocess.run([*command, "--timeout-s", "30"], capture_output=True, text=True, timeout=180, cwd=ROOT,
                             env=env, check=False)
    report = json.loads(healthy.stdout)
    assert (healthy.returncode, report["ok"]) == (0, True), healthy.stdout + healthy.stderr
    assert {c["name"]: c["status"] for c in report["checks"]}["clock"] == "skip"
    assert all(set(c) == {"name", "status", "ok", "detail", "seconds"} for c in report["checks"])

    start = time.monotonic()
    # The models were just proven; left out here so a loaded machine cannot make them slow.
    sick = subprocess.run([*command, "--timeout-s", "2", "--source", silent_camera, "--skip", "detector", "--skip",
                           "plates"], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env, check=False)
    assert time.monotonic() - start < 15
    report = json.loads(sick.stdout)
    assert (sick.returncode, report["ok"]) == (1, False)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["camera"]["ok"] is False and checks["camera"]["detail"].endswith("no frame within 2 s")
    assert [n for n, c in checks.items() if not c["ok"]] == ["camera"]
    assert "secret" not in sick.stdout + sick.stderr


def test_a_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["selftest", "--timeout-s", "0"])
    assert exit_.value.code == 2
