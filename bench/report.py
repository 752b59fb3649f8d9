#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise rovl benchmark results as Markdown, CSV and an SVG chart.

Usage:
    report.py RESULTS.csv OUTDIR [--title TEXT] [--mode TEXT] [--command TEXT]

RESULTS.csv has the header ``workload,variant,backing,fs,rep,seconds``.  An
empty or ``nan`` seconds value marks a failed run.  Writes OUTDIR/results.md,
OUTDIR/summary.csv and OUTDIR/chart.svg (standard library only).
"""

import argparse
import csv
import math
import os
import statistics
import sys
from xml.sax.saxutils import escape

FS_ORDER = ["native", "overlay", "rovl", "fuse-overlayfs"]
BAR_FS = ["overlay", "rovl", "fuse-overlayfs"]
COLOURS = {"overlay": "#4e79a7", "rovl": "#f28e2b",
           "fuse-overlayfs": "#59a14f"}
# Candidate log-axis ticks; only those covering the data are drawn.
TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100,
         200, 500, 1000, 2000, 5000, 10000]
OK_RATIO = 1.05  # rovl/overlay up to this counts as "on par"


class Cell:
    """Repetitions of one (workload, variant, backing, fs)."""

    def __init__(self):
        self.values, self.failed = [], 0  # failed: runs with no time

    @property
    def n(self):
        return len(self.values)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    @property
    def spread(self):
        med = self.median
        return (max(self.values) - min(self.values)) / med * 100 if med \
            else None


def load(path):
    """Return (rows, backings, cells); rows are (workload, variant) pairs."""
    cells, wl_idx, row_idx, backings = {}, {}, {}, []
    with open(path, newline="") as f:
        for rec in csv.DictReader(f):
            wl = rec["workload"].strip()
            var = (rec["variant"] or "").strip() or "-"
            bk, fs = rec["backing"].strip(), rec["fs"].strip()
            if fs not in FS_ORDER:
                print(f"warning: unknown fs {fs!r} skipped", file=sys.stderr)
                continue
            wl_idx.setdefault(wl, len(wl_idx))
            row_idx.setdefault((wl, var), len(row_idx))
            if bk not in backings:
                backings.append(bk)
            cell = cells.setdefault((wl, var, bk, fs), Cell())
            try:
                val = float(rec["seconds"])
            except (TypeError, ValueError):
                val = math.nan
            if math.isfinite(val):
                cell.values.append(val)
            else:
                cell.failed += 1
    # Keep variants of one workload together even if the CSV interleaves them.
    rows = sorted(row_idx, key=lambda r: (wl_idx[r[0]], row_idx[r]))
    return rows, backings, cells


def ratio(a, b):
    if a is None or b is None or a.median is None or not b.median:
        return None
    return a.median / b.median


def fmt_sig3(v):
    """Three significant digits without exponent notation."""
    if v == 0:
        return "0"
    v = float(f"{v:.3g}")  # round first so 9.996 gives 10.0, not 10.00
    decimals = max(0, 2 - math.floor(math.log10(abs(v))))
    return f"{v:.{decimals}f}"


def fmt_cell(cell):
    if cell is None or cell.median is None:
        return "n/a"
    spread = cell.spread
    sp = f" ±{spread:.0f}%" if spread is not None else ""
    return f"{fmt_sig3(cell.median)} s{sp}"


def fmt_ratio(r, mark=False):
    if r is None:
        return "n/a"
    text = f"{r:.2f}"
    if mark:
        text += " ✓" if round(r, 2) <= OK_RATIO else " ✗"
    return text


def row_label(wl, var):
    return wl if var == "-" else f"{wl} ({var})"


def write_markdown(path, rows, backings, cells, args):
    out = [f"# {args.title}", "", f"**Mode:** {args.mode}", ""]
    if args.command:
        out += ["Reproduce with:", "", "```sh", args.command, "```", ""]
    out += ["**How to read:** times are elapsed seconds, lower is better. "
            "Each cell is `median ±spread` over the repetitions, with "
            "spread = (max − min) / median. Ratios are of medians. "
            f"rovl/overlay is marked ✓ when ≤ {OK_RATIO:.2f}, ✗ otherwise; "
            "n/a means missing or failed.", ""]
    head = ["Workload"] + FS_ORDER + ["rovl/overlay", "rovl/native",
                                      "overlay/native", "fuse/overlay"]
    for bk in backings:
        out += [f"## Backing: {bk}", "", "| " + " | ".join(head) + " |",
                "|---" + "|---:" * (len(head) - 1) + "|"]
        counts, failed = [], 0
        for wl, var in rows:
            c = {fs: cells.get((wl, var, bk, fs)) for fs in FS_ORDER}
            if not any(c.values()):
                continue
            present = [x for x in c.values() if x is not None]
            counts += [x.n for x in present]
            failed += sum(x.failed for x in present)
            line = [row_label(wl, var)] + [fmt_cell(c[fs]) for fs in FS_ORDER]
            line += [fmt_ratio(ratio(c["rovl"], c["overlay"]), mark=True),
                     fmt_ratio(ratio(c["rovl"], c["native"])),
                     fmt_ratio(ratio(c["overlay"], c["native"])),
                     fmt_ratio(ratio(c["fuse-overlayfs"], c["overlay"]))]
            out.append("| " + " | ".join(line) + " |")
        reps = f"{min(counts)}–{max(counts)}" if counts else "0"
        if counts and min(counts) == max(counts):
            reps = str(counts[0])
        note = f"; {failed} failed run(s) not counted" if failed else ""
        out += ["", f"Repetitions per cell: {reps}{note}.", ""]
    with open(path, "w") as f:
        f.write("\n".join(out))


def write_summary(path, rows, backings, cells):
    num = lambda v, fmt="{:.6g}": "" if v is None else fmt.format(v)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["workload", "variant", "backing", "fs", "n", "median",
                    "min", "max", "spread_pct", "ratio_vs_overlay",
                    "ratio_vs_native"])
        for bk in backings:
            for wl, var in rows:
                for fs in FS_ORDER:
                    c = cells.get((wl, var, bk, fs))
                    if c is None:
                        continue
                    lo, hi = (min(c.values), max(c.values)) if c.values \
                        else (None, None)
                    ov = ratio(c, cells.get((wl, var, bk, "overlay")))
                    nat = ratio(c, cells.get((wl, var, bk, "native")))
                    w.writerow([wl, var, bk, fs, c.n, num(c.median), num(lo),
                                num(hi), num(c.spread, "{:.1f}"),
                                num(ov, "{:.4f}"), num(nat, "{:.4f}")])


def chart_groups(rows, bk, cells):
    """Per row: (label, starred, {fs: (median, min, max) relative or None})."""
    groups = []
    for wl, var in rows:
        c = {fs: cells.get((wl, var, bk, fs)) for fs in FS_ORDER}
        if not any(c.values()):
            continue
        base, star = c["native"], False
        if base is None or base.median is None:
            # No native: fall back to overlay, starred only if it helps.
            base = c["overlay"]
            star = base is not None and base.median is not None
        bars = {}
        for fs in BAR_FS:
            x = c[fs]
            ok = x is not None and x.median is not None and base is not None \
                and base.median
            bars[fs] = (x.median / base.median, min(x.values) / base.median,
                        max(x.values) / base.median) if ok else None
        groups.append((row_label(wl, var) + ("*" if star else ""), star, bars))
    return groups


def write_chart(path, rows, backings, cells, args):
    width, ml, mr, plot_h = 1200, 80, 60, 300
    plot_w = width - ml - mr
    panels = [(bk, chart_groups(rows, bk, cells)) for bk in backings]
    vals = [v for _, gs in panels for _, _, bars in gs
            for b in bars.values() if b for v in b if v > 0]
    # Shared log scale so panels compare directly; always show 0.5..2.
    lo_v, hi_v = min(vals + [0.5]), max(vals + [2])
    lo = max([t for t in TICKS if t <= lo_v] or [TICKS[0]])
    hi = min([t for t in TICKS if t >= hi_v] or [TICKS[-1]])
    ticks = [t for t in TICKS if lo <= t <= hi]
    span = math.log10(hi) - math.log10(lo)
    labels = [g[0] for _, gs in panels for g in gs]
    # Labels are rotated 40 degrees; reserve room for the longest one.
    label_h = int(7 * max(map(len, labels or ["x"])) * 0.65) + 25

    svg, y = [], 0
    add = svg.append
    add(f'<text x="{width / 2}" y="32" text-anchor="middle" font-size="22" '
        f'font-weight="bold">{escape(args.title)}</text>')
    add(f'<text x="{width / 2}" y="56" text-anchor="middle" font-size="14" '
        f'fill="#444">{escape(args.mode)}</text>')
    lx = width / 2 - 250
    for fs in BAR_FS:
        add(f'<rect x="{lx}" y="70" width="14" height="14" '
            f'fill="{COLOURS[fs]}"/><text x="{lx + 20}" y="82" '
            f'font-size="14">{fs}</text>')
        lx += 40 + 8 * len(fs)
    add(f'<line x1="{lx}" y1="77" x2="{lx + 30}" y2="77" stroke="#000" '
        f'stroke-dasharray="6,4"/><text x="{lx + 36}" y="82" '
        f'font-size="14">native = 1.0 (time ÷ native median)</text>')
    y = 100
    for bk, groups in panels:
        star = any(g[1] for g in groups)
        top, bottom = y + 60, y + 60 + plot_h
        ypos = lambda v: bottom - plot_h * (math.log10(
            min(max(v, lo), hi)) - math.log10(lo)) / span
        add(f'<text x="{ml}" y="{y + 22}" font-size="17" '
            f'font-weight="bold">Backing: {escape(bk)}</text>')
        for t in ticks:
            ty = ypos(t)
            add(f'<line x1="{ml}" y1="{ty:.1f}" x2="{ml + plot_w}" '
                f'y2="{ty:.1f}" stroke="#ddd"/><text x="{ml - 8}" '
                f'y="{ty + 4:.1f}" text-anchor="end" font-size="12">'
                f'{t:g}×</text>')
        mid = (top + bottom) / 2
        add(f'<text x="20" y="{mid}" transform="rotate(-90 20 {mid})" '
            f'text-anchor="middle" font-size="13">time relative to native '
            f'(log scale)</text>')
        add(f'<rect x="{ml}" y="{top}" width="{plot_w}" height="{plot_h}" '
            f'fill="none" stroke="#888"/>')
        gw = plot_w / max(1, len(groups))
        bw = min(30, gw * 0.8 / len(BAR_FS))
        for i, (label, _, bars) in enumerate(groups):
            cx = ml + gw * (i + 0.5)
            for j, fs in enumerate(BAR_FS):
                bx = cx - bw * len(BAR_FS) / 2 + j * bw
                bc = bx + bw / 2
                b = bars[fs]
                if b is None:
                    add(f'<text x="{bc:.1f}" y="{bottom - 6}" font-size="10" '
                        f'fill="#888" transform="rotate(-90 {bc:.1f} '
                        f'{bottom - 6})">n/a</text>')
                    continue
                med, bmin, bmax = b
                by = ypos(med)
                tip = (f"{fs}, {label}, {bk}: {med:.2f}× "
                       f"({bmin:.2f}–{bmax:.2f})")
                add(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw - 2:.1f}" '
                    f'height="{bottom - by:.1f}" fill="{COLOURS[fs]}">'
                    f'<title>{escape(tip)}</title></rect>')
                wc, y1, y2 = bc - 1, ypos(bmin), ypos(bmax)
                add(f'<path d="M{wc:.1f},{y1:.1f}V{y2:.1f}M{wc - 4:.1f},'
                    f'{y1:.1f}h8M{wc - 4:.1f},{y2:.1f}h8" stroke="#222" '
                    f'fill="none"/>')
                vt = f"{med:.2f}" if med < 10 else f"{med:.3g}"
                add(f'<text x="{wc + 3:.1f}" y="{y2 - 4:.1f}" font-size="10" '
                    f'transform="rotate(-90 {wc + 3:.1f} {y2 - 4:.1f})">'
                    f'{vt}</text>')
            ly = bottom + 14
            add(f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" '
                f'font-size="13" transform="rotate(-40 {cx:.1f} {ly})">'
                f'{escape(label)}</text>')
        ry = ypos(1)
        add(f'<line x1="{ml}" y1="{ry:.1f}" x2="{ml + plot_w}" y2="{ry:.1f}" '
            f'stroke="#000" stroke-width="1.5" stroke-dasharray="6,4"/>'
            f'<text x="{ml + plot_w + 5}" y="{ry + 4:.1f}" font-size="12" '
            f'font-style="italic">native</text>')
        y = bottom + label_h
        if star:
            add(f'<text x="{ml}" y="{y}" font-size="12" fill="#444">'
                f'* relative to overlay (no native)</text>')
            y += 10
        y += 20
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{y}" viewBox="0 0 {width} {y}" '
            f'font-family="sans-serif">\n<rect width="100%" height="100%" '
            f'fill="#fff"/>\n')
    with open(path, "w") as f:
        f.write(head + "\n".join(svg) + "\n</svg>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", help="results CSV")
    ap.add_argument("outdir", help="directory for the report files")
    ap.add_argument("--title", default="rovl benchmarks")
    ap.add_argument("--mode", default="unspecified",
                    help='how times were measured, e.g. "QEMU -icount"')
    ap.add_argument("--command", default="", help="command to reproduce")
    args = ap.parse_args()
    rows, backings, cells = load(args.results)
    if not rows:
        sys.exit(f"{args.results}: no results")
    os.makedirs(args.outdir, exist_ok=True)
    paths = [os.path.join(args.outdir, n)
             for n in ("results.md", "summary.csv", "chart.svg")]
    write_markdown(paths[0], rows, backings, cells, args)
    write_summary(paths[1], rows, backings, cells)
    write_chart(paths[2], rows, backings, cells, args)
    print("\n".join(paths))


if __name__ == "__main__":
    main()
