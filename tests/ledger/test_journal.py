"""A violation detected but not yet written when the box stops is not lost unseen: the journal
names it, and the next start declares it lost in a signed gap record that says what it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from edge.ledger.journal import JOURNAL_FILE, DetectionJournal, open_entries, recover_unstored
from edge.ledger.keys import load_public_keys
from edge.ledger.seal import Sealer
from edge.ledger.signing import unverified_payload
from edge.ledger.verify import verify_path
from tests.builders import frame, sealer
from tests.builders import violation_at as violation
from tests.evidence.test_folders import builder


def test_entries_open_until_done_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    journal = DetectionJournal(tmp_path / JOURNAL_FILE)
    assert not journal.path.exists()  # nothing written until there is something to keep
    journal.add("e1", "red_light at ...")
    journal.add("e2", "speeding at ...")
    journal.done("e1")
    journal.close()
    with open(journal.path, "a", encoding="utf-8") as handle:
        handle.write('{"add": "e3", "wh')  # the crash tore the last line
    assert open_entries(journal.path) == {"e2": "speeding at ..."}
    after = DetectionJournal(journal.path)  # the next run: its first line must not join the torn one
    after.done("e2")
    assert open_entries(journal.path) == {}
    after.close()
    assert not journal.path.exists()  # nothing open: the file goes


def test_a_crash_before_the_write_becomes_a_signed_gap_at_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    seal = sealer(tmp_path)
    box = builder(tmp_path, root, seal)
    for i in range(31):
        box.on_frame(frame(i))
    box.add(violation(30))
    stored = [r for i in range(31, 41) for r in box.on_frame(frame(i))]
    assert len(stored) == 1
    box.add(violation(40))  # detected; its frames after never come: the box dies here
    seal.close()
    assert list(open_entries(root / JOURNAL_FILE).values()) == [violation(40).describe()]

    again = Sealer.open(tmp_path / "keys", "dev-1", "boot-2")
    try:
        assert again.recover(root, datetime.now(UTC)) is None  # no number was taken for it
        (gap,) = recover_unstored(root, again, datetime.now(UTC))
        assert recover_unstored(root, again, datetime.now(UTC)) == []  # declared once
    finally:
        again.close()
    payload = unverified_payload(gap.read_text().strip())
    assert payload["missing"] == {"first": 2, "last": 2}  # the number reserved for it, after seq 1
    assert payload["reason"].endswith(violation(40).describe())
    assert not (root / JOURNAL_FILE).exists()
    report = verify_path(root, load_public_keys(tmp_path / "keys"))
    assert report.ok and report.records == 2, report.lines()


def test_stored_violations_leave_no_journal_behind(tmp_path: Path) -> None:
    box = builder(tmp_path, tmp_path / "ev", sealer(tmp_path))
    for i in range(3):
        box.on_frame(frame(i))
        box.add(violation(i))
    assert len(box.flush()) == 3
    assert not (tmp_path / "ev" / JOURNAL_FILE).exists()
