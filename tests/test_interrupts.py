"""A KeyboardInterrupt raised inside a finaliser is printed and ignored by Python; under
`interruptible()` it must still stop the command: no store commit, no atomic output, the signal
re-delivered, and no "Exception ignored … Traceback" on stderr."""

from __future__ import annotations

import gc
import signal
import time

import pytest
from sqlalchemy import text

from tianping import interrupts
from tianping.cli.common import interrupt_exit_code, interruptible
from tianping.outputs import write_text
from tianping.store.db import open_database


class _RaisesWhenCollected:
    def __del__(self) -> None:
        raise KeyboardInterrupt  # what a signal handler does when the signal lands in a finaliser


def _swallow_one() -> None:
    _RaisesWhenCollected()
    gc.collect()


def test_swallowed_interrupt_is_delivered_again_without_a_traceback(capsys):
    # a command starts with Python's own Ctrl-C handler (an earlier test in this process may have left another)
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            with interruptible():
                _swallow_one()
                assert interrupts.pending()
                while time.monotonic() - t0 < 60:  # the re-delivered SIGINT raises in this loop (no timing claim)
                    time.sleep(0.01)
    finally:
        signal.signal(signal.SIGINT, old)
    assert not interrupts.pending()
    assert interrupt_exit_code() == 130
    err = capsys.readouterr().err
    assert "Exception ignored" not in err and "Traceback" not in err


def test_pending_interrupt_stops_a_store_commit(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'i.db'}")
    with db.session() as s:
        s.execute(text("create table t (x integer)"))
    with pytest.raises(KeyboardInterrupt):
        with interruptible():
            _swallow_one()
            with db.session() as s:
                s.execute(text("insert into t values (1)"))
    with db.session() as s:
        assert s.execute(text("select count(*) from t")).scalar() == 0


def test_pending_interrupt_stops_an_atomic_write(tmp_path):
    out = tmp_path / "results.json"
    with pytest.raises(KeyboardInterrupt):
        with interruptible():
            _swallow_one()
            write_text(out, "{}")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_finished_block_with_interrupt_pending_still_stops():
    interrupts.REDELIVER_AFTER_S, old = 60.0, interrupts.REDELIVER_AFTER_S  # re-delivery would come too late
    try:
        with pytest.raises(KeyboardInterrupt):
            with interruptible():
                _swallow_one()
        assert not interrupts.pending()
    finally:
        interrupts.REDELIVER_AFTER_S = old


def test_outside_interruptible_nothing_is_pending(tmp_path):
    interrupts.reset()
    write_text(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "x"
