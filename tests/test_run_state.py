"""The training run's lifecycle (gui/training/state.py) without Qt: transitions, controls,
the run key and Train's plan."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def state_module():
    return importlib.import_module("gui.training.state")


def test_the_state_module_imports_without_qt():
    """A fresh interpreter where Qt cannot be imported still imports the lifecycle."""
    code = ("import sys; sys.modules['PySide6'] = None; sys.modules['shiboken6'] = None\n"
            "import gui.training.state as s\n"
            "assert s.RunState.RUNNING == 'running'\n"
            "assert not [m for m in sys.modules if m.startswith(('PySide6.', 'pyqtgraph'))]\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_allowed_transitions_follow_the_lifecycle(state_module):
    S, M = state_module.RunState, state_module.RunStateMachine
    m = M()
    for new in (S.RUNNING, S.PAUSED, S.RUNNING, S.STOPPED, S.RUNNING, S.FINISHED, S.RUNNING, S.PAUSED,
                S.FINISHED, S.IDLE, S.PAUSED, S.STOPPED, S.IDLE):
        assert m.can(new)
        assert m.go(new) is new and m.state is new


@pytest.mark.parametrize("start,new", [("idle", "stopped"), ("idle", "finished"), ("stopped", "finished")])
def test_moves_the_lifecycle_forbids_raise(state_module, start, new):
    m = state_module.RunStateMachine(start)
    assert not m.can(new)
    with pytest.raises(state_module.IllegalTransition, match=f"from {start} to {new}"):
        m.go(new)
    assert m.state == start                                  # unchanged


def test_every_state_can_reach_idle_and_itself(state_module):
    for s in state_module.RunState:
        assert {state_module.RunState.IDLE, s} <= state_module.TRANSITIONS[s]


def test_controls_in_each_state(state_module):
    S, controls = state_module.RunState, state_module.controls
    running = controls(S.RUNNING, None, True)
    assert not running.train and running.pause and running.stop and running.locked
    paused = controls(S.PAUSED, None, True)
    assert paused.train and paused.train_label == "&Resume" and not paused.pause and paused.stop
    assert not paused.locked
    # a paused run whose graph changed: Train starts the changed network, so it says Train
    assert controls(S.PAUSED, None, False).train_label == "&Train"
    finished = controls(S.FINISHED, None, True)
    assert finished.train_label == "&Train" and not finished.stop
    blocked = controls(S.IDLE, "load data first", False)
    assert not blocked.train and not blocked.step and blocked.reset


def test_state_labels(state_module):
    S, label = state_module.RunState, state_module.state_label
    assert label(S.IDLE, None, False) == "Ready"
    assert label(S.IDLE, "load data first", False) == "Not ready: load data first"
    assert label(S.FINISHED, None, True) == "Diverged" and label(S.FINISHED, None, False) == "Finished"


def test_the_run_key_compares_network_data_and_settings(state_module):
    K = state_module.RunKey
    data_a, data_b = object(), object()
    g = {"nodes": [{"id": "dense1", "units": 4}], "edges": []}
    base = K.of(g, data_a, {"lr": 0.1, "track": ["a", "b"]})
    assert base == K.of(dict(reversed(list(g.items()))), data_a, {"track": ["c", "d"], "lr": 0.1})
    new_lr = K.of(g, data_a, {"lr": 0.2})
    assert new_lr != base and new_lr.same_data(base) and new_lr.same_network(base)
    other_data = K.of(g, data_b, {"lr": 0.1})
    assert other_data != base and other_data.same_network(base) and not other_data.same_data(base)
    other_net = K.of({"nodes": [], "edges": []}, data_a, {"lr": 0.1})
    assert not other_net.same_network(base) and not other_net.same_data(base)
    assert not base.same_network(None)


def _plan(mod, old, new, **kw):
    args = dict(has_trainer=True, diverged=False, finished=False, same_loss=True, weights_fit=True,
                has_saved_history=False)
    args.update(kw)
    return mod.plan_start(old, new, **args)


def test_train_plans_each_case(state_module):
    K, P = state_module.RunKey, state_module.StartPlan
    d1, d2 = object(), object()
    g, g2 = {"n": 1}, {"n": 2}
    k = K.of(g, d1, {"lr": 0.1})
    assert _plan(state_module, k, k) is P.KEEP
    assert _plan(state_module, k, k, finished=True) is P.MORE_EPOCHS
    assert _plan(state_module, k, k, diverged=True) is P.AFTER_DIVERGED
    assert _plan(state_module, k, K.of(g2, d1, {}), diverged=True) is P.AFTER_DIVERGED
    assert _plan(state_module, k, K.of(g, d1, {"lr": 0.5})) is P.NEW_SETTINGS
    assert _plan(state_module, k, K.of(g, d1, {"loss": "mae"}), same_loss=False) is P.NEW_LOSS
    assert _plan(state_module, k, K.of(g, d2, {"lr": 0.1})) is P.FROM_WEIGHTS
    assert _plan(state_module, k, K.of(g2, d1, {}), weights_fit=False) is P.FRESH
    # no trainer yet: a reopened project's saved run goes on when its weights fit
    assert _plan(state_module, None, k, has_trainer=False, has_saved_history=True) is P.ADOPT_SAVED
    assert _plan(state_module, None, k, has_trainer=False, weights_fit=False,
                 has_saved_history=True) is P.FRESH
    assert _plan(state_module, None, k, has_trainer=False) is P.FROM_WEIGHTS
