"""Train the NetCanvas network with PyTorch DistributedDataParallel.

    torchrun --nproc_per_node=N train.py --csv FILE [--epochs E] [--from-scratch] [--out RUN_DIR]
    python train.py --csv FILE ...                  # one process

gloo on CPU, nccl when CUDA is there (chosen automatically). The global batch B (the project's
batch size, or --batch-size) is split across the N processes: each takes B/N rows of every update
(B must be divisible by N); a DistributedSampler deals every epoch's shuffled rows out, so the N
processes together see the same batches as one process with batch B and the same seed. The
gradient DDP averages is then the mean over the global batch, as in NetCanvas.

The project's loss, optimizer (NetCanvas's exact update rules: rules.py), learning rate and its
schedule, L2/L1 penalties, AdamW's weight decay, gradient clipping, epochs, seed, validation split
and early stopping apply; training starts from the NetCanvas weights
(weights.safetensors) unless --from-scratch. RUN_DIR receives checkpoint.safetensors (every
epoch), history.json, metrics.json (the NetCanvas CLI's keys) and weights.safetensors (the final
weights, in the package's layout: verify.py --weights RUN_DIR/weights.safetensors checks nothing
about them, but model.py loads them).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from data import DataMismatch, load_spec, prepare
from model import Net
from rules import clip_global_norm, lr_at, make_loss, make_optimizer, penalty, scores
from weights_io import load_state_dict, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
EVAL_ROWS = 10000           # the per-epoch training loss is measured on at most this many rows (as NetCanvas)


class UsageError(Exception):
    """Bad input: one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="train.py", description="Train the NetCanvas network (DDP with torchrun).")
    p.add_argument("--csv", required=True, help="a CSV file of the project's shape")
    p.add_argument("--epochs", type=int, help="epochs (default: the project's)")
    p.add_argument("--from-scratch", action="store_true", help="fresh weights from the seed, not NetCanvas's")
    p.add_argument("--out", default="run", help="folder for checkpoints, metrics and weights (default: run)")
    p.add_argument("--batch-size", type=int, help="global batch size (default: the project's)")
    p.add_argument("--float64", action="store_true", help="compute in float64 (default: the project's precision)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return p


class Distributed:
    """This process's place: rank, world size, device; a process group when started by torchrun."""

    def __init__(self) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available()
        self.device = torch.device("cuda", local) if cuda else torch.device("cpu")
        self.backend = "nccl" if cuda else "gloo"
        if self.world > 1:
            if cuda:
                torch.cuda.set_device(local)
            dist.init_process_group(self.backend)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def _atomic_json(path: str, data) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, allow_nan=True)
    os.replace(tmp, path)


def _save_weights(net: torch.nn.Module, path: str, extra: dict | None = None, metadata: dict | None = None) -> None:
    tensors = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    tensors.update({k: v.detach().cpu().numpy() for k, v in (extra or {}).items()})
    tmp = path + ".tmp"
    save_file(tensors, tmp, metadata)
    os.replace(tmp, path)


