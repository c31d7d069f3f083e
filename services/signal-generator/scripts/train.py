#!/usr/bin/python3
"""Trains one binary:logistic XGBoost model per symbol and timeframe from a feature
dump (cte-dump-features) and writes <MODEL_DIR>/<BASE>-<QUOTE>_<tf>/{model.json,meta.json}
for the signal generator's model registry.

  /usr/bin/python3 train.py --data BTC-USD_1h.csv --model-dir services/signal-generator/models

Needs numpy and xgboost (Debian: apt-get install python3-xgboost); nothing else.

Method, chosen so that the reported metrics are honest:
- rows are in time order; the last 30 % are held out as validation (15 %) then test (15 %);
- between consecutive splits H rows are dropped (H = label horizon), so no training label
  window overlaps a validation/test label window (the label of row t uses close[t+H]);
- early stopping watches the validation logloss; the test split is touched once, at the end,
  by the model that is shipped (trained on the train split only, cut at the best iteration);
- price-level features (raw prices, price-unit indicators, OBV, volume levels) are left out
  by default: they are not stationary (BTC traded at 2.5k-20k in the training years) and a
  tree split on "close < 9000" says nothing about a different era. The model uses the rest,
  a subset of the pipeline's features, by name.
"""
import argparse
import datetime as dt
import hashlib
import json
import math
import os
import re
import sys
import tempfile

import numpy as np
import xgboost as xgb

# Features in price units or raw levels (see the pipeline's FEATURE_SPECS).
DEFAULT_EXCLUDE = (
    r"^(close|obv|log_volume|atr_\d+)$"
    r"|^(ema|sma)_\d+$"
    r"|^macd(_signal|_hist)?_\d+_\d+_\d+$"
    r"|^bb_(upper|lower)_"
    r"|^dc_(upper|lower)_\d+$"
    r"|^donchian_(high|low)_"
)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="CSV from cte-dump-features (its <csv>.meta.json sidecar is read too)")
    p.add_argument("--model-dir", required=True, help="MODEL_DIR; the model goes to <dir>/<BASE>-<QUOTE>_<tf>/")
    p.add_argument("--exclude", default=DEFAULT_EXCLUDE, help="regex of feature names to leave out ('' keeps all)")
    p.add_argument("--validation", type=float, default=0.15, help="share of rows for early stopping (default 0.15)")
    p.add_argument("--test", type=float, default=0.15, help="share of rows held out for the reported metrics (default 0.15)")
    p.add_argument("--rounds", type=int, default=200, help="maximum boosting rounds (default 200)")
    p.add_argument("--early-stopping", type=int, default=30, help="rounds without validation improvement (default 30)")
    p.add_argument("--max-depth", type=int, default=4)
    p.add_argument("--eta", type=float, default=0.05)
    p.add_argument("--min-rows", type=int, default=2000, help="refuse to train on fewer rows (default 2000)")
    p.add_argument("--seed", type=int, default=42)
    return p.parse_args(argv)


def load(csv_path):
    with open(csv_path + ".meta.json") as f:
        side = json.load(f)
    with open(csv_path) as f:
        header = f.readline().strip().split(",")
    if header[0] != "open_time" or header[-2:] != ["fwd_return", "label"]:
        sys.exit(f"{csv_path}: expected columns open_time,<features...>,fwd_return,label")
    data = np.loadtxt(csv_path, delimiter=",", skiprows=1, ndmin=2)
    return side, header[1:-2], data


def auc(y, p):
    """Area under the ROC curve (Mann-Whitney U, ties get average ranks)."""
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def logloss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def metrics(y, p, base_rate_train):
    return {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "base_rate": float(y.mean()),
        "auc": auc(y, p),
        "logloss": logloss(y, p),
        "accuracy": float(((p > 0.5) == (y == 1)).mean()),
        # What a model that knows nothing scores: always the training base rate / the majority class.
        "logloss_constant": logloss(y, np.full(len(y), base_rate_train)),
        "accuracy_majority": float(max(y.mean(), 1 - y.mean())),
        "mean_prediction": float(p.mean()),
        # What the ml_model agent (BUY at p >= t, SELL at p <= 1 - t) would do at its default t = 0.6:
        # how often each side fires and how often the label agreed (1 for BUY, 0 for SELL).
        "buy_at_0_6": int((p >= 0.6).sum()),
        "buy_at_0_6_hit_rate": float(y[p >= 0.6].mean()) if (p >= 0.6).any() else None,
        "sell_at_0_6": int((p <= 0.4).sum()),
        "sell_at_0_6_hit_rate": float(1 - y[p <= 0.4].mean()) if (p <= 0.4).any() else None,
    }


