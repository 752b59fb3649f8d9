#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two benchmark runs' rovl/overlay ratios, workload by workload.

Usage:
    compare.py BEFORE/summary.csv AFTER/summary.csv [--threshold PCT]

Both files are report.py's summary.csv. For each workload, variant and backing found
in both, prints the rovl/overlay ratio of the medians before and after, how much it
moved (in percent of the before ratio), and the spread of rovl's and overlay's runs in
each. overlayfs is the same code in both runs, so its own change from one run to the
other is printed too: a control for the noise of the machine. A line is marked when
the ratio moved by more than the threshold (default 2 %) and the move is larger than
the spreads of the runs behind it; "noisy" when it moved by more than the threshold
but within those spreads. Standard library only.
"""

import argparse
import csv
import sys


def load(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["workload"], r["variant"], r["backing"])
            rows.setdefault(key, {})[r["fs"]] = r
    return rows


def num(r, field):
    try:
        return float(r[field])
    except (KeyError, TypeError, ValueError):
        return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--threshold", type=float, default=2.0)
    args = ap.parse_args()
    before, after = load(args.before), load(args.after)
    print("| workload | backing | rovl/overlay before | after | moved | overlay moved"
          " | spreads (rovl, overlay) before / after | |")
    print("|---|---|---:|---:|---:|---:|---|---|")
    moved_any = 0
    for key in sorted(set(before) & set(after)):
        b, a = before[key], after[key]
        if not all(fs in d for d in (b, a) for fs in ("rovl", "overlay")):
            continue
        rb = num(b["rovl"], "median") / num(b["overlay"], "median")
        ra = num(a["rovl"], "median") / num(a["overlay"], "median")
        if rb != rb or ra != ra:
            continue
        moved = (ra / rb - 1) * 100
        ov = (num(a["overlay"], "median") / num(b["overlay"], "median") - 1) * 100
        spreads = [num(d[fs], "spread_pct") for d in (b, a) for fs in ("rovl", "overlay")]
        mark = ""
        if abs(moved) > args.threshold:
            moved_any += 1
            mark = "noisy" if abs(moved) <= max(spreads) else "**moved**"
        workload, variant, backing = key
        name = workload if variant in ("", "-") else f"{workload} ({variant})"
        print(f"| {name} | {backing} | {rb:.3f} | {ra:.3f} | {moved:+.1f}% | {ov:+.1f}%"
              f" | {spreads[0]:.0f}%, {spreads[1]:.0f}% / {spreads[2]:.0f}%, {spreads[3]:.0f}% | {mark} |")
    print(f"\n{moved_any} ratio(s) moved by more than {args.threshold:g} %.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
