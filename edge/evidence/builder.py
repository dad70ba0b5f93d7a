"""Assembles each violation's evidence from the ring buffer once the frames after it exist.

Pictures follow red-light camera practice and the ETLE confirmation letter: an overview
before the act (vehicle still on the legal side), an overview at the act, one after it, a
close-up of the vehicle, an annotated copy of the act so the unannotated original is always
there too, and a short clip from `clip_before_s` before the act to `clip_after_s` after it.
A violation waits here until the frames after it have arrived (or the stream ends).

The plate is read here, and only here: for the violating vehicle, from the ring-buffer
frames around the act (the vehicle is usually nearest the camera, and its plate largest,
just after it). `observe` keeps the track of each pending violation up to date, so the
frames after the act have the vehicle's box too; without it only the act's frame is read.
The read and the clip run on the evidence worker's thread (`edge.evidence.worker`); the frames
the violation needs are kept with it, and folders are written in detection order as they finish.

A violation that is only a suspect until its plate is read (`pending_plate`: odd_even) is
judged here, right after the read: confirmed, it goes on like any other (admitted against the
disk budget, then stored); dismissed, it leaves nothing but a count in `plate_checks`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from edge.core import ModelIdentity, Track, TrackUpdate, Violation
from edge.detect.base import crop_with_margin
from edge.errors import EtleError, EvidenceError
from edge.evidence.clip import CLIP_NAME, CLIP_TYPE, clip_or_none
from edge.evidence.event import EventContext, MediaItem, build_event, new_event_id, rfc3339
from edge.evidence.journal import JOURNAL_FILE, PendingJournal
from edge.evidence.overlay import annotate_violation
from edge.evidence.ring import FrameRing
from edge.evidence.seal import Sealer
from edge.evidence.store import write_event_folder
from edge.evidence.worker import EvidenceWorker, PlateStage, read_or_explain
from edge.plates.detector import VehicleView
from edge.plates.factory import build_plate_reader
from edge.plates.indonesia import parse
from edge.plates.reader import PlateConfig, PlateOutcome
from edge.rules.odd_even import OddEvenConfig, PlateCertainty, judge
from edge.sources import Frame


class EvidenceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path = Field(default=Path("evidence"), title="Evidence folder")
    before_s: float = Field(default=1.0, ge=0, title="Overview before the act", description="Seconds.")
    after_s: float = Field(default=1.0, ge=0, title="Overview after the act", description="Seconds.")
    jpeg_quality: int = Field(default=92, ge=50, le=100, title="JPEG quality")
    closeup_margin: float = Field(default=0.25, ge=0, le=2, title="Close-up margin",
                                  description="Fraction of the box added on each side.")
    plates: PlateConfig = Field(default_factory=PlateConfig, title="Plate reading",
                                description="Of the violating vehicle only, from the frames around the act.")
    clip: bool = Field(default=True, title="Clip", description="A short MP4 around the act in each folder.")
    clip_before_s: float = Field(default=2.0, ge=0, le=10, title="Clip before the act", description="Seconds.")
    clip_after_s: float = Field(default=2.0, ge=0, le=10, title="Clip after the act", description="Seconds.")
    background_jobs_waiting: int = Field(
        default=8, ge=1, title="Plate reads and clips waiting at most",
        description="Queued for the evidence thread; past it the pipeline waits: nothing is dropped.",
    )

    @property
    def span_before_s(self) -> float:
        return max(self.before_s, self.clip_before_s if self.clip else 0.0)

    @property
    def span_after_s(self) -> float:
        """How long a violation waits for the frames after it."""
        return max(self.after_s, self.clip_after_s if self.clip else 0.0)

    def ring_frames(self, fps: float) -> int:
        # Room for the frames before, the wait for frames after, and slack for late decisions.
        return max(2, round((self.span_before_s + self.span_after_s + 2.0) * fps))


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    event_id: str
    folder: Path
    violation: Violation
    event: dict[str, object]
    signed: bool


def _encode_jpeg(image: NDArray[np.uint8], quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(buf.tobytes())


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, eq=False)  # identity: found in the pending list by `is`
class _Pending:
    # The id is fixed at detection so a retried write keeps its reserved sequence number.
    event_id: str
    violation: Violation
    # Set once the frames after the act are in: the frames the evidence is cut from (kept here,
    # the ring moves on while the plate is read), the plate read (None: reading is off) and the
    # clip (None: off, or a suspect not yet confirmed). A write retried after a full disk reuses them.
    frames: FrameRing | None = None
    plate: Future[PlateOutcome] | None = None
    clip: Future[bytes | None] | None = None

    def done(self) -> bool:
        return all(job is None or job.done() for job in (self.plate, self.clip))


def judge_with_plate(candidate: Violation, outcome: PlateOutcome | None, config: OddEvenConfig) -> Violation | str:
    """An odd_even suspect confirmed or dismissed with what the plate stage read."""
    if outcome is None:
        return judge(candidate, None, config, unread_reason="plate reading is off")
    read = outcome.plate
    if read is None:
        return judge(candidate, None, config, unread_reason=outcome.reason)
    plate = parse(read.text) if read.format_valid else None
    if plate is None:
        return judge(candidate, None, config, unread_reason=f"{read.text!r} is not a valid plate")
    last_digit = len(plate.region) + len(plate.number) - 1  # in the text, region + number + suffix
    digit = read.char_confidences[last_digit] if last_digit < len(read.char_confidences) else 0.0
    return judge(candidate, plate, config, PlateCertainty(read.confidence, digit, read.votes))


def admit_all(_violation: Violation) -> bool:
    """The admission gate when nothing limits storage (no delivery, no disk budget)."""
    return True


def _measure_line(violation: Violation) -> str:
    """The caption's last line: the signal for light rules, else the act's measured details."""
    details = violation.details
    if "plate_parity" in details:
        return f"{details['plate_parity']} plate on an {details['date_parity']} date ({details['date']})"
    if "signal_state" in details:
        into = f"  +{details['time_into_red_s']} s into red" if "time_into_red_s" in details else ""
        return f"signal {details['signal_state']}{into}"
    shown = [f"{k} {v}" for k, v in details.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return "  ".join(shown[:4]) or violation.feature


class EvidenceBuilder:
    """With a `Sealer`, each folder also holds `event.jws`, signed into the device's chain;
    without one the evidence is unsigned (recorded, but not fit to send).

    `plates` reads the plates; by default it is built from `config.plates` (None when that is
    disabled: events then say plate reading is off). Its weights join the event's models.
    """

    def __init__(self, context: EventContext, config: EvidenceConfig, fps: float, sealer: Sealer | None,
                 plates: PlateStage | None = None, odd_even: OddEvenConfig | None = None) -> None:
        if plates is None and config.plates.enabled:
            plates = build_plate_reader(config.plates)
        self._plates = plates
        self._worker = EvidenceWorker(config.background_jobs_waiting)
        if plates is not None:
            extra = tuple(ModelIdentity(role, path.name, _file_sha256(path)) for role, path in plates.models)
            context = dataclasses.replace(context, models=context.models + extra)
        self._context = context
        self._config = config
        self._fps = fps
        self._sealer = sealer
        # Signed boxes journal what they detected until it is stored (see edge.evidence.journal).
        self._journal = PendingJournal(config.directory / JOURNAL_FILE) if sealer is not None else None
        self.ring = FrameRing(config.ring_frames(fps))
        self._pending: list[_Pending] = []
        self._tracks: dict[int, Track] = {}
        self._odd_even = odd_even or OddEvenConfig()
        self.failures: list[str] = []
        # Gate for suspects confirmed here (the pipeline's disk-budget hook; others pass it there).
        self.admit: Callable[[Violation], bool] = admit_all
        # Suspects judged: "confirmed" or the kind of dismissal ("complies", "plate not read", ...).
        self.plate_checks: Counter[str] = Counter()

    def add(self, violation: Violation) -> None:
        item = _Pending(new_event_id(), violation)
        if self._journal is not None and not violation.pending_plate:  # a suspect is no violation yet
            self._journal.add(item.event_id, violation.describe())
        self._pending.append(item)

    def observe(self, update: TrackUpdate) -> None:
        """Keep the latest path of every vehicle with a pending violation (for its plate)."""
        waiting = {p.violation.track_id for p in self._pending if p.frames is None}
        for track in update.active:
            if track.id in waiting:
                self._tracks[track.id] = track

    def on_frame(self, frame: Frame) -> list[EvidenceRecord]:
        """Push the frame; start the plate read of every violation whose frames after it have
        arrived; write those whose read is done, in detection order."""
        self.ring.push(frame)
        after = round(self._config.span_after_s * self._fps)
        for item in list(self._pending):
            if item.frames is None and frame.index >= item.violation.frame_index + after:
                self._start(item)
        waiting = {p.violation.track_id for p in self._pending if p.frames is None}
        self._tracks = {k: v for k, v in self._tracks.items() if k in waiting}
        return self._complete(wait=False)

    def flush(self) -> list[EvidenceRecord]:
        """End of stream: write what is pending with the frames there are.

        What still cannot be written is reported; with a sealer its reserved sequence number is
        declared lost in a signed gap record, so the chain shows the hole instead of hiding it.
        """
        for item in list(self._pending):
            if item.frames is None:
                self._start(item)
        records = self._complete(wait=True)
        self._worker.close()
        newest = self.ring.newest
        # Suspects held up behind a failed write were never judged: they are not lost violations.
        unjudged = sum(p.violation.pending_plate for p in self._pending)
        if unjudged:
            self.plate_checks["not judged (evidence store failing)"] += unjudged
        stuck = [p for p in self._pending if not p.violation.pending_plate]
        if stuck and self._sealer is not None and newest is not None:
            lost = ", ".join(p.event_id for p in stuck)
            try:
                self._sealer.record_gap(self._config.directory, f"evidence could not be stored: {lost}",
                                        newest.captured_at)
                for item in stuck:  # declared: not for the next start to declare again
                    self._journal_done(item.event_id)
            except (OSError, EtleError) as exc:
                self.failures.append(f"the gap record for {lost} could not be stored either: {exc}")
        if self._journal is not None:
            self._journal.close()
        return records

    def _journal_done(self, event_id: str) -> None:
        if self._journal is not None:
            self._journal.done(event_id)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def _start(self, item: _Pending) -> None:
        """Keep the frames the evidence needs; hand the plate read and the clip to the worker."""
        violation, cfg, fps = item.violation, self._config, self._fps
        first = min(violation.before_frame, violation.frame_index - round(cfg.span_before_s * fps))
        frames = self.ring.since(first)
        plate = None
        if self._plates is not None:
            plate = self._worker.submit(read_or_explain, self._plates, self._views(violation, frames))
        # A suspect's clip waits for its verdict: most suspects comply, and their clip would be thrown away.
        clip = None if violation.pending_plate else self._clip(violation, frames)
        self._pending[self._pending.index(item)] = _Pending(item.event_id, violation, frames, plate, clip)

    def _clip(self, violation: Violation, frames: FrameRing) -> Future[bytes | None] | None:
        if not self._config.clip:
            return None
        fps = self._fps
        end = violation.frame_index + round(self._config.clip_after_s * fps)
        shown = [f for f in frames.since(violation.frame_index - round(self._config.clip_before_s * fps)).frames()
                 if f.index <= end]
        return self._worker.submit(clip_or_none, shown, fps) if shown else None

    def _complete(self, wait: bool) -> list[EvidenceRecord]:
        """Write the started violations in order; stop at one whose plate read or clip is still
        running (unless `wait`), so the chain keeps detection order."""
        records = []
        for queued in list(self._pending):
            if queued.frames is None:
                continue  # its frames after the act are not in yet
            if not wait and not queued.done():
                break
            item = self._judged(queued) if queued.violation.pending_plate else queued
            if item is None:  # a suspect dismissed by its plate, or shed
                self._pending.remove(queued)
                continue
            self._pending[self._pending.index(queued)] = item
            if not wait and not item.done():
                break  # a confirmed suspect's clip has only just been started
            try:
                records.append(self._write(item))
            except EvidenceError as exc:
                # Kept pending and retried later, never dropped. Later events wait behind it:
                # its sequence number is reserved and the chain must stay in order.
                self.failures.append(str(exc))
                break
            self._pending.remove(item)
            self._journal_done(item.event_id)
        return records

    def _judged(self, item: _Pending) -> _Pending | None:
        """A suspect confirmed by its plate (and admitted), or None when dismissed or shed."""
        outcome = item.plate.result() if item.plate is not None else None
        verdict = judge_with_plate(item.violation, outcome, self._odd_even)
        if isinstance(verdict, str):
            self.plate_checks[verdict.split(":")[0]] += 1
            return None
        self.plate_checks["confirmed"] += 1
        if not self.admit(verdict):  # shed: the disk budget declared it in a signed gap
            return None
        if self._journal is not None:
            self._journal.add(item.event_id, verdict.describe())
        frames = item.frames
        return dataclasses.replace(item, violation=verdict, clip=self._clip(verdict, frames) if frames else None)

    def _views(self, violation: Violation, frames: FrameRing) -> list[VehicleView]:
        """The vehicle in every kept frame (the span of the clip and the overviews)."""
        track = self._tracks.get(violation.track_id)
        boxes = {p.frame_index: p.xyxy for p in track.seen or track.points} if track is not None else {}
        boxes[violation.frame_index] = violation.box
        views = []
        for index, box in sorted(boxes.items()):
            frame = frames.get(index)
            if frame is not None:
                views.append(VehicleView(index, frame.image, box))
        return views

    def _write(self, item: _Pending) -> EvidenceRecord:
        violation, frames = item.violation, item.frames
        if frames is None:
            raise ValueError("evidence written before its frames were kept")

        def pick(index: int) -> Frame:
            frame = frames.nearest(index)
            if frame is None:
                raise ValueError("no frame kept for the evidence")
            return frame

        cfg, fps = self._config, self._fps
        before = pick(min(violation.before_frame, violation.frame_index - round(cfg.before_s * fps)))
        at = pick(violation.frame_index)
        shots: list[tuple[str, str, Frame, NDArray[np.uint8]]] = [
            ("overview_before.jpg", "overview_before", before, before.image),
            ("overview_at.jpg", "overview_at", at, at.image),
        ]
        after = pick(violation.frame_index + round(cfg.after_s * fps))
        if after.index > at.index:
            shots.append(("overview_after.jpg", "overview_after", after, after.image))
        vehicle = crop_with_margin(at.image, violation.box, cfg.closeup_margin)
        shots.append(("vehicle.jpg", "vehicle_closeup", at, vehicle))
        plate = item.plate.result() if item.plate is not None else None
        if plate is not None and plate.crop is not None:
            shots.append(("plate.jpg", "plate", pick(plate.crop.frame_index), plate.crop.image))
        tz = self._context.site.site.site.timezone
        caption = [
            f"{violation.kind}  lane {violation.lane}  track {violation.track_id} ({violation.vehicle_class})",
            f"{rfc3339(violation.detected_at, tz)}  frame {violation.frame_index}",
            _measure_line(violation),
        ]
        if plate is not None:  # above the signal line, which the overlay colours by the lamp
            caption.insert(-1, f"plate {plate.plate.formatted} ({plate.plate.confidence:.2f})"
                           if plate.plate is not None else "plate unreadable")
        annotated = annotate_violation(
            at.image, self._context.site.site.calibration, violation.box, caption,
            str(violation.details.get("signal_state", "unknown")),
        )
        shots.append(("overview_at_annotated.jpg", "overview_annotated", at, annotated))

        files: dict[str, bytes] = {}
        media: list[MediaItem] = []
        for name, role, frame, image in shots:
            data = _encode_jpeg(image, cfg.jpeg_quality)
            files[name] = data
            media.append(MediaItem(
                name=name, role=role, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data),
                content_type="image/jpeg", frame_index=frame.index, captured_at=frame.captured_at,
            ))
        clip = item.clip.result() if item.clip is not None else None
        if clip is not None:  # dated by its first frame
            first = frames.since(violation.frame_index - round(cfg.clip_before_s * fps)).frames()[0]
            files[CLIP_NAME] = clip
            media.append(MediaItem(
                name=CLIP_NAME, role="clip", sha256=hashlib.sha256(clip).hexdigest(), bytes=len(clip),
                content_type=CLIP_TYPE, frame_index=first.index, captured_at=first.captured_at,
            ))
        event = build_event(item.event_id, self._context, violation, media, plate)
        if self._sealer is None:
            folder = write_event_folder(cfg.directory, item.event_id, files, event)
            return EvidenceRecord(item.event_id, folder, violation, event, signed=False)
        sealed = self._sealer.seal(item.event_id, event)
        files["event.jws"] = sealed.jws.encode("ascii")
        folder = write_event_folder(cfg.directory, item.event_id, files, sealed.event)
        self._sealer.commit(sealed)  # only once stored: see edge.evidence.seal
        return EvidenceRecord(item.event_id, folder, violation, sealed.event, signed=True)
