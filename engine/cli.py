"""``python main.py train``: train a network without a window.

Progress goes to stderr; the final scores go to stdout as one line. Any bad
input ends with exit status 2 and one line ``netcanvas train: error: …``;
a run that diverges ends with status 3; an ONNX export that onnxruntime does
not reproduce within 1e-5 (relative) is not written and ends with status 1,
as does an internal error. No traceback reaches the user.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from .data import DataError, DataSpec, load_dataset, placeholder_note
from .fitting import fit_graph_to_data
from .graph import ACTIVATION_KINDS, GraphError, sequential
from .layout import auto_layout
from .model import ModelError
from .safe_io import atomic_files, check_distinct, check_output
from .trainer import ConfigError, TrainConfig, Trainer, default_loss, evaluate

__all__ = ["main", "parse_hidden", "UsageError"]

PROG = "netcanvas train"
ACTIVATION_ALIASES = {"linear": "identity", "hardsigmoid": "hard_sigmoid", "leakyrelu": "leaky_relu",
                      "hard-sigmoid": "hard_sigmoid", "leaky-relu": "leaky_relu"}

# flags that mean something only in series mode (a project's series counts too)
SERIES_ONLY = (("--lags", "lags"), ("--time-column", "time_column"), ("--period", "period"))


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(message)


def parse_hidden(text: str) -> list[tuple[int, str]]:
    """``"32:sigmoid,16:relu"`` → ``[(32, "sigmoid"), (16, "relu")]``; ``""`` → ``[]``."""
    layers = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        units_text, _, act = part.partition(":")
        act = act.strip().lower() or "sigmoid"
        act = ACTIVATION_ALIASES.get(act, act)
        try:
            units = int(units_text)
        except ValueError:
            raise UsageError(f"--hidden: '{part}' should look like 32:sigmoid") from None
        if not 1 <= units <= 4096:
            raise UsageError(f"--hidden: {units} units is outside 1…4096")
        if act not in ACTIVATION_KINDS:
            raise UsageError(f"--hidden: unknown activation '{act}'; choose from "
                             f"{', '.join(ACTIVATION_KINDS)}")
        layers.append((units, act))
    return layers


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Train a NetCanvas network from a CSV file or a saved project.")
    src = p.add_argument_group("data")
    src.add_argument("--project", help="a saved .ncproj project (the flags below override it)")
    src.add_argument("--csv", help="CSV file with a header row")
    src.add_argument("--allow-outside-data", action="store_true",
                     help="with --project: read its data file even when it lies outside the project's folder")
    src.add_argument("--target", help="column to predict")
    src.add_argument("--features", help="comma-separated feature columns (default: every other column)")
    src.add_argument("--categorical", metavar="COL[,COL...]",
                     help="number columns that hold codes or groups (e.g. cylinders): one-hot encoded as "
                          "features, classes as the target")
    src.add_argument("--skip-bad-lines", action="store_true",
                     help="skip rows with the wrong number of fields (they are counted, with their line numbers)")
    src.add_argument("--series", help="series column: features are its previous --lags values")
    src.add_argument("--lags", type=int, help="with --series: number of previous values (default 7)")
    src.add_argument("--time-column", help="with --series: time column (for plots; never a feature)")
    src.add_argument("--task", choices=["regression", "classification", "auto"])
    src.add_argument("--val-fraction", type=float)
    src.add_argument("--split", choices=["random", "chronological"])
    src.add_argument("--normalize", choices=["standard", "none"])
    src.add_argument("--delimiter", help="field separator (default: detected among , ; tab)")
    src.add_argument("--encoding", help="text encoding (default UTF-8), e.g. latin-1")
    src.add_argument("--no-header", dest="header", action="store_false", default=None,
                     help="the first line is data; columns are named 'column 1', 'column 2', …")
    net = p.add_argument_group("network and training")
    net.add_argument("--hidden", help='hidden layers, e.g. "32:sigmoid,16:relu"; "" is the linear model')
    net.add_argument("--loss", choices=["mse", "mae", "huber", "bce", "ce"])
    net.add_argument("--optimizer", choices=["sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"])
    net.add_argument("--lr", type=float, help="learning rate η")
    net.add_argument("--batch-size", type=int)
    net.add_argument("--epochs", type=int,
                     help="epochs to train; 0 with a trained --project: no training, only score "
                          "(and --export) its saved weights")
    net.add_argument("--early-stopping", type=int, help="patience in epochs (0 = off)")
    net.add_argument("--seed", type=int)
    net.add_argument("--float64", action="store_true", help="compute in float64 (default float32)")
    reg = p.add_argument_group("regularization and learning-rate schedule")
    reg.add_argument("--l2", type=float, help="λ₂: adds λ₂·Σw² over Dense weights (never biases) to the loss")
    reg.add_argument("--l1", type=float, help="λ₁: adds λ₁·Σ|w| over Dense weights to the loss")
    reg.add_argument("--weight-decay", type=float,
                     help="with --optimizer adamw: decoupled decay w ← w − η·wd·w after each Adam step")
    reg.add_argument("--lr-schedule", choices=["constant", "step", "cosine"],
                     help="step: η×γ every K epochs; cosine: η·½(1 + cos(π·t/T)), T the run's updates")
    reg.add_argument("--lr-step-epochs", type=int, metavar="K", help="with --lr-schedule step (default 10)")
    reg.add_argument("--lr-gamma", type=float, metavar="G", help="with --lr-schedule step (default 0.5)")
    reg.add_argument("--warmup", type=int, metavar="N", help="linear warm-up of η over the first N updates")
    reg.add_argument("--clip-norm", type=float, help="clip the gradient's global norm to F (0 = off)")
    out = p.add_argument_group("output")
    out.add_argument("--export", help="write the trained model: FILE.onnx or FILE.npz")
    out.add_argument("--metrics", help="write final scores to FILE.json")
    net.add_argument("--resume", action="store_true",
                     help="with --project: start from its saved weights instead of fresh ones from the seed")
    out.add_argument("--save-project", help="write the trained project to FILE.ncproj")
    out.add_argument("--quiet", action="store_true", help="no progress on stderr")
    # issue 12: is the model any good? (baselines always; importance on request)
    out.add_argument("--importance", metavar="FILE.json",
                     help="write each input's permutation importance: {input: increase in validation loss}")
    src.add_argument("--period", type=int, metavar="N",
                     help="with --series: the seasonal period in steps for the seasonal naive baseline "
                          "(default: detected; 0 = none)")
    return p


def _data_spec(args, base: dict | None) -> DataSpec:
    d = dict(base or {})
    if args.target is not None:
        d["target"] = args.target
    if args.features is not None:
        d["features"] = [f.strip() for f in args.features.split(",") if f.strip()] or None
    if args.skip_bad_lines:
        d["skip_bad_lines"] = True
    if args.categorical is not None:
        d["categorical"] = [c.strip() for c in args.categorical.split(",") if c.strip()]
    if args.series is not None:
        d["series"] = args.series
        d.setdefault("split", "chronological")
    if args.period is not None and args.period < 0:
        raise UsageError(f"--period must be 0 (none) or more, not {args.period}")
    for key in ("lags", "time_column", "task", "val_fraction", "split", "normalize", "seed",
                "delimiter", "encoding", "header", "period"):
        v = getattr(args, key)
        if v is not None:
            d[key] = v
    if not d.get("series"):
        for flag, key in SERIES_ONLY:
            if getattr(args, key) is not None:
                raise UsageError(f"{flag} only applies with --series COL (time-series mode)")
    if "target" not in d:
        if d.get("series"):
            d["target"] = d["series"]
        else:
            raise UsageError("--target is required (the column to predict)")
    return DataSpec.from_dict(d)




def _write_json_atomic(path: str, data: dict) -> None:
    with atomic_files([path]) as (f,):
        json.dump(data, f, indent=2, allow_nan=False)
        f.write("\n")


def _check_outputs(args, csv: str) -> None:
    """Every output writable where asked, none overwriting an input or another output."""
    outputs = [("--export", args.export), ("--metrics", args.metrics), ("--save-project", args.save_project),
               ("--importance", args.importance)]
    for flag, path in outputs:
        if path:
            check_output(flag, path)
    if args.export and os.path.splitext(args.export)[1].lower() == ".npz":
        outputs.append(("--export", os.path.splitext(args.export)[0] + ".json"))    # its description
    data_flag = "--csv" if args.csv else "--project (its data file)"
    check_distinct(outputs, [(data_flag, csv)])
    if args.project:        # --save-project may update the project it started from
        check_distinct([o for o in outputs if o[0] != "--save-project"], [("--project", args.project)])


def _encoding_hint(message: str) -> str:
    """The engine says "save it as UTF-8"; without a window the other way is a flag."""
    if "is UTF-16 text" in message:
        return message + " — or pass --encoding utf-16"
    if "not UTF-8" in message:
        return message + " — or pass the file's encoding, e.g. --encoding latin-1"
    return message


def _json_safe(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    project = None
    if args.project:
        from .project import ProjectError, load_project
        try:
            project = load_project(args.project)
        except ProjectError as exc:
            raise UsageError(str(exc)) from None
    if project is not None and not args.csv and project.data_outside and not args.allow_outside_data:
        raise UsageError(f"the project's data file {project.data_path} is outside the project's folder; "
                         f"pass --allow-outside-data to read it (or give --csv FILE)")
    csv = args.csv or (project.data_path if project else None)
    if not csv:
        raise UsageError("give --csv FILE (or --project FILE with a dataset)")
    spec = _data_spec(args, project.data_spec if project else None)
    evaluate_only = args.epochs == 0
    if args.resume or evaluate_only:
        flag = "--resume" if args.resume else "--epochs 0"
        if project is None:
            raise UsageError("--resume needs a --project that holds trained weights" if args.resume else
                             "--epochs 0 scores (and exports) saved weights without training; "
                             "it needs a --project that holds trained weights")
        if project.weights is None:
            raise UsageError(f"{flag}: the project {os.path.basename(args.project)} has no trained weights; "
                             f"give --epochs N to train it")
        if args.hidden is not None:
            raise UsageError(f"{flag} keeps the project's network; leave out --hidden")
    if args.export and os.path.splitext(args.export)[1].lower() not in (".onnx", ".npz"):
        raise UsageError(f"--export: '{args.export}' must end in .onnx or .npz")
    _check_outputs(args, csv)
    log = (lambda *a: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))

    try:
        dataset = load_dataset(csv, spec)
    except DataError as exc:
        raise UsageError(_encoding_hint(str(exc))) from None
    dropped = sum(dataset.dropped.values())
    log(f"{os.path.basename(csv)}: {dataset.n_rows_read} rows, {dataset.n_train} train / {dataset.n_val} "
        f"validation examples, {dataset.n_features} features, {dataset.task}"
        + (f" ({dropped} dropped: " + "; ".join(f"{r}: {n}" for r, n in dataset.dropped.items()) + ")"
           if dropped else ""))
    if dataset.placeholders:
        log(placeholder_note(dataset.placeholders))     # "'?' read as missing in horsepower (6 cells)"

    if args.hidden is not None or project is None:
        hidden = parse_hidden(args.hidden if args.hidden is not None else "32:sigmoid")
        graph = sequential(dataset.n_features, hidden, task=dataset.task, outputs=dataset.n_outputs)
        fit = None
    else:
        graph = project.graph
        fit = fit_graph_to_data(graph, dataset, args.loss or project.train_config.loss)   # as the window does
        fit.apply(graph)

    cfg = TrainConfig.from_dict(project.train_config.to_dict()) if project else TrainConfig()
    cfg.track = []
    for key in ("loss", "optimizer", "lr", "batch_size", "epochs", "early_stopping", "seed",
                "l2", "l1", "weight_decay", "lr_schedule", "lr_step_epochs", "lr_gamma", "warmup", "clip_norm"):
        v = getattr(args, key)
        if v is not None:
            setattr(cfg, key, v)
    if args.weight_decay and cfg.optimizer != "adamw":
        raise UsageError("--weight-decay is AdamW's decoupled decay: give --optimizer adamw "
                         "(for an L2 penalty with any optimizer, give --l2)")
    if args.float64:
        cfg.dtype = "float64"
    if args.loss is None:
        cfg.loss = default_loss(dataset.task) if fit is None else fit.loss
    if fit is not None:
        changes = fit.changes if args.loss is None else [c.describe() for c in fit.params]  # --loss wins
        if changes:
            log("the project's network follows the data: " + "; ".join(changes))
    if cfg.epochs == 0 and not evaluate_only:       # a project saved with "until stopped"
        raise UsageError("the project trains until stopped (epochs 0), which needs the window; give "
                         "--epochs N to train N epochs, or --epochs 0 to score its saved weights")

    trainer = Trainer(graph, dataset, cfg)
    if args.resume or evaluate_only:
        flag = "--resume" if args.resume else "--epochs 0"
        try:
            trainer.set_weights(project.weights)
        except ModelError as exc:
            raise UsageError(f"{flag}: the saved weights do not fit the network now ({exc})") from None
        log("no training (--epochs 0): scoring the project's saved weights" if evaluate_only
            else "starting from the project's saved weights")
    log(f"model: {len(graph.nodes)} nodes, {trainer.model.parameter_count()} parameters; "
        + (f"loss {cfg.loss}" if evaluate_only else
           f"{trainer.summary()}; {cfg.optimizer} η={cfg.lr:g}, loss {cfg.loss}"))
    metric = "val_r2" if dataset.task == "regression" else "val_accuracy"
    if evaluate_only:
        scores = _score(trainer)
        log(f"saved weights: train loss {scores['train_loss']:.5g}  val loss {scores['val_loss']:.5g}  "
            f"{metric.split('_')[1]} {scores.get(metric, math.nan):.4f}")
    else:
        _train(trainer, metric, log)
        if trainer.stop_reason == "diverged":
            print(f"{PROG}: error: {trainer.message}", file=sys.stderr)
            return 3
        log(trainer.message)
        scores = trainer.metrics()
    scores.update(_yardsticks(trainer, dataset, scores, args, log))
    metrics = {k: _json_safe(v) for k, v in scores.items()}
    if args.export:
        from .export import ExportError, Preprocessing, export_onnx_checked
        from .export_npz import export_npz
        pre = Preprocessing.from_dataset(dataset)
        ext = os.path.splitext(args.export)[1].lower()
        try:
            if ext == ".onnx":
                X_check = dataset.X_raw("val") if dataset.n_val else dataset.X_raw("train")
                check = export_onnx_checked(trainer.model, pre, args.export, X_check)
                if not check.written:
                    print(f"{PROG}: error: the exported ONNX model disagrees with the engine: "
                          f"{check.disagreement()}; {args.export} was not written", file=sys.stderr)
                    return 1
                log(f"exported {args.export}; onnxruntime agrees with the engine "
                    f"(largest relative difference {check.diff:.2e}, within {check.tolerance:.0e})")
                metrics["onnx_max_rel_diff"] = check.diff
            elif ext == ".npz":
                export_npz(trainer.model, pre, args.export)
                log(f"exported {args.export} (+ .json description)")
            else:
                raise UsageError(f"--export: '{args.export}' must end in .onnx or .npz")
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    if args.save_project:
        from .project import Project, save_project
        if evaluate_only:       # nothing was trained: keep the project's settings and history
            saved_cfg = TrainConfig.from_dict({**cfg.to_dict(), "epochs": project.train_config.epochs,
                                               "track": list(project.train_config.track)})
            history = project.history
        else:
            saved_cfg, history = cfg, trainer.history()
        kept = project is not None and graph is project.graph and set(project.positions) == set(graph.nodes)
        positions = dict(project.positions) if kept else auto_layout(graph)   # as the window's Arrange
        save_project(Project(graph=graph, positions=positions, data_path=os.path.abspath(csv),
                             data_spec=spec.to_dict(), train_config=saved_cfg,
                             weights=trainer.model.get_weights(), history=history),
                     args.save_project)
    if args.metrics:
        _write_json_atomic(args.metrics, metrics)
    summary = {k: metrics[k] for k in ("train_loss", "val_loss", "val_r2", "val_mae", "val_accuracy",
                                       "baseline_val_mae", "linear_val_mae", "val_mase", "baseline_val_accuracy",
                                       "epochs", "updates", "seconds") if k in metrics}
    print(json.dumps(summary))
    return 0


def _yardsticks(trainer: Trainer, dataset, scores: dict, args, log) -> dict:
    """The baselines beside the model's scores (logged, and keys for the metrics JSON), and with
    ``--importance`` each input's permutation importance written to its file."""
    from .baselines import compute_baselines
    b = compute_baselines(dataset)          # the period: --period, the project's, or detected
    out = b.metrics(scores.get("val_mae"))

    def f(v):
        return f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else "–"
    if b.task == "regression":
        parts = [f"training mean {f(b.mean_val_mae)}", f"least squares {f(b.linear_val_mae)}"]
        if b.persistence_val_mae is not None:
            parts.insert(0, f"persistence {f(b.persistence_val_mae)}")
        if b.seasonal_val_mae is not None:
            parts.insert(1, f"seasonal naive (period {b.period}) {f(b.seasonal_val_mae)}")
        log(f"validation MAE: model {f(scores.get('val_mae'))}; baselines: " + ", ".join(parts)
            + (f"; model MASE {f(out.get('val_mase'))}" if out.get("val_mase") is not None else ""))
    else:
        log(f"validation accuracy: model {f(scores.get('val_accuracy'))}; baseline (always "
            f"{b.majority_class!r}, the majority class) {f(b.majority_val_accuracy)}")
    if args.importance:
        from .explain import input_groups, permutation_importance
        if dataset.n_val == 0:
            raise UsageError("--importance needs validation rows; give --val-fraction above 0")
        groups = input_groups(dataset.feature_names, dataset.onehot)
        imp = permutation_importance(trainer.model, trainer.loss, trainer.Xv, trainer.yv, groups,
                                     seed=trainer.config.seed)
        _write_json_atomic(args.importance, {k: _json_safe(v) for k, v in imp.items()})
        top = sorted(imp.items(), key=lambda kv: -kv[1])[:3]
        log(f"wrote {args.importance}; most important: " + ", ".join(f"{k} ({v:+.3g})" for k, v in top))
    return out