class Run:
    """One training run on this process (the loop NetCanvas's Trainer runs, batch by batch)."""

    def __init__(self, args, spec: dict, where: Distributed) -> None:
        cfg, data = spec["training"], spec["data"]
        self.args, self.where, self.cfg = args, where, cfg
        self.task = data["task"]
        self.y_std = np.asarray(spec["normalization"]["y_std"], np.float64) if self.task == "regression" else None
        self.dtype = torch.float64 if args.float64 or cfg["dtype"] == "float64" else torch.float32
        self.epochs = cfg["epochs"] if args.epochs is None else args.epochs
        if self.epochs < 1:
            raise UsageError(f"--epochs must be 1 or more, not {self.epochs}")
        prepared = prepare(args.csv, spec)
        dev = where.device

        def tensor(a, is_y=False):
            if is_y and self.task != "regression":
                return torch.from_numpy(np.ascontiguousarray(a)).to(dev)
            return torch.from_numpy(np.ascontiguousarray(a)).to(device=dev, dtype=self.dtype)
        self.X, self.y = tensor(prepared.X_train), tensor(prepared.y_train, True)
        self.Xv, self.yv = tensor(prepared.X_val), tensor(prepared.y_val, True)
        self.n = len(self.X)
        eval_idx = np.arange(self.n) if self.n <= EVAL_ROWS else \
            np.linspace(0, self.n - 1, EVAL_ROWS).round().astype(np.int64)
        self.X_eval, self.y_eval = self.X[eval_idx], self.y[eval_idx]
        B = min(args.batch_size or cfg["batch_size"], self.n)
        if B < 1:
            raise UsageError(f"--batch-size must be 1 or more, not {B}")
        if B % where.world and B >= where.world:
            raise UsageError(f"the global batch {B} does not split into {where.world} equal parts; "
                             f"give --batch-size a multiple of {where.world}")
        self.global_batch, self.local_batch = B, max(1, B // where.world)
        self.summary = (f"{self.n} training / {len(self.Xv)} validation examples, global batch {B} = "
                        f"{where.world} × {self.local_batch}, {self.epochs} epochs, {cfg['optimizer']} "
                        f"η={cfg['lr']:g}, loss {cfg['loss']}, {str(self.dtype).removeprefix('torch.')}, "
                        f"{where.backend if where.world > 1 else where.device.type}")

        torch.manual_seed(cfg["seed"] + where.rank)          # dropout masks
        self.net = Net().to(device=dev, dtype=self.dtype)
        if args.from_scratch:
            self.net.reset_parameters(cfg["seed"])
        else:
            self.net.load_state_dict(load_state_dict(os.path.join(HERE, "weights.safetensors")))
        self.ddp = DistributedDataParallel(self.net) if where.world > 1 else self.net
        self.loss = make_loss(cfg["loss"])
        # regularization as NetCanvas's (rules.py): penalties and AdamW's decay on Dense weights only
        self.lambdas = {k: v for k, v in cfg.get("penalties", {}).items() if any(v)}
        names = [name for name, _ in self.net.named_parameters()]
        decay = [i for i, name in enumerate(names) if name in cfg.get("penalties", {})]
        self.opt = make_optimizer(cfg["optimizer"], self.net.parameters(), cfg["lr"], cfg.get("momentum", 0.9),
                                  cfg.get("weight_decay", 0.0), decay)
        self.sampler = DistributedSampler(range(self.n), num_replicas=where.world, rank=where.rank,
                                          shuffle=True, seed=cfg["seed"], drop_last=False)
        per_epoch = -(-len(self.sampler) // self.local_batch)
        self.schedule = dict(updates_per_epoch=per_epoch, step_epochs=cfg.get("lr_step_epochs", 10),
                             gamma=cfg.get("lr_gamma", 0.5), total_updates=self.epochs * per_epoch,
                             warmup=cfg.get("warmup", 0))
        self.scheduled = cfg.get("lr_schedule", "constant") != "constant" or cfg.get("warmup", 0) > 0
        self.clip_norm, self.clipped = cfg.get("clip_norm", 0.0), 0
        self.updates, self.epoch, self.seconds = 0, 0, 0.0
        self.history: list[dict] = []
        self.stop_reason, self.message = None, ""

    def _evaluate(self, X, y) -> dict:
        self.net.eval()
        with torch.no_grad():
            pred = torch.cat([self.net(X[i:i + 16384]) for i in range(0, len(X), 16384)]).double() \
                if len(X) else torch.zeros((0, 1), dtype=torch.float64)
            yy = y.double() if self.task == "regression" else y
            loss = float(self.loss(pred, yy)) if len(X) else math.nan
        self.net.train()
        return scores(pred.cpu().numpy(), yy.cpu().numpy(), loss, self.task, self.y_std)

    def _epoch(self) -> None:
        self.sampler.set_epoch(self.epoch)
        idx = torch.tensor(list(self.sampler), dtype=torch.long, device=self.where.device)
        b = self.local_batch
        for start in range(0, len(idx), b):
            j = idx[start:start + b]
            loss = self.loss(self.ddp(self.X[j]), self.y[j])
            if self.lambdas:
                loss = loss + penalty(self.net.named_parameters(), self.lambdas)
            self.opt.zero_grad()
            loss.backward()
            if self.clip_norm and clip_global_norm(self.net.parameters(), self.clip_norm):
                self.clipped += 1
            if self.scheduled:
                self.opt.lr = lr_at(self.updates, self.cfg["lr"], self.cfg["lr_schedule"], **self.schedule)
            self.opt.step()
            self.updates += 1
        self.epoch += 1

    def train(self, log) -> None:
        patience = self.cfg.get("early_stopping", 0)
        best_val, since_best, best = math.inf, 0, None
        good = [p.detach().clone() for p in self.net.parameters()]
        t0 = time.perf_counter()
        while self.epoch < self.epochs:
            self._epoch()
            record = {"epoch": self.epoch, "updates": self.updates}
            for prefix, (X, y) in (("train", (self.X_eval, self.y_eval)), ("val", (self.Xv, self.yv))):
                record.update({f"{prefix}_{k}": v for k, v in self._evaluate(X, y).items()})
            if self.lambdas:
                with torch.no_grad():
                    record["penalty"] = float(penalty(self.net.named_parameters(), self.lambdas))
            if self.scheduled:
                record["lr"] = lr_at(self.updates - 1, self.cfg["lr"], self.cfg["lr_schedule"], **self.schedule)
            if self.clip_norm:
                record["clipped"] = self.clipped
            if not math.isfinite(record["train_loss"]):
                with torch.no_grad():
                    for p, g in zip(self.net.parameters(), good):
                        p.copy_(g)
                self.stop_reason = "diverged"
                self.message = (f"the loss became non-finite in epoch {self.epoch}; kept the weights of epoch "
                                f"{self.epoch - 1}. Try a smaller learning rate than {self.cfg['lr']:g}.")
                break
            self.history.append(record)
            good = [p.detach().clone() for p in self.net.parameters()]
            self.seconds = time.perf_counter() - t0
            log(f"epoch {self.epoch}/{self.epochs}  train loss {record['train_loss']:.5g}  "
                f"val loss {record['val_loss']:.5g}  ({self.updates:,} updates, "
                f"{self.updates / max(self.seconds, 1e-9):,.0f}/s)")
            self._checkpoint()
            val = record["val_loss"]
            if patience and math.isfinite(val):
                if val < best_val:
                    best_val, since_best, best = val, 0, [p.detach().clone() for p in self.net.parameters()]
                else:
                    since_best += 1
                    if since_best >= patience:
                        with torch.no_grad():
                            for p, g in zip(self.net.parameters(), best):
                                p.copy_(g)
                        self.stop_reason = "early_stopping"
                        self.message = (f"stopped early after epoch {self.epoch}: the validation loss has not "
                                        f"improved for {patience} epochs; kept the best weights "
                                        f"(epoch {self.epoch - patience}).")
                        break
        else:
            self.stop_reason = "epochs"
            self.message = f"finished {self.epoch} epochs ({self.updates} updates)."
        self.seconds = time.perf_counter() - t0

    def _checkpoint(self) -> None:
        if not self.where.main:
            return
        state = {f"optimizer.{k}": v for k, v in self.opt.state_tensors().items()}
        _save_weights(self.net, os.path.join(self.args.out, "checkpoint.safetensors"), state,
                      {"epoch": self.epoch, "updates": self.updates, "optimizer_t": self.opt.t})

    def metrics(self) -> dict:
        last = self.history[-1] if self.history else {}
        out = {k: v for k, v in last.items() if k not in ("epoch", "updates")}
        out.update(epochs=self.epoch, updates=self.updates, seconds=round(self.seconds, 4),
                   stop_reason=self.stop_reason, processes=self.where.world, global_batch=self.global_batch)
        return out


def main(argv: list[str] | None = None) -> int:
    where = None
    try:
        args = _parser().parse_args(argv)
        where = Distributed()
        log = (lambda msg: None) if args.quiet or not where.main else \
            (lambda msg: print(msg, file=sys.stderr, flush=True))
        spec = load_spec()
        if where.main:
            try:
                os.makedirs(args.out, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot make {args.out}: {exc.strerror or exc}") from None
        run = Run(args, spec, where)
        log(run.summary)
        run.train(log)
        log(run.message)
        if where.main:
            _save_weights(run.net, os.path.join(args.out, "weights.safetensors"))
            _atomic_json(os.path.join(args.out, "history.json"), run.history)
            metrics = run.metrics()
            _atomic_json(os.path.join(args.out, "metrics.json"), metrics)
            print(json.dumps({k: metrics[k] for k in ("train_loss", "val_loss", "val_r2", "val_mae", "val_accuracy",
                                                      "epochs", "updates", "seconds") if k in metrics}))
        if where.world > 1:
            dist.barrier()
        return 3 if run.stop_reason == "diverged" else 0
    except (UsageError, DataMismatch) as exc:
        if where is None or where.main:
            print(f"train.py: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if where is not None:
            where.close()


if __name__ == "__main__":
    sys.exit(main())
