"""Trains the fraud model MLServer serves, at image build time, from the sample's own training rows.

    python train.py train.csv /models/v1/model.joblib

The CSV is what scripts/export-training-data.ts writes (the rows the sample's v1 learned from). The model
takes the raw request rows the load sends (8 features, in the sample's order) and does its own transforms,
so it is one scikit-learn Pipeline: nothing but scikit-learn and numpy is needed to load it. Deterministic:
no randomness beyond fixed seeds, and BLAS is held to one thread (the build sets it) so summation order,
and with it every byte of the artifact, is the same on every build.
"""

import csv
import hashlib
import json
import sys

import joblib
import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler

FEATURES = [
    "amount",
    "hour",
    "merchant_risk",
    "distance_km",
    "txn_count_24h",
    "account_age_days",
    "foreign",
    "device_change",
]
# The sample's transforms: heavy-tailed counts and amounts on a log scale, the hour cyclic (23:00 next to
# 01:00, here by periodic splines rather than one cosine), the rest as they are.
LOG_SCALED = [0, 3, 4, 5]
HOUR = [1]
AS_IS = [2, 6, 7]


def load(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != FEATURES + ["label"]:
            sys.exit(f"{path}: unexpected columns {header}")
        rows = [[float(v) for v in r] for r in reader]
    data = np.asarray(rows, dtype=np.float64)
    return data[:, :-1], data[:, -1].astype(np.int64)


def pipeline():
    features = ColumnTransformer(
        [
            ("log", Pipeline([("log1p", FunctionTransformer(np.log1p)), ("scale", StandardScaler())]), LOG_SCALED),
            (
                "hour",
                SplineTransformer(
                    degree=3, knots=np.linspace(0, 24, 7).reshape(-1, 1), extrapolation="periodic"
                ),
                HOUR,
            ),
            ("as_is", "passthrough", AS_IS),
        ]
    )
    return Pipeline(
        [("features", features), ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=1))]
    )


def main():
    csv_path, out = sys.argv[1], sys.argv[2]
    x, y = load(csv_path)
    model = pipeline().fit(x, y)
    joblib.dump(model, out)
    with open(out, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(csv_path, "rb") as f:
        data_digest = hashlib.sha256(f.read()).hexdigest()
    proba = model.predict_proba(x)[:, 1]
    report = {
        "artifact": out.rsplit("/", 1)[-1],
        "sha256": digest,
        "trainingData": {"rows": int(len(y)), "sha256": data_digest, "fraudRate": round(float(y.mean()), 4)},
        "trainingAccuracy": round(float(accuracy_score(y, model.predict(x))), 4),
        "trainingAuc": round(float(roc_auc_score(y, proba)), 4),
        "scikitLearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
