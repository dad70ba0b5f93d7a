"""The `etle-edge` command: run the pipeline, check a site file."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from edge.app import Observed, Wired, connect_delivery, start_metrics, start_up, with_broker
from edge.calibrate.commands import CALIBRATE_COMMANDS, add_calibrate_commands
from edge.config.load import LoadedSite, load_site
from edge.errors import EtleError, SiteFileError
from edge.evidence.event import rfc3339
from edge.ledger.chain import ChainState, ChainStateError
from edge.ledger.config import CHAIN_FILE
from edge.ledger.journal import recover_unstored
from edge.ledger.keys import KeyFileError, generate_keys, load_public_keys
from edge.ledger.seal import Sealer
from edge.ledger.verify import verify_path
from edge.logs import configure_logging
from edge.mqtt.config import parse_host_port
from edge.paths import DEMO_SITE
from edge.pipeline import Pipeline, PipelineHooks, RunStats
from edge.selftest.command import add_selftest_command, selftest_command
from edge.settings import load_settings
from edge.shutdown import stop_on_signals
from edge.sources import VideoFileSource, open_source
from edge.watchdog import Notifier

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text!r}") from exc
    if moment.utcoffset() is None:
        raise argparse.ArgumentTypeError("--start-time needs a UTC offset, e.g. 2026-01-15T07:30:00+07:00")
    return moment


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="etle-edge", description="ETLE roadside box.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the pipeline on a camera or clip")
    run.add_argument("--site", type=Path, default=DEMO_SITE, help="site file (default: the bundled demo)")
    run.add_argument("--source", help="video file, image folder or URL (default: the site file's camera)")
    run.add_argument("--settings", type=Path, help="device settings YAML (default: built-in defaults)")
    run.add_argument("--evidence-dir", type=Path, help="where evidence folders go (default: ./evidence)")
    run.add_argument("--max-frames", type=int, help="stop after this many frames")
    run.add_argument("--start-time", type=_parse_time, help="capture time of frame 0 of a clip (RFC 3339)")
    run.add_argument("--no-publish", action="store_true",
                     help="keep evidence on disk only: no MQTT, no outbox (a later run that publishes queues "
                     "every signed record still on disk)")
    run.add_argument("--broker", type=parse_host_port, help="MQTT broker HOST:PORT (default: settings delivery.broker)")
    run.add_argument("--key-dir", type=Path, help="device key folder from `etle-edge keygen` (signs the evidence)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    check = commands.add_parser("check-site", help="validate a site file; exit 1 on any problem")
    check.add_argument("file", type=Path)

    keygen = commands.add_parser("keygen", help="create the device's Ed25519 key and its sequence state")
    keygen.add_argument("--out", type=Path, required=True, help="folder for the key (must not hold one)")
    keygen.add_argument("--settings", type=Path, help="device settings YAML (for the device id)")

    verify = commands.add_parser("verify", help="check signatures, schema, media and chain of evidence")
    verify.add_argument("path", type=Path, help="one evidence folder or a folder of them")
    keys = verify.add_mutually_exclusive_group(required=True)
    keys.add_argument("--pubkey", type=Path, help="the device's public key (JWK or PEM)")
    keys.add_argument("--keys", type=Path, help="folder of public keys (rotation: old and new keys)")
    add_calibrate_commands(commands)
    add_selftest_command(commands)
    return parser


def check_site_command(path: Path) -> int:
    """One plain line per problem (no wrapping), so scripts and editors can parse it."""
    try:
        loaded = load_site(path)
    except SiteFileError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}")
        return EXIT_PROBLEMS
    cal = loaded.site.calibration
    print(
        f"{path}: ok (calibration version {cal.version}, sha256 {loaded.sha256}, "
        f"{len(cal.lanes)} lanes, {len(cal.stop_lines)} stop lines, {len(cal.signals)} signals)"
    )
    return EXIT_OK


def summary_table(stats: RunStats, site: LoadedSite) -> Table:
    stored = sum(stats.stored.values())
    shown_of = f"; the last {len(stats.recent)} of {stored} stored shown" if stored > len(stats.recent) else ""
    table = Table(title=f"{stats.violations} violation(s){shown_of}")
    for column in ("kind", "time", "lane", "class", "track", "plate", "evidence folder"):
        table.add_column(column, no_wrap=True)
    tz = site.site.site.timezone
    for record in sorted(stats.recent, key=lambda r: r.violation.detected_at):
        v = record.violation
        plate = record.event.get("plate")
        shown = str(plate.get("formatted", "?")) if isinstance(plate, dict) else "unreadable"
        table.add_row(v.kind, rfc3339(v.detected_at, tz), v.lane, v.vehicle_class, str(v.track_id), shown,
                      record.folder.name)
    return table


def keygen_command(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings)
    info = generate_keys(args.out)
    ChainState.open(args.out / CHAIN_FILE, settings.device_id, create=True).close()
    print(f"device {settings.device_id}: key id {info.kid}")
    print(f"  private key  {info.private_key_path}  (mode 0600; keep it on the box)")
    print(f"  public key   {info.public_jwk_path}  (give it to the back office / verifiers)")
    print(f"  chain state  {args.out / CHAIN_FILE}  (sequence numbers; back it up with the key)")
    return EXIT_OK


def verify_command(args: argparse.Namespace) -> int:
    report = verify_path(args.path, load_public_keys(args.pubkey or args.keys))
    for finding in report.warnings:
        print(f"warning: {finding.line()}")
    for line in report.lines():
        print(line)
    verdict = "all valid" if report.ok else f"{len(report.failures)} failure(s)"
    if report.withheld:
        verdict += f"; {len(report.withheld)} original(s) withheld, not checked"
    print(f"{report.records} record(s) checked: {verdict}")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def open_sealer(key_dir: Path | None, device_id: str, boot_id: str, console: Console) -> Sealer | None:
    """The box records even when it cannot sign; it says so loudly instead of refusing to run."""
    if key_dir is None:
        console.print("[yellow]no device key (--key-dir or settings signing.key_dir): evidence is recorded "
                      "UNSIGNED and is not fit to send[/yellow]")
        return None
    try:
        return Sealer.open(key_dir, device_id, boot_id)
    except (KeyFileError, ChainStateError) as exc:
        console.print(f"[red]signing disabled, evidence is recorded UNSIGNED: {exc}[/red]", highlight=False)
        return None


def run_command(args: argparse.Namespace, console: Console) -> int:
    site = load_site(args.site, fail_safe=True)
    if site.faults:
        console.print(f"[red]FAIL-SAFE: {args.site} has {len(site.faults)} problem(s); the box records and "
                      "reports but issues NO violation until the site file is fixed:[/red]")
        for fault in site.faults:
            console.print(f"  {fault}", markup=False, highlight=False)
    settings = load_settings(args.settings)
    configure_logging(settings.logging, {"device_id": settings.device_id, "site": site.site.site.id,
                                         "camera": site.site.camera.id})
    if args.evidence_dir is not None:
        settings = settings.with_evidence_dir(args.evidence_dir)
    camera = site.site.camera
    stop = threading.Event()  # set by the first SIGTERM/SIGINT (edge.shutdown)
    systemd = Notifier.from_env()  # READY, and the watchdog fed by every frame or reconnect wait
    source = open_source(site.resolve_source(args.source), camera.fps, args.start_time or camera.start_time, stop,
                         systemd.alive)
    if args.broker is not None:
        settings = with_broker(settings, *args.broker)
    start = start_up(site, settings, source)
    context = start.context
    sealer = open_sealer(args.key_dir or settings.signing.key_dir, settings.device_id, context.boot_id, console)
    wired = None if args.no_publish else connect_delivery(settings, site, context, sealer, console, source)
    observed = None
    try:
        observed = start_metrics(settings, context, source, wired)
        if observed is not None:
            console.print(f"metrics: http://{settings.metrics.host}:{observed.server.port}/metrics", highlight=False)
            start = observed.counted(start)
        with stop_on_signals(stop, partial(_stopping, console, systemd)):
            pipeline = Pipeline(site, settings, source, start, sealer)
            _start(console, pipeline, sealer, wired, observed)
            systemd.ready(f"judging {site.site.site.id}/{camera.id}" if not site.faults else "FAIL-SAFE: site file")
            stats = _process(args, console, pipeline, stop, systemd.alive)
            systemd.stopping("writing the last evidence, draining the outbox")
            return _report(console, site, stats, pipeline, sealer, wired)
    finally:
        if wired is not None:
            wired.delivery.stop()  # publishes the "stopped" status
        if sealer is not None:
            sealer.close()
        if observed is not None:
            observed.server.close()


def _start(console: Console, pipeline: Pipeline, sealer: Sealer | None, wired: Wired | None,
           observed: Observed | None) -> None:
    """What the previous run left (gaps for what it never stored), then delivery and the metrics."""
    evidence_dir = pipeline.evidence_dir.resolve()
    if sealer is not None:
        gap = sealer.recover(evidence_dir, datetime.now(UTC))
        if gap is not None:
            console.print(f"[yellow]the previous run ended before storing an event: recorded {gap}[/yellow]")
        lost = recover_unstored(evidence_dir, sealer, datetime.now(UTC))
        if lost:
            console.print(f"[yellow]the previous run stopped before writing {len(lost)} detected violation(s): "
                          f"each declared lost in a signed gap ({', '.join(p.name for p in lost)})[/yellow]")
    if wired is not None:
        if pipeline.controller is not None:
            wired.delivery.listen_signals(pipeline.controller.receive)
        wired.start(console)  # after recover(), so its gap record is queued too
    hooks = wired.hooks() if wired is not None else PipelineHooks()
    pipeline.attach(observed.hooks(hooks) if observed is not None else hooks)


def _stopping(console: Console, systemd: Notifier, name: str) -> None:
    systemd.stopping(f"{name}: stopping cleanly")
    console.print(f"[yellow]{name}: stopping cleanly: no new frames; writing the violations in hand, then "
                  "draining the outbox (send it again to stop at once)[/yellow]", highlight=False)


def _process(args: argparse.Namespace, console: Console, pipeline: Pipeline, stop: threading.Event,
             alive: Callable[[], object]) -> RunStats:
    """The frame loop; `alive` on every frame (the systemd watchdog)."""
    source = pipeline.source
    total = args.max_frames
    if isinstance(source, VideoFileSource) and total is None:
        total = source.frame_count
    with Progress(TextColumn("processing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, disable=args.quiet, transient=False) as progress:
        task = progress.add_task("frames", total=total)
        def on_frame(_frame: object) -> None:
            progress.advance(task)
            alive()

        stats = pipeline.run(args.max_frames, on_frame=on_frame, stop=stop.is_set)
    if stop.is_set():
        console.print(f"[yellow]stopped on request after {stats.frames} frames[/yellow]", highlight=False)
    return stats


def _report(console: Console, site: LoadedSite, stats: RunStats, pipeline: Pipeline, sealer: Sealer | None,
            wired: Wired | None) -> int:
    evidence_dir = pipeline.evidence_dir.resolve()
    console.print(summary_table(stats, site))
    console.print(
        f"{stats.frames} frames in {stats.elapsed_s:.1f} s ({stats.fps:.1f} fps); "
        f"detector {stats.detector_ms:.1f} ms/frame over {stats.detector_calls} calls",
        highlight=False,
    )
    if stats.plate_checks:
        checked = ", ".join(f"{why} {n}" for why, n in sorted(stats.plate_checks.items()))
        console.print(f"odd_even: {sum(stats.plate_checks.values())} vehicle(s) checked by plate ({checked}); "
                      "plates of vehicles that comply are not kept", highlight=False)
    console.print(f"evidence folders are under {evidence_dir} (event.json, JPEGs and clip.mp4 each)", highlight=False)
    if sealer is not None:
        console.print(f"signed with key id {sealer.kid} (event.jws in each folder)", highlight=False)
    if wired is not None:
        wired.finish(console)
    if stats.evidence_failure_count:
        console.print(f"[red]{stats.evidence_failure_count} evidence write(s) failed; violations kept "
                      f"in memory were not written:[/red]")
        for failure in stats.evidence_failures:
            console.print(f"  {failure}", markup=False)
        return EXIT_ERROR
    if site.faults:
        console.print("[red]ran in FAIL-SAFE mode: no violation was judged (see the problems above)[/red]")
        return EXIT_PROBLEMS
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Off a terminal (CI logs, pipes) rich would wrap at 80 columns and cut the table.
    console = Console(width=None if sys.stdout.isatty() else 160)
    try:
        if args.command == "check-site":
            return check_site_command(args.file)
        if args.command == "keygen":
            return keygen_command(args)
        if args.command == "verify":
            return verify_command(args)
        command = {**CALIBRATE_COMMANDS, "selftest": selftest_command}.get(args.command)
        if command is not None:
            return command(args)
        return run_command(args, console)
    except EtleError as exc:
        print(f"etle-edge: {exc}", file=sys.stderr)  # plain: no wrapping inside paths
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
