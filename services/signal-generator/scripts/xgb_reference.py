#!/usr/bin/python3
"""Trains small XGBoost models on synthetic data (fixed seed) and writes, per case,
<case>.model.json (Booster.save_model), <case>.input.json ({"features": [[...]]},
null = missing) and <case>.expected.json (predictions = margins,
predictions_transformed) into OUT_DIR -- the layout of ../shared/data/xgboost/boosters.

The TypeScript inference test (src/__tests__/xgboost-python.test.ts) runs this with
Debian's python3-xgboost and checks its predictions against these.

Usage: /usr/bin/python3 xgb_reference.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

SEED = 20240611
N_TRAIN = 600
N_TEST = 50


def features(rng, n, d, missing_rate=0.0):
    x = rng.normal(size=(n, d))
    x[:, 0] *= 10.0  # a wider-ranged feature
    x[:, 1] = np.round(x[:, 1], 1)  # many ties at split thresholds
    if missing_rate > 0:
        x[rng.random(size=x.shape) < missing_rate] = np.nan
    return x


def linear_signal(x):
    z = np.nan_to_num(x, nan=0.0)
    return 0.08 * z[:, 0] - 0.9 * z[:, 1] + 0.6 * z[:, 2] * z[:, 3] + 0.3 * np.sin(3 * z[:, 4])


def write_case(out_dir, name, booster, x_test, num_class):
    booster.save_model(os.path.join(out_dir, f"{name}.model.json"))
    dm = xgb.DMatrix(x_test, missing=np.nan)
    margin = booster.predict(dm, output_margin=True)
    pred = booster.predict(dm)
    rows = [[None if np.isnan(v) else float(v) for v in row] for row in x_test]
    with open(os.path.join(out_dir, f"{name}.input.json"), "w") as f:
        json.dump({"features": rows, "num_rows": len(rows), "num_features": int(x_test.shape[1])}, f)
    with open(os.path.join(out_dir, f"{name}.expected.json"), "w") as f:
        json.dump(
            {
                "predictions": margin.astype(float).tolist(),
                "predictions_transformed": pred.astype(float).tolist(),
                "num_class": num_class,
                "xgboost_version": xgb.__version__,
            },
            f,
        )


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: xgb_reference.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    d = 6

    # binary:logistic, gbtree, missing values in training and test data, non-default base_score.
    x = features(rng, N_TRAIN + N_TEST, d, missing_rate=0.15)
    p = 1 / (1 + np.exp(-linear_signal(x)))
    y = (rng.random(len(x)) < p).astype(float)
    bst = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "base_score": 0.35, "seed": 1},
        xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN], missing=np.nan),
        num_boost_round=40,
    )
    write_case(out_dir, "py_gbtree_binary_logistic_missing", bst, x[N_TRAIN:], 0)

    # multi:softprob, 3 classes.
    x = features(rng, N_TRAIN + N_TEST, d, missing_rate=0.05)
    s = linear_signal(x)
    y = np.digitize(s + 0.3 * rng.normal(size=len(s)), [-0.5, 0.5]).astype(float)
    bst = xgb.train(
        {"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "eta": 0.3, "seed": 2},
        xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN], missing=np.nan),
        num_boost_round=25,
    )
    write_case(out_dir, "py_gbtree_multi_softprob", bst, x[N_TRAIN:], 3)

    # reg:squarederror, gbtree, deeper trees.
    x = features(rng, N_TRAIN + N_TEST, d)
    y = 5 * linear_signal(x) + rng.normal(size=len(x))
    bst = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "base_score": 1.5, "seed": 3},
        xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN]),
        num_boost_round=60,
    )
    write_case(out_dir, "py_gbtree_reg_squarederror", bst, x[N_TRAIN:], 0)

    # reg:logistic on a target in [0, 1].
    y01 = 1 / (1 + np.exp(-linear_signal(x)))
    bst = xgb.train(
        {"objective": "reg:logistic", "max_depth": 3, "eta": 0.3, "seed": 4},
        xgb.DMatrix(x[:N_TRAIN], label=y01[:N_TRAIN]),
        num_boost_round=20,
    )
    write_case(out_dir, "py_gbtree_reg_logistic", bst, x[N_TRAIN:], 0)

    # dart, binary:logistic with dropout during training (prediction uses every tree, weighted).
    x = features(rng, N_TRAIN + N_TEST, d, missing_rate=0.1)
    p = 1 / (1 + np.exp(-linear_signal(x)))
    y = (rng.random(len(x)) < p).astype(float)
    bst = xgb.train(
        {"booster": "dart", "objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "rate_drop": 0.2,
         "skip_drop": 0.0, "seed": 5},
        xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN], missing=np.nan),
        num_boost_round=30,
    )
    write_case(out_dir, "py_dart_binary_logistic", bst, x[N_TRAIN:], 0)

    # gblinear, regression and binary.
    x = features(rng, N_TRAIN + N_TEST, d, missing_rate=0.1)
    y = 5 * linear_signal(x) + rng.normal(size=len(x))
    bst = xgb.train(
        {"booster": "gblinear", "objective": "reg:squarederror", "eta": 0.5, "seed": 6},
        xgb.DMatrix(x[:N_TRAIN], label=y[:N_TRAIN], missing=np.nan),
        num_boost_round=30,
    )
    write_case(out_dir, "py_gblinear_reg_squarederror", bst, x[N_TRAIN:], 0)
    yb = (y > np.median(y)).astype(float)
    bst = xgb.train(
        {"booster": "gblinear", "objective": "binary:logistic", "eta": 0.5, "seed": 7},
        xgb.DMatrix(x[:N_TRAIN], label=yb[:N_TRAIN], missing=np.nan),
        num_boost_round=30,
    )
    write_case(out_dir, "py_gblinear_binary_logistic", bst, x[N_TRAIN:], 0)
    print(json.dumps({"xgboost": xgb.__version__, "out_dir": out_dir}))


if __name__ == "__main__":
    main()
