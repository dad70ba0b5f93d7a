"""Calibration: site-file checks, time windows, the calibration web tool and the overlay command."""
