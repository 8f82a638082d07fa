"""The training run's lifecycle, without Qt: its states, the allowed transitions, what
the controls allow in each state, and which run Train starts.

::

                 Train                    Pause
      IDLE ────────────────▶ RUNNING ◀────────────▶ PAUSED
       ▲  Step ──────────────────┼──────────────────▶ │
       │                         │ epochs done,        │ Stop, or a change
       │ Reset, new project      │ early stop,         │ to the graph/data/settings
       │                         ▼ diverged            ▼
       ├──────────────────── FINISHED            STOPPED ──▶ Train/Step: RUNNING/PAUSED
       │                         │  Train: RUNNING     ▲
       └─────────────────────────┴─────────────────────┘  (Stop from RUNNING; a worker error)

Every state may go to IDLE (Reset, File → New, another project) and to itself (a
refresh of the controls). :class:`RunStateMachine` refuses any other move, so a
controller bug shows up as an exception in the tests rather than as a button that
is enabled in the wrong state.

:func:`plan_start` is the rule of what Train does with the trainer it has (see
:class:`StartPlan`); :class:`RunKey` says what a trainer was built from.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["RunState", "TRANSITIONS", "IllegalTransition", "RunStateMachine", "Controls", "controls",
           "RunKey", "StartPlan", "plan_start"]


class RunState(enum.StrEnum):
    """Where the run is. A ``StrEnum``: each state equals its name ("running")."""
    IDLE = "idle"            # no run yet, or after Reset: Train starts one
    RUNNING = "running"      # the worker trains
    PAUSED = "paused"        # the worker is alive and waits (Step trains one update)
    STOPPED = "stopped"      # the worker is gone; Train goes on with the same run
    FINISHED = "finished"    # epochs done, early stop or divergence; Train goes on (or starts afresh)


S = RunState
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    S.IDLE: frozenset({S.IDLE, S.RUNNING, S.PAUSED}),
    S.RUNNING: frozenset({S.IDLE, S.RUNNING, S.PAUSED, S.STOPPED, S.FINISHED}),
    S.PAUSED: frozenset({S.IDLE, S.PAUSED, S.RUNNING, S.STOPPED, S.FINISHED}),
    S.STOPPED: frozenset({S.IDLE, S.STOPPED, S.RUNNING, S.PAUSED}),
    S.FINISHED: frozenset({S.IDLE, S.FINISHED, S.RUNNING, S.PAUSED, S.STOPPED}),
}


class IllegalTransition(RuntimeError):
    """A move the lifecycle does not allow (a controller bug, never a user's mistake)."""


class RunStateMachine:
    """The current :class:`RunState`; :meth:`go` moves it along :data:`TRANSITIONS` only."""

    def __init__(self, state: RunState = RunState.IDLE) -> None:
        self.state = RunState(state)

    def can(self, new: RunState | str) -> bool:
        return RunState(new) in TRANSITIONS[self.state]

    def go(self, new: RunState | str) -> RunState:
        new = RunState(new)
        if new not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"a run cannot go from {self.state} to {new}")
        self.state = new
        return new

    @property
    def worker_expected(self) -> bool:
        """Whether a worker is alive in this state (running or paused)."""
        return self.state in (RunState.RUNNING, RunState.PAUSED)


class Controls(NamedTuple):
    """What the training actions allow, and the Train button's label."""
    train: bool
    train_label: str
    pause: bool
    step: bool
    stop: bool
    reset: bool
    locked: bool          # editing the graph and the settings is paused


def controls(state: RunState, blocked: str | None, goes_on: bool, looks_paused: bool = False) -> Controls:
    """The actions in ``state``; ``blocked`` is why Train cannot start (None when it can),
    ``goes_on`` whether Train would go on with the current run. Train reads "Resume" only
    when it would resume a paused run, or a run stopped by a change made while it was paused
    (``looks_paused``: shown as paused). After Stop, as after a finished run, it reads "Train":
    Stop ends the run, and Train starts the next one from the weights it reached."""
    running = state == RunState.RUNNING
    resumes = goes_on and (state == RunState.PAUSED or (state == RunState.STOPPED and looks_paused))
    return Controls(train=not running and blocked is None,
                    train_label="&Resume" if resumes else "&Train",
                    pause=running, step=blocked is None,
                    stop=state in (RunState.RUNNING, RunState.PAUSED),
                    reset=True, locked=running)