def iso(ms):
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def write_atomic(path, text):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv):
    a = parse_args(argv)
    side, names, data = load(a.data)
    if names != side["feature_names"]:
        sys.exit(f"{a.data}: columns differ from the sidecar's feature_names")
    horizon = int(side["label"]["horizon_bars"])
    n = len(data)
    if n < a.min_rows:
        sys.exit(f"{a.data}: {n} rows, fewer than --min-rows {a.min_rows}; not enough data to train and evaluate honestly")

    exclude = re.compile(a.exclude) if a.exclude else None
    keep = [i for i, name in enumerate(names) if not (exclude and exclude.search(name))]
    features = [names[i] for i in keep]
    x_all = data[:, 1:-2][:, keep]
    y_all = data[:, -1]
    t_all = data[:, 0].astype(np.int64)
    if not np.all(np.diff(t_all) > 0):
        sys.exit(f"{a.data}: rows are not in increasing open_time order")

    # train | gap H | validation | gap H | test
    n_test = int(round(n * a.test))
    n_val = int(round(n * a.validation))
    test_start = n - n_test
    val_end = test_start - horizon
    val_start = val_end - n_val
    train_end = val_start - horizon
    if train_end < a.min_rows // 2 or n_val < 100 or n_test < 100:
        sys.exit(f"{a.data}: {n} rows are too few for the splits")
    split = {
        "train": slice(0, train_end),
        "validation": slice(val_start, val_end),
        "test": slice(test_start, n),
    }

    def dm(s):
        return xgb.DMatrix(x_all[s], label=y_all[s], feature_names=features, missing=np.nan)

    d_train, d_val, d_test = dm(split["train"]), dm(split["validation"]), dm(split["test"])
    base_rate = float(y_all[split["train"]].mean())
    params = {
        "objective": "binary:logistic",
        "eval_metric": ["auc", "logloss"],  # the last one drives early stopping
        "tree_method": "hist",
        "max_depth": a.max_depth,
        "eta": a.eta,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 10,
        "lambda": 5.0,
        "base_score": base_rate,
        "seed": a.seed,
        "nthread": 1,
    }
    evals_result = {}
    bst = xgb.train(
        params,
        d_train,
        num_boost_round=a.rounds,
        evals=[(d_train, "train"), (d_val, "validation")],
        early_stopping_rounds=a.early_stopping,
        evals_result=evals_result,
        verbose_eval=False,
    )
    best = int(bst.best_iteration)
    bst = bst[: best + 1]  # ship exactly the trees that were evaluated

    out = {}
    for name, d in (("train", d_train), ("validation", d_val), ("test", d_test)):
        out[name] = metrics(d.get_label(), bst.predict(d), base_rate)

    symbol = side["symbol"]
    tf = side["timeframe"]
    key = f"{symbol.replace('/', '-')}_{tf}"
    target = os.path.join(a.model_dir, key)
    os.makedirs(target, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        bst.save_model(path)
        with open(path) as f:
            model_text = f.read()
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    version = f"{created.strftime('%Y%m%dT%H%M%SZ')}-{hashlib.sha256(model_text.encode()).hexdigest()[:8]}"

    # A few held-out rows with XGBoost's own predictions: the registry re-predicts them on
    # load and refuses the model if its TypeScript inference disagrees (> 1e-5).
    pick = np.linspace(test_start, n - 1, 8).astype(int)
    check_x = x_all[pick]
    check_p = bst.predict(xgb.DMatrix(check_x, feature_names=features, missing=np.nan))
    selfcheck = {
        "features": [[None if math.isnan(v) else float(v) for v in row] for row in check_x],
        "predictions": [float(v) for v in check_p],
    }

    importance = bst.get_score(importance_type="gain")
    top = sorted(importance.items(), key=lambda kv: -kv[1])[:15]
    tr = split["train"]
    meta = {
        "symbol": symbol,
        "timeframe": tf,
        "version": version,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "objective": "binary:logistic",
        "feature_names": features,
        "training_window": {"from": int(t_all[tr][0]), "to": int(t_all[tr][-1])},
        "label": side["label"],
        "metrics": {
            "validation": out["validation"],
            "test": out["test"],
            "train": out["train"],
            "best_iteration": best,
            "trees": best + 1,
        },
        "splits": {
            name: {"from": int(t_all[s][0]), "to": int(t_all[s][-1]), "rows": int(len(t_all[s]))} for name, s in split.items()
        },
        "split_gap_rows": horizon,
        "params": {k: v for k, v in params.items() if k != "eval_metric"},
        "excluded_features": [nm for nm in names if nm not in features],
        "top_features_by_gain": [[k, round(v, 4)] for k, v in top],
        "source": side["source"],
        "dataset": {"rows": n, "positives": int(y_all.sum()), "dropped": side.get("dropped")},
        "selfcheck": selfcheck,
        "xgboost_version": xgb.__version__,
        "trained_by": "services/signal-generator/scripts/train.py",
    }
    write_atomic(os.path.join(target, "model.json"), model_text)
    write_atomic(os.path.join(target, "meta.json"), json.dumps(meta, indent=2) + "\n")

    def fmt(m):
        a_ = "n/a" if m["auc"] is None else f"{m['auc']:.4f}"
        return (
            f"AUC {a_}  logloss {m['logloss']:.4f} (constant {m['logloss_constant']:.4f})  "
            f"accuracy {m['accuracy']:.4f} (majority {m['accuracy_majority']:.4f})  "
            f"base rate {m['base_rate']:.3f}  rows {m['rows']}"
        )

    def decisions(m):
        def rate(v):
            return "n/a" if v is None else f"{v:.3f}"

        return (
            f"at t=0.6: BUY {m['buy_at_0_6']} (hit {rate(m['buy_at_0_6_hit_rate'])}), "
            f"SELL {m['sell_at_0_6']} (hit {rate(m['sell_at_0_6_hit_rate'])})"
        )

    print(f"{key}: {len(features)} of {len(names)} features, {best + 1} trees (best iteration {best}), version {version}")
    for name, s in split.items():
        print(f"  {name:<10} {iso(t_all[s][0])[:10]} .. {iso(t_all[s][-1])[:10]}  {fmt(out[name])}")
        print(f"  {'':<10} {'':<24}  {decisions(out[name])}")
    print(f"  wrote {target}/model.json, meta.json")


if __name__ == "__main__":
    main(sys.argv[1:])
