"""Ring buffer of the most recent frames, from which evidence pictures (and later clips) are cut."""

from __future__ import annotations

from collections import deque

from edge.sources import Frame


class FrameRing:
    """Keeps the last `capacity` frames; lookup by frame index."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("ring capacity must be at least one frame")
        self._frames: deque[Frame] = deque(maxlen=capacity)

    def push(self, frame: Frame) -> None:
        self._frames.append(frame)

    def get(self, index: int) -> Frame | None:
        if not self._frames:
            return None
        offset = index - self._frames[0].index
        # Indexes are consecutive within a run, so the offset finds the frame directly.
        if 0 <= offset < len(self._frames) and self._frames[offset].index == index:
            return self._frames[offset]
        return next((f for f in self._frames if f.index == index), None)

    def nearest(self, index: int) -> Frame | None:
        """The frame with the closest index still held (the exact one if present)."""
        if not self._frames:
            return None
        return min(self._frames, key=lambda f: abs(f.index - index))

    def frames(self) -> tuple[Frame, ...]:
        """The frames held, oldest first."""
        return tuple(self._frames)

    def since(self, first: int) -> FrameRing:
        """A ring of its own holding the frames from index `first` on: what one violation's
        evidence needs, kept after this ring has moved on (the images are shared, not copied)."""
        held = [f for f in self._frames if f.index >= first]
        copy = FrameRing(max(1, len(held)))
        for frame in held:
            copy.push(frame)
        return copy

    @property
    def newest(self) -> Frame | None:
        return self._frames[-1] if self._frames else None