def state_label(state: RunState, blocked: str | None, diverged: bool) -> str:
    """The panel's one-word state ("Ready", "Training…", "Diverged", …)."""
    if state == RunState.IDLE:
        return "Ready" if blocked is None else f"Not ready: {blocked}"
    return {RunState.RUNNING: "Training…", RunState.PAUSED: "Paused",
            RunState.STOPPED: "Stopped — Train goes on from these weights",
            RunState.FINISHED: "Diverged" if diverged else "Finished"}[state]


@dataclass(frozen=True)
class RunKey:
    """What a trainer was built from: the graph (its canonical JSON), the dataset (by
    identity: the key holds it, so its id cannot be reused while the key lives) and the
    training settings (without the surface's parameter pair, which only changes what is
    recorded). Two keys with equal ``graph`` and ``data_id`` describe the same network on
    the same data: the run can go on under new settings."""
    graph: str
    data_id: int
    config: str
    dataset: object = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, graph_dict: dict, dataset, config_dict: dict) -> "RunKey":
        cfg = {k: v for k, v in config_dict.items() if k != "track"}
        # a Dense node's own penalty (l2, l1) is a training setting, not the network's shape:
        # changing it goes on with the same run under new settings, as the project's λ does
        nodes = []
        for n in graph_dict.get("nodes", []):
            own = {k: n["params"][k] for k in ("l2", "l1") if k in n.get("params", {})}
            if own:
                cfg[f"penalty:{n['id']}"] = own
                n = {**n, "params": {k: v for k, v in n["params"].items() if k not in own}}
            nodes.append(n)
        graph_dict = {**graph_dict, "nodes": nodes}
        return cls(json.dumps(graph_dict, sort_keys=True, default=str), id(dataset),
                   json.dumps(cfg, sort_keys=True, default=str), dataset)

    def same_network(self, other: "RunKey | None") -> bool:
        return other is not None and self.graph == other.graph

    def same_data(self, other: "RunKey | None") -> bool:
        return self.same_network(other) and self.data_id == other.data_id


class StartPlan(enum.Enum):
    """What Train does with the trainer it has (:func:`plan_start`)."""
    KEEP = "keep"                      # the same run, not over: go on as it is
    MORE_EPOCHS = "more_epochs"        # the same run, its epochs done: as many more
    NEW_SETTINGS = "new_settings"      # same network and data, new settings: the run goes on
    NEW_LOSS = "new_loss"              # same network and data, another loss: its weights, a fresh curve
    ADOPT_SAVED = "adopt_saved"        # a reopened project: its saved weights and history go on
    AFTER_DIVERGED = "after_diverged"  # the last run diverged (its last weights are huge): fresh weights
    FROM_WEIGHTS = "from_weights"      # another dataset (or settings of no run): the weights, a fresh curve
    FRESH = "fresh"                    # fresh weights from the seed


def plan_start(old: RunKey | None, new: RunKey, *, has_trainer: bool, diverged: bool, finished: bool,
               same_loss: bool, weights_fit: bool, has_saved_history: bool) -> StartPlan:
    """Train's rule, in one place. ``old`` is the key of the trainer the controller has
    (``has_trainer``), ``diverged``/``finished``/``same_loss`` describe that trainer against
    the new settings, ``weights_fit`` whether the weights Train would start from (the
    trainer's on the same network, else the document's) fit the new network, and
    ``has_saved_history`` whether the document holds a saved run."""
    if has_trainer and old == new and not diverged:
        return StartPlan.MORE_EPOCHS if finished else StartPlan.KEEP
    if has_trainer and diverged:
        return StartPlan.AFTER_DIVERGED
    if has_trainer and new.same_data(old):
        return StartPlan.NEW_SETTINGS if same_loss else StartPlan.NEW_LOSS
    if not has_trainer and weights_fit and has_saved_history:
        return StartPlan.ADOPT_SAVED
    return StartPlan.FROM_WEIGHTS if weights_fit else StartPlan.FRESH