def _train(trainer: Trainer, metric: str, log) -> None:
    """Run the trainer to its end, logging an epoch line at most twice a second (and the last)."""
    last_print = 0.0
    while not trainer.finished:
        trainer.run(max_updates=trainer.updates_per_epoch)
        now = time.perf_counter()
        if trainer.epochs and (now - last_print > 0.5 or trainer.finished):
            last_print = now
            r = trainer.epochs[-1]
            log(f"epoch {r['epoch']}/{trainer.config.epochs}  train loss {r['train_loss']:.5g}  "
                f"val loss {r['val_loss']:.5g}  {metric.split('_')[1]} {r.get(metric, math.nan):.4f}  "
                + (f"penalty {r['penalty']:.4g}  " if "penalty" in r else "")
                + (f"η {r['lr']:.4g}  " if "lr" in r else "")
                + (f"clipped {r['clipped']:,}  " if "clipped" in r else "")
                + f"({trainer.updates:,} update{'s' if trainer.updates != 1 else ''}, "
                f"{trainer.updates / max(trainer.seconds, 1e-9):,.0f}/s)")


def _score(trainer: Trainer) -> dict:
    """The keys of ``Trainer.metrics()`` for the trainer's current weights, without
    training: losses and scores over all training and validation rows."""
    t0 = time.perf_counter()
    out = {}
    for prefix, X, y in (("train", trainer.X, trainer.y), ("val", trainer.Xv, trainer.yv)):
        for k, v in evaluate(trainer.model, trainer.loss, X, y, trainer.y_std).items():
            out[f"{prefix}_{k}"] = v
    out.update(epochs=0, updates=0, seconds=round(time.perf_counter() - t0, 4), stop_reason=None)
    return out


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:          # --help
        return int(exc.code or 0)
    except (UsageError, DataError, GraphError, ModelError, ConfigError, ValueError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except MemoryError:
        print(f"{PROG}: error: not enough memory for this run; use fewer or smaller --hidden layers, "
              f"a smaller --batch-size or a smaller file", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line for the user
        if os.environ.get("NETCANVAS_DEBUG"):
            raise
        print(f"{PROG}: error: internal error ({type(exc).__name__}: {exc}); "
              f"set NETCANVAS_DEBUG=1 for details", file=sys.stderr)
        return 1
