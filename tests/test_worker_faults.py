"""A training worker process that dies or stops answering: the window says so, keeps what was
trained, never freezes, and Train starts again (issue: killed and SIGSTOPped workers)."""
from __future__ import annotations

import os
import signal
import time

import numpy as np

from engine.graph import sequential
from engine.train_loop import Snapshot
from tests import test_gui_training as base
from tests.test_gui_training import click, open_window, series_dataset, training_threads

no_thread_left, _settings = base.no_thread_left, base._settings


def _running_window(qtbot):
    win = open_window(qtbot, sequential(7, [(8, "sigmoid")]), series_dataset())
    ctl = win.training
    ctl.set_speed(300)                       # slow enough that the run is still going when we strike
    snaps: list[Snapshot] = []
    ctl.snapshot_received.connect(snaps.append)
    click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].updates > 20, timeout=20_000)
    return win, ctl, snaps


def test_a_killed_worker_is_noticed_its_progress_kept_and_train_starts_again(qtbot):
    win, ctl, snaps = _running_window(qtbot)
    proc = ctl.worker._process
    with qtbot.waitSignal(ctl.training_finished, timeout=10_000) as blocker:
        os.kill(proc.pid, signal.SIGKILL)
    assert blocker.args == ["error"]
    text = ctl.panel.message_label.text()
    assert "training worker was killed" in text and "Train starts it again" in text
    assert ctl.state == "stopped" and ctl.actions["train"].isEnabled()
    done = ctl.trainer.updates
    assert done >= 20 and win.document.weights is not None          # what it had trained is kept
    assert len(win.document.history["update_loss"]) == done
    with qtbot.waitSignal(ctl.state_changed, timeout=10_000):
        click(qtbot, ctl.panel.train_button)
    qtbot.waitUntil(lambda: snaps[-1].updates > done + 10, timeout=20_000)   # the same run goes on
    assert ctl.loss_plot.update_count() > done + 10
    np.testing.assert_array_equal(ctl.trainer.update_loss.view()[:done],
                                  np.asarray(win.document.history["update_loss"][:done]))
    ctl.stop()
    win.training.shutdown()


def test_stop_does_not_freeze_on_a_stopped_worker(qtbot):
    win, ctl, snaps = _running_window(qtbot)
    proc = ctl.worker._process
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        t0 = time.perf_counter()
        click(qtbot, ctl.panel.stop_button)
        took = time.perf_counter() - t0
        assert ctl.state == "stopped" and ctl.worker is None
        assert took < 1.5                      # was 20 s: two 10 s waits on the GUI thread
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=5000)   # killed in the background
        qtbot.waitUntil(lambda: not training_threads(), timeout=5000)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    win.training.shutdown()
