"""Tracking: the ByteTrack adapter (`tracker`) and its light config (`config`)."""
