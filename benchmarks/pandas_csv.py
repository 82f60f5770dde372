"""The pandas script users compare ``kamflow evaluate`` with: the default pack's value-potential
model computed from the import CSV files themselves (customers, products, orders, payments).

It reads the same files ``kamflow import`` loads, in the same SPEC §6 columns, and computes the
same metrics, points, axis scores and median-split segments as ``rules/value_potential.yaml``
(the model code is ``eval_bench.scores_from_frames``, shared with the in-process benchmark).
Prints one line: customers and segment counts; ``--out FILE`` writes code,value,potential,segment.

    python benchmarks/pandas_csv.py FOLDER --as-of 2026-03-31
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_bench import PROFILE_KEYS, scores_from_frames  # noqa: E402

TRUE = {"true", "1", "yes"}


def cents(column):
    """Yuan with at most two decimals as integer cents (exact: ``round`` of the scaled value)."""
    import numpy as np
    import pandas as pd

    return pd.Series(np.round(column.to_numpy(dtype=float) * 100), index=column.index
                     ).astype("Int64")


def read_folder(folder: Path):
    """The four tables as ``scores_from_frames`` wants them, keyed by codes."""
    import pandas as pd

    text = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    customers = pd.read_csv(folder / "customers.csv", usecols=["code", "type", "status",
                                                                *PROFILE_KEYS], **text)
    scope = customers[(customers["type"] == "hospital") &
                      customers["status"].fillna("active").isin(["active"])]
    profiles = scope.set_index("code")[list(PROFILE_KEYS)]
    profiles.index.name = "customer_id"
    for key in ("beds", "region_growth"):
        profiles[key] = pd.to_numeric(profiles[key])
    products = pd.read_csv(folder / "products.csv", usecols=["code", "product_line", "is_new"],
                           **text).rename(columns={"code": "id"})
    products["is_new"] = products["is_new"].fillna("false").str.lower().isin(TRUE)
    orders = pd.read_csv(folder / "orders.csv", usecols=["customer", "date", "product_code",
                                                         "amount", "cost"],
                         dtype={"customer": str, "date": str, "product_code": str})
    orders = pd.DataFrame({"customer_id": orders["customer"], "date": orders["date"],
                           "product_id": orders["product_code"],
                           "amount_cents": cents(orders["amount"]),
                           "cost_cents": cents(orders["cost"])})
    payments = pd.read_csv(folder / "payments.csv", usecols=["customer", "invoice_date",
                                                             "paid_date"], dtype=str)
    payments = payments.rename(columns={"customer": "customer_id"})
    return profiles, products, orders, payments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    scores = scores_from_frames(*read_folder(args.folder), args.as_of)
    counts = scores["segment"].value_counts().to_dict()
    print(f"{len(scores)} customers: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.out:
        scores.rename_axis("code").to_csv(args.out)


if __name__ == "__main__":
    main()
