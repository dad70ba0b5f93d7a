"""When each violation's evidence is made: it waits for the frames after the act, its plate read
and clip run on the evidence worker's thread, and folders are written in detection order as they
finish (the chain must keep that order).

The plate is read here, and only here: for the violating vehicle, from the ring-buffer frames
around the act (the vehicle is usually nearest the camera, and its plate largest, just after
it). `observe` keeps the track of each queued violation up to date, so the frames after the
act have the vehicle's box too; without it only the act's frame is read.

A suspect (`suspect`: odd_even) is not judged here: once its plate is read, `settle`
(the pipeline's: the rule's verdict, then the disk budget's admission) returns the violation to
store, or None; a suspect settled to None leaves nothing behind.

What goes into a folder is `edge.evidence.assemble`'s (pure); writing, signing and the journal
are `edge.evidence.writer`'s.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass

from edge.core import Box, Track, TrackUpdate, Violation
from edge.errors import EvidenceError
from edge.evidence.assemble import assemble, pick_stills
from edge.evidence.clip import clip_or_none
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import EventContext, new_event_id
from edge.evidence.redaction import Finder, Redaction, RedactionJob, run_redaction
from edge.evidence.ring import FrameRing
from edge.evidence.worker import EvidenceWorker, PlateStage, read_or_explain
from edge.evidence.writer import EvidenceRecord, EvidenceWriter
from edge.ledger.seal import Sealer
from edge.plates.detector import VehicleView
from edge.plates.reader import PlateOutcome
from edge.sources import Frame

# A suspect and its plate read (None: reading is off) → the violation to store, or None.
Settle = Callable[[Violation, PlateOutcome | None], Violation | None]
FAILURES_KEPT = 20  # distinct write failures kept for the run summary; more are only counted


def charge_none(_suspect: Violation, _outcome: PlateOutcome | None) -> Violation | None:
    """Without a judge no suspect is charged (a scheduler built for violations only)."""
    return None


@dataclass(frozen=True, slots=True, eq=False)  # identity: found in the queue by `is`
class _Queued:
    # The id is fixed at detection so a retried write keeps its reserved sequence number.
    event_id: str
    violation: Violation
    # Set once the frames after the act are in: the frames the evidence is cut from (kept here,
    # the ring moves on while the plate is read), the plate read (None: reading is off) and the
    # clip (None: off, or a suspect not yet confirmed). A write retried after a full disk reuses them.
    frames: FrameRing | None = None
    plate: Future[PlateOutcome] | None = None
    clip: Future[bytes | None] | None = None
    # The redacted copies (None: redaction is off, or a suspect not yet confirmed) and the
    # violator's box in each kept frame, which they keep sharp.
    redaction: Future[Redaction] | None = None
    boxes: Mapping[int, Box] = dataclasses.field(default_factory=dict)

    def done(self) -> bool:
        return all(job is None or job.done() for job in (self.plate, self.clip, self.redaction))


class EvidenceScheduler:
    """`plates` reads the plates (None: reading is off, and events say so)."""

    def __init__(self, context: EventContext, config: EvidenceConfig, fps: float, sealer: Sealer | None,
                 plates: PlateStage | None = None, settle: Settle = charge_none) -> None:
        self._plates = plates
        self._worker = EvidenceWorker(config.background_jobs_waiting)
        self._writer = EvidenceWriter(context, config, sealer)
        self._site = context.site.site
        self._config = config
        self._fps = fps
        self._settle = settle
        self.ring = FrameRing(config.ring_frames(fps))
        self._queue: list[_Queued] = []
        self._tracks: dict[int, Track] = {}
        self.failures: deque[str] = deque(maxlen=FAILURES_KEPT)  # distinct, newest last
        self.failure_count = 0
        self.unjudged = 0  # suspects never settled: held up behind a write that kept failing
        self._redactor: Finder | None = None

    def redact_with(self, finder: Finder) -> None:
        """Make redacted copies of every violation's pictures and clip (`edge.privacy`), with the
        detectors of `finder`, on the evidence worker's thread."""
        self._redactor = finder

    def add(self, violation: Violation) -> None:
        item = _Queued(new_event_id(), violation)
        if not violation.suspect:  # a suspect is no violation yet
            self._writer.detected(item.event_id, violation)
        self._queue.append(item)

    def observe(self, update: TrackUpdate) -> None:
        """Keep the latest path of every vehicle with a queued violation (for its plate)."""
        waiting = {p.violation.track_id for p in self._queue if p.frames is None}
        for track in update.active:
            if track.id in waiting:
                self._tracks[track.id] = track

    def on_frame(self, frame: Frame) -> list[EvidenceRecord]:
        """Push the frame; start the plate read of every violation whose frames after it have
        arrived; write those whose read is done, in detection order."""
        self.ring.push(frame)
        after = round(self._config.span_after_s * self._fps)
        for item in list(self._queue):
            if item.frames is None and frame.index >= item.violation.frame_index + after:
                self._start(item)
        waiting = {p.violation.track_id for p in self._queue if p.frames is None}
        self._tracks = {k: v for k, v in self._tracks.items() if k in waiting}
        return self._complete(wait=False)

    def flush(self) -> list[EvidenceRecord]:
        """End of stream: write what is queued with the frames there are. What still cannot be
        written is reported and, signed, declared lost in a gap record."""
        for item in list(self._queue):
            if item.frames is None:
                self._start(item)
        records = self._complete(wait=True)
        self._worker.close()
        newest = self.ring.newest
        # Suspects held up behind a failed write were never judged: they are not lost violations.
        self.unjudged = sum(p.violation.suspect for p in self._queue)
        stuck = [p.event_id for p in self._queue if not p.violation.suspect]
        if stuck and newest is not None:
            problem = self._writer.declare_lost(stuck, newest.captured_at)
            if problem is not None:
                self._failed(problem)
        self._writer.close()
        return records

    @property
    def queued(self) -> int:
        """Violations (and suspects) whose folder is not written yet."""
        return len(self._queue)

    def _failed(self, message: str) -> None:
        self.failure_count += 1
        if not self.failures or self.failures[-1] != message:  # a retry failing alike is one failure
            self.failures.append(message)

    def _start(self, item: _Queued) -> None:
        """Keep the frames the evidence needs; hand the plate read, the clip and the redacted
        copies to the worker."""
        violation, cfg, fps = item.violation, self._config, self._fps
        first = min(violation.before_frame, violation.frame_index - round(cfg.span_before_s * fps))
        frames = self.ring.since(first)
        views = self._views(violation, frames)
        plate = None
        if self._plates is not None:
            plate = self._worker.submit(read_or_explain, self._plates, views)
        queued = _Queued(item.event_id, violation, frames, plate, boxes={v.frame_index: v.box for v in views})
        # A suspect's clip waits for its verdict: most suspects comply, and their clip would be thrown away.
        self._queue[self._queue.index(item)] = queued if violation.suspect else self._made(queued)

    def _made(self, item: _Queued) -> _Queued:
        """The item with its clip and redacted copies started (a violation, or a confirmed suspect)."""
        frames = item.frames
        if frames is None:
            return item
        shown = self._clip_frames(item.violation, frames)
        clip = self._worker.submit(clip_or_none, shown, self._fps) if shown else None
        redaction = None
        if self._redactor is not None:
            stills = tuple(f for f in pick_stills(item.violation, frames, self._config, self._fps) if f is not None)
            job = RedactionJob(stills, tuple(shown), item.boxes, self._fps, self._config.privacy)
            redaction = self._worker.submit(run_redaction, self._redactor, job)
        return dataclasses.replace(item, clip=clip, redaction=redaction)

    def _clip_frames(self, violation: Violation, frames: FrameRing) -> list[Frame]:
        if not self._config.clip:
            return []
        fps = self._fps
        end = violation.frame_index + round(self._config.clip_after_s * fps)
        return [f for f in frames.since(violation.frame_index - round(self._config.clip_before_s * fps)).frames()
                if f.index <= end]

    def _complete(self, wait: bool) -> list[EvidenceRecord]:
        """Write the started violations in order; stop at one whose plate read or clip is still
        running (unless `wait`), so the chain keeps detection order."""
        records = []
        for queued in list(self._queue):
            if queued.frames is None:
                continue  # its frames after the act are not in yet
            if not wait and not queued.done():
                break
            item = self._settled(queued) if queued.violation.suspect else queued
            if item is None:  # a suspect dismissed by its plate, or shed
                self._queue.remove(queued)
                continue
            self._queue[self._queue.index(queued)] = item
            if not wait and not item.done():
                break  # a confirmed suspect's clip has only just been started
            try:
                records.append(self._write(item))
            except EvidenceError as exc:
                # Kept queued and retried later, never dropped. Later events wait behind it:
                # its sequence number is reserved and the chain must stay in order.
                self._failed(str(exc))
                break
            self._queue.remove(item)
        return records

    def _settled(self, item: _Queued) -> _Queued | None:
        """A suspect the pipeline charged (judged by its plate, then admitted), or None."""
        charged = self._settle(item.violation, item.plate.result() if item.plate is not None else None)
        if charged is None:
            return None
        self._writer.detected(item.event_id, charged)
        return self._made(dataclasses.replace(item, violation=charged))

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

    def _write(self, item: _Queued) -> EvidenceRecord:
        if item.frames is None:
            raise ValueError("evidence written before its frames were kept")
        plate = item.plate.result() if item.plate is not None else None
        clip = item.clip.result() if item.clip is not None else None
        redaction = item.redaction.result() if item.redaction is not None else None
        bundle = assemble(item.violation, item.frames, self._site, self._config, self._fps, (plate, clip, redaction))
        return self._writer.write(item.event_id, bundle)
