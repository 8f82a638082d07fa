"""The package's README.md: what is in the folder and the exact commands."""
from __future__ import annotations

__all__ = ["package_readme"]


def package_readme(name: str, spec: dict) -> str:
    cfg, data = spec["training"], spec["data"]
    task = data["task"]
    scores = "val_r2, val_mae" if task == "regression" else "val_accuracy"
    lags = "lag windows, " if data["series"] else ""
    n_features = len(data["feature_names"])
    weights = "trained in NetCanvas" if spec["trained"] else "fresh from the seed (the project was not trained)"
    return f"""# {name}: PyTorch training package

Written by NetCanvas (`python main.py export-torch`). It does not import NetCanvas.

| file | what it is |
|---|---|
| `model.py` | the network as an `nn.Module`: one attribute per node, `forward` in the graph's order |
| `data.py` | reads a CSV with pandas and prepares it exactly as the project did (`spec.json`: columns, \
one-hot categories, {lags}missing-value rules, split; the normalization NetCanvas fitted on its training rows) |
| `train.py` | DDP training with `torchrun` (gloo on CPU, nccl on CUDA) |
| `rules.py` | NetCanvas's losses, optimizers (its exact update rules) and scores |
| `weights.safetensors` | the weights, {weights} |
| `golden.npz`, `verify.py` | {n_features}-feature rows and NetCanvas's predictions for them; the check |
| `spec.json` | the data spec, normalization statistics and training settings |

## Commands

```
pip install -r requirements.txt
python verify.py                                   # exit 0: the package reproduces NetCanvas (1e-5 relative)
python data.py FILE.csv                            # how a file would be prepared (or why it does not fit)
python train.py --csv FILE.csv                     # one process
torchrun --nproc_per_node=4 train.py --csv FILE.csv --epochs 20 --out run
```

`train.py` options: `--epochs E` (default {cfg['epochs']}), `--from-scratch` (fresh weights drawn as NetCanvas
draws them for seed {cfg['seed']}), `--out RUN_DIR` (default `run`), `--batch-size B` (global, default
{cfg['batch_size']}), `--float64`.

The project's settings: loss {cfg['loss']}, optimizer {cfg['optimizer']}, η = {cfg['lr']:g}, global batch
{cfg['batch_size']}, seed {cfg['seed']}, validation {data['val_fraction']:.0%} ({data['split']}), early stopping
{cfg['early_stopping'] or 'off'}, {cfg['dtype']}.

**Batches across processes.** The global batch B is split evenly: with `--nproc_per_node=N` each
process takes B/N rows of each update (B must be a multiple of N) from a `DistributedSampler`, and
DDP averages the gradients, so N processes make the same updates as one process with batch B and
the same seed (exactly so when the training rows are a multiple of N; otherwise the sampler repeats
up to N−1 rows per epoch). To keep the steps the same, keep B and scale N; a larger B changes the
training (more rows per update, fewer updates per epoch).

**Run folder.** `RUN_DIR/metrics.json` holds train_loss, val_loss, epochs, updates, seconds and
{scores}; `RUN_DIR/history.json` one record per epoch; `RUN_DIR/checkpoint.safetensors` the
weights and optimizer state after the last epoch; `RUN_DIR/weights.safetensors` the final weights
(load with `Net().load_state_dict(weights_io.load_state_dict(path))`).

**A file that does not fit** (a missing column, a category or class the project never saw, text in a
number column) stops with one line and exit status 2. Divergence is checked at each epoch's end (exit 3).
"""
