"""Randomised ETLE scenes with exact ground truth, the runner and the scorer (see README.md)."""
