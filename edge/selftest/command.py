"""`etle-edge selftest`: the flags, the order of the checks, and the exit status.

Exit 0 only when no check failed (a skipped check is not a failure, and says why it was
skipped), 1 otherwise, 2 on a usage error (argparse). That is what a Docker HEALTHCHECK wants:
0 healthy, 1 unhealthy. The checks run one after another, each within --timeout-s, so the
whole command is bounded by the number of checks times the timeout.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from edge.app import with_broker
from edge.config.load import LoadedSite, load_site
from edge.errors import SiteFileError
from edge.mqtt.config import parse_host_port
from edge.paths import DEMO_SITE
from edge.selftest.camera import CameraSpec, check_camera
from edge.selftest.checks import check_broker, check_clock, check_disk, check_key
from edge.selftest.models import DEMO_FRAME, check_detector, check_plates
from edge.selftest.probe import Check, Probe, not_run, run_bounded, skipped
from edge.selftest.report import all_ok, as_json, table
from edge.settings import DeviceSettings, SettingsError, load_settings
from edge.sources import shown_url

# The order they run and are listed in: quick reads, the broker, the models, the camera last: a camera
# that accepts and never answers holds OpenCV's FFmpeg lock (30 s), and every video opened in this
# process meanwhile (the models' bundled frame) would wait on it.
SKIPPABLE = ("key", "clock", "disk", "broker", "detector", "plates", "camera")
EXIT_OK, EXIT_FAILED = 0, 1


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 600, got {text!r}")
    return value


def add_selftest_command(commands: Any) -> None:
    """`commands`: the subparsers of the etle-edge parser (argparse keeps their type private)."""
    parser = commands.add_parser(
        "selftest", help="check models, camera, site file, signing key, clock, broker and disk; exit 0 only if "
        "all pass",
    )
    parser.add_argument("--site", type=Path, default=DEMO_SITE, help="site file (default: the bundled demo)")
    parser.add_argument("--settings", type=Path, help="device settings YAML (default: built-in defaults)")
    parser.add_argument("--key-dir", type=Path, help="device key folder (default: settings signing.key_dir)")
    parser.add_argument("--evidence-dir", type=Path, help="evidence folder, as given to `run` (default: settings "
                        "evidence.directory)")
    parser.add_argument("--source", help="camera: video file, image folder or URL (default: the site file's)")
    parser.add_argument("--broker", type=parse_host_port, help="MQTT broker HOST:PORT (default: settings "
                        "delivery.broker)")
    parser.add_argument("--timeout-s", type=_seconds, default=10.0, help="limit of each check (default: 10)")
    parser.add_argument("--skip", action="append", choices=SKIPPABLE, default=[], metavar="CHECK",
                        help=f"leave a check out, shown as skipped (repeatable; one of {', '.join(SKIPPABLE)})")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout instead of the table")


def _load_settings(args: argparse.Namespace) -> tuple[Check, DeviceSettings | None]:
    start = time.monotonic()
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        return Check("settings", "fail", str(exc), time.monotonic() - start), None
    if args.broker is not None:
        settings = with_broker(settings, *args.broker)
    if args.evidence_dir is not None:
        settings = settings.with_evidence_dir(args.evidence_dir)
    where = str(args.settings) if args.settings is not None else "built-in defaults"
    return Check("settings", "pass", f"{where}: device {settings.device_id}", time.monotonic() - start), settings


def _load_site(path: Path) -> tuple[Check, LoadedSite | None]:
    """With its faults (bad geometry) the site still names the camera, so the camera is checked too."""
    start = time.monotonic()
    try:
        site = load_site(path, fail_safe=True)
    except SiteFileError as exc:
        return Check("site", "fail", f"{path}: " + "; ".join(exc.problems), time.monotonic() - start), None
    seconds = time.monotonic() - start
    if site.faults:
        return Check("site", "fail", f"{path}: " + "; ".join(site.faults) + " (the box would run fail-safe: "
                     "no violation is issued)", seconds), site
    cal = site.site.calibration
    return Check("site", "pass", f"{path}: calibration version {cal.version}, sha256 {site.sha256[:12]}, "
                 f"{len(cal.lanes)} lanes, {len(cal.stop_lines)} stop lines, {len(cal.signals)} signals",
                 seconds), site


@dataclass(frozen=True, slots=True)
class Loaded:
    settings: DeviceSettings | None
    site: LoadedSite | None


def _probes(args: argparse.Namespace, loaded: Loaded) -> list[Probe | Check]:
    """Each check as a probe, in the order of SKIPPABLE; or as its row when it cannot run for want
    of the settings or the site file."""
    settings, site = loaded.settings, loaded.site
    items: dict[str, Probe | Check] = {
        "clock": Probe("clock", "time daemons (chrony, systemd-timesyncd)", partial(check_clock, None)),
    }
    if settings is None:
        items |= {name: not_run(name, skipped("not checked: the settings did not load"))
                  for name in ("key", "disk", "broker", "detector", "plates")}
    else:
        key_dir = args.key_dir or settings.signing.key_dir
        delivery = settings.delivery
        items |= {
            "key": Probe("key", f"key folder {key_dir}", partial(check_key, key_dir, settings.device_id)),
            "disk": Probe("disk", "disk", partial(check_disk, settings)),
            "broker": Probe("broker", f"broker {delivery.broker.host}:{delivery.broker.port}",
                            partial(check_broker, delivery, delivery.client_id or settings.device_id)),
            "detector": Probe("detector", f"detector {settings.detector.model.name}",
                              partial(check_detector, settings.detector, DEMO_FRAME), local=True),
            "plates": Probe("plates", "plate reader", partial(check_plates, settings.evidence.plates, DEMO_FRAME),
                            local=True),
        }
    if site is None:
        items["camera"] = not_run("camera", skipped("not checked: the site file did not load (it names the camera)"))
    else:
        camera = site.site.camera
        spec = CameraSpec(site.resolve_source(args.source), camera.fps, camera.resolution)
        items["camera"] = Probe("camera", f"camera {shown_url(spec.source)}", partial(check_camera, spec), "frame")
    return [items[name] for name in SKIPPABLE]


def run_checks(args: argparse.Namespace) -> list[Check]:
    settings_row, settings = _load_settings(args)
    site_row, site = _load_site(args.site)
    rows = [settings_row, site_row]
    for item in _probes(args, Loaded(settings, site)):
        if isinstance(item, Check):
            rows.append(item)
        elif item.name in args.skip:
            rows.append(not_run(item.name, skipped(f"left out on request (--skip {item.name})")))
        else:
            rows.append(run_bounded(item, args.timeout_s))
    return rows


def selftest_command(args: argparse.Namespace) -> int:
    # Whatever a library prints while the checks run goes to stderr: stdout is the report alone.
    with redirect_stdout(sys.stderr):
        checks = run_checks(args)
    if args.json:
        print(as_json(checks))
    else:
        # Off a terminal (a HEALTHCHECK log, a pipe) rich would wrap at 80 columns.
        Console(width=None if sys.stdout.isatty() else 160).print(table(checks))
    return EXIT_OK if all_ok(checks) else EXIT_FAILED
