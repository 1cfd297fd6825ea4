#!/usr/bin/python3
"""The model benchmark's closing table (bench/run.sh runs it after every model and the sweep).

Reads OUT/<model>/results.json (bpusim_bench_resnet18's figures) for each model of --models and
prints one row per model: simulated cycles, bpusim run (SystemC) and golden wall time (one
thread each), PyTorch qnnpack and onednn at each thread count, the ratios at the first thread
count (sim/qnnpack, sim/onednn, golden/qnnpack), simulated MACs per wall second, peak RSS and
the checks (bit-exact with golden, golden within the allowed distance of PyTorch, RTL equal to
SystemC when run). Then `bpusim sweep`'s throughput (configurations per minute, per --jobs)
from OUT/sweep/jobs<N>.json and the wall times run.sh measured, and the load average before and
after. Exit status 1 when a model that run.sh reports as passed has no results.json.
"""

import argparse
import json
import os

NAMES = {"resnet18": "ResNet-18", "resnet50": "ResNet-50", "mobilenet_v2": "MobileNetV2"}


def fmt(v, spec=".1f"):
    return "n/a" if v is None else format(v, spec)


def checks(r):
    """'ok', or what failed, from one results.json."""
    bad = []
    if not r.get("bit_exact"):
        bad.append("sim != golden")
    agreement = r.get("pytorch_agreement")
    if agreement is None:
        bad.append("golden vs PyTorch not compared")
    elif not agreement.get("within_allowed", False):
        bad.append(f"golden vs PyTorch {agreement['max_lsb']:.0f} LSB")
    c = r.get("rtl_vs_systemc")
    if c is not None and not (c["outputs_equal"] and c["cycles"]["difference"] == 0
                              and c["instructions_differing"] == 0):
        bad.append("RTL != SystemC")
    return "ok" if not bad else "NO: " + ", ".join(bad)


def load_results(out, models):
    """{model: its results.json, or None when the C++ half wrote none}."""
    results = {}
    for m in models:
        path = os.path.join(out, m, "results.json")
        results[m] = None
        if os.path.exists(path):
            with open(path) as f:
                results[m] = json.load(f)
    return results


def model_row(m, r, rc):
    """One model's table row (cells)."""
    if r is None:
        return [NAMES.get(m, m), f"no results (exit {rc})"]
    counts = [str(n) for n in r["pytorch_thread_counts"]]
    by = r["by_threads"]
    first = by[counts[0]]
    check = checks(r)
    if rc != "0":  # e.g. a crash after results.json, or checks this table does not repeat
        check = f"FAILED (exit {rc})" + ("" if check == "ok" else f": {check}")
    rtl = f"; RTL run {r['rtl']['wall_ms'] / 1e3:.1f} s" if "rtl" in r else ""
    return [
        NAMES.get(m, m), r["input_shape"].replace(" ", ""), f"{r['cycles']:,}",
        fmt(r["time_ms"]["bpusim_run"]), fmt(r["time_ms"]["golden"]),
        "/".join(fmt(by[n]["pytorch_qnnpack_ms"]) for n in counts),
        "/".join(fmt(by[n]["pytorch_onednn_ms"]) for n in counts),
        fmt(first["sim_over_qnnpack"], ".2f"), fmt(first["sim_over_onednn"], ".2f"),
        fmt(first["golden_over_qnnpack"], ".2f"), fmt(r["macs_per_second"] / 1e9, ".2f"),
        fmt(r["peak_rss_mib"], ".0f"), check + rtl,
    ]


def print_table(header, rows):
    widths = [max(len(row[i]) for row in [header] + rows if i < len(row))
              for i in range(len(header))]
    for row in [header] + rows:
        cells = [c.rjust(widths[i]) if 0 < i < len(header) - 1 else c.ljust(widths[i])
                 for i, c in enumerate(row)]
        print("  ".join(cells).rstrip())


def sweep_lines(out, sweeps):
    """A title naming the axes (from the sweep's JSON), then one line per --jobs value:
    configurations, wall time, configurations per minute."""
    lines, axes = [], None
    for s in sweeps:
        jobs, wall_s, rc = s.split(":")
        path = os.path.join(out, "sweep", f"jobs{jobs}.json")
        if not os.path.exists(path):
            lines.append(f"  --jobs {jobs}: no result (exit {rc})")
            continue
        with open(path) as f:
            sweep = json.load(f)
        rows = sweep["rows"]
        axes = axes or " x ".join(f"{a['key']}={','.join(a['values'])}" for a in sweep["axes"])
        wall = float(wall_s)
        ok = sum(r.get("status") == "ok" for r in rows)
        lines.append(f"  --jobs {jobs}: {len(rows)} configurations in {wall:.1f} s: "
                     f"{len(rows) / wall * 60:.1f} configurations/min"
                     + ("" if ok == len(rows) and rc == "0"
                        else f"  (FAILED: {len(rows) - ok} not ok, exit {rc})"))
    return [f"bpusim sweep, ResNet-18 ({axes or 'no result'}):"] + lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="directory of the models' directories")
    ap.add_argument("--models", required=True, help="comma-separated, in run order")
    ap.add_argument("--status", nargs="*", default=[], help="MODEL=EXIT of each model's run")
    ap.add_argument("--sweep", action="append", default=[], help="JOBS:WALL_S:EXIT per sweep")
    ap.add_argument("--load", nargs=2, metavar=("BEFORE", "AFTER"),
                    help="load averages (1/5/15 min) before and after, as /proc/loadavg's")
    args = ap.parse_args()
    models = args.models.split(",")
    status = dict(s.split("=", 1) for s in args.status)
    results = load_results(args.out, models)
    present = [r for r in results.values() if r is not None]

    counts = sorted({n for r in present for n in r["pytorch_thread_counts"]}) or [1, 2]
    threads = "/".join(f"{n}t" for n in counts)
    first = f"{counts[0]}t"
    header = ["model", "input", "cycles", "sim ms", "golden ms", f"qnnpack ms {threads}",
              f"onednn ms {threads}", f"sim/qnnpack {first}", f"sim/onednn {first}",
              f"golden/qnnpack {first}", "G sim MAC/s", "peak RSS MiB", "checks"]
    runs = "/".join(sorted({str(r["runs"]) for r in present})) or "?"
    print(f"Summary: medians of {runs} run(s); sim = `bpusim run` (SystemC) and golden run on one "
          "thread, PyTorch at each thread count")
    print_table(header, [model_row(m, results[m], status.get(m, "?")) for m in models])
    if args.sweep:
        print("\n".join(sweep_lines(args.out, args.sweep)))
    if args.load:
        print(f"load average (1/5/15 min): before {args.load[0]}, after {args.load[1]}")
    # A model run.sh saw pass must have written its figures.
    return 0 if all(results[m] is not None or status.get(m) != "0" for m in models) else 1


if __name__ == "__main__":
    raise SystemExit(main())
