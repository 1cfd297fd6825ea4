#!/usr/bin/python3
"""Differential test of bpusim on random QAT models (tools/py/random_models.py).

For each seed: make_case(seed) builds a random model, its input, PyTorch's outputs and two
random hardware configurations; then, in both requantizer modes (fp32, fixed),
`bpusim golden` runs the model once and, per configuration, `bpusim compile` + `bpusim run`
(SystemC) run it. Checked:
- SystemC == golden, bit for bit, always (both modes, every configuration);
- golden == PyTorch, bit for bit, in fp32 mode (fixed mode may differ by an LSB where a
  float rounds across a tie, docs/compiler.md: counted, not checked);
- every exit code is 0, or 2 with a message naming a documented refusal (REFUSALS below);
  a 2 with any other message, a 1, 3, 4 or a signal is a failure.
A refused case is counted by reason, never as a pass. The PyTorch side runs in a forked
child, so that a PyTorch abort (torch 1.13 has some, docs/pytorch-recipes.md 2.23) is counted
as a skipped case instead of killing the test.

Then every committed regression case (tests/data/random_regressions/*.json: the seed, why
it was added, the generator version and spec digest it was found with) is replayed; like a
random case it must pass (a case filed for an open bug fails until the bug is fixed).

Run: /usr/bin/python3 tests/py/test_random_models.py BPUSIM_EXE [--seed S] [--count N]
     [--keep DIR] [--no-regressions] [--regressions-only] [--quiet] [--time-limit SECONDS]
Exit status 0 = no failure. The first line printed is the seed; a failure prints the seed
and the command lines that reproduce it.
"""

import argparse
import collections
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

ROOT = os.environ.get("BPUSIM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "py"))
import random_models  # noqa: E402

DEFAULT_SEED = 1400  # issue 14
DEFAULT_COUNT = 250  # about 2-2.5 minutes on one core (0.45-0.55 s per case)
REGRESSIONS = os.path.join(ROOT, "tests", "data", "random_regressions")
MODES = ("fp32", "fixed")
PY = "/usr/bin/python3"

# Refusals bpusim documents (docs/compiler.md "Refused", docs/hardware.md, docs/guide.md
# sections 3 and 7): (reason, regular expression on the exit-2 message). A refusal that
# matches none of them is a failure: either bpusim refuses something it claims to support, or
# a new documented refusal belongs here (with the document that lists it).
REFUSALS = [
    # docs/compiler.md, Refused: a ceil_mode pool whose PyTorch output is smaller than ONNX's
    # rule gives, when torch.onnx sized later layers from ONNX's shape (docs/pytorch-recipes.md
    # 2.22): the file does not describe the PyTorch model
    ("ceil_mode pool sized by ONNX's rule in the export",
     r"the file does not describe the PyTorch model \(docs/pytorch-recipes.md 2.22\)"),
    # docs/compiler.md, Refused: "add scale ratios outside [2^-14, 2^8) or with the larger
    # below 2^-10" (QNNPACK's add; XNNPACK's qint8 add: each in [2^-10, 2^8))
    ("add scale ratio outside QNNPACK's/XNNPACK's range",
     r"is outside (QNNPACK's|XNNPACK's|\[2\^-1[04], 2\^8\))|is below 2\^-10"),
    # docs/compiler.md section 4: "When not even a 1-pixel, 1-channel tile fits, the error
    # names the node and, per buffer, the bytes needed and the half available"
    # (docs/guide.md section 7: "the model does not fit its SRAMs")
    ("does not fit the SRAMs", r"does not fit the hardware|does not fit the SRAMs"),
    # docs/compiler.md section 4: "Attributes the instruction cannot express (kernel > 15,
    # stride > 15, dilation > 15, top/left padding > 31 ...) are errors naming the attribute
    # and the field"
    ("attribute beyond an ISA field", r"unsupported attribute .* field holds"),
    # docs/compiler.md, Refused: "Clip of a tensor PyTorch holds channels-last (torch 1.13
    # permutes it)". A float-region clamp whose QuantStub happens to get its input's qparams
    # exports exactly as a quantized clamp (DQ -> Clip -> Q, same qparams) and is refused too
    ("Clip of a tensor PyTorch holds channels-last",
     r"Clip .*of a tensor PyTorch holds channels-last"),
    # docs/hardware.md, queue.token_depth: "its checker refuses a schedule whose peak
    # exceeds the depth"
    ("schedule needs more tokens than queue.token_depth",
     r"tokens in flight, more than queue\.token_depth"),
]


# ----------------------------------------------------------------------------------------------
# running bpusim
# ----------------------------------------------------------------------------------------------
class Run:
    """One bpusim invocation: its command line, exit code and output."""

    def __init__(self, cmd, cwd, timeout=600):
        self.cmd = cmd
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)
            self.code, self.stdout, self.stderr = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:  # a hang is a failure like a crash
            self.code, self.stdout, self.stderr = "timeout", "", f"error: no exit in {timeout} s"

    def line(self):
        return " ".join(shlex.quote(c) for c in self.cmd)

    def message(self):
        """The error message of a refusal: the stderr lines naming an error."""
        lines = [ln for ln in self.stderr.splitlines() if "error" in ln] or \
            self.stderr.strip().splitlines()[-1:]
        return " / ".join(lines)


def refusal_reason(message):
    """The documented reason a message names, or None."""
    for reason, pattern in REFUSALS:
        if re.search(pattern, message, re.IGNORECASE):
            return reason
    return None


def sets(hw, mode):
    """--set arguments of a configuration and a requantizer mode."""
    out = []
    for k, v in list(hw.items()) + [("requant.mode", mode)]:
        out += ["--set", f"{k}={v}"]
    return out


def same_bits(a, b):
    """Equal shape, dtype and bytes (float32 compared as bits, so -0.0 != 0.0 and NaNs
    compare)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def diff_summary(got, want):
    """How two outputs differ: shape/dtype, or the count and first differing elements."""
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"shape/dtype {got.dtype}{list(got.shape)} vs {want.dtype}{list(want.shape)}"
    bits = f"u{got.dtype.itemsize}"
    d = np.flatnonzero(got.reshape(-1).view(bits) != want.reshape(-1).view(bits))
    first = ", ".join(f"[{i}] {got.reshape(-1)[i]} vs {want.reshape(-1)[i]}" for i in d[:3])
    return f"{len(d)} of {got.size} elements differ (first: {first})"


# ----------------------------------------------------------------------------------------------
# one case
# ----------------------------------------------------------------------------------------------
class Result:
    """What happened to one seed: status pass | refused | skipped | fail, the reasons, the
    failures (text), the number of (configuration x mode) runs compared, and fixed-mode
    outputs equal to PyTorch (information)."""

    def __init__(self, seed):
        self.seed, self.status, self.reasons, self.failures = seed, "pass", [], []
        self.runs, self.fixed_equal, self.fixed_total, self.description = 0, 0, 0, ""
        self.hw, self.digest, self.seconds, self.kept = [], None, 0.0, None

    def refuse(self, reason):
        if self.status == "pass":
            self.status = "refused"
        self.reasons.append(reason)

    def fail(self, text):
        self.status = "fail"
        self.failures.append(text)

    def signatures(self):
        """The kinds of failure, without names and numbers, to group seeds in the summary."""
        return {signature(t) for t in self.failures}


def signature(text):
    first = text.splitlines()[0]
    first = re.sub(r"'[^' ]*'", "'…'", first)
    first = re.sub(r"\bhw\d\b", "hwN", first)
    first = re.sub(r"\b(fp32|fixed)\b", "MODE", first)
    first = re.sub(r"\[[-\d, ]*\]", "[…]", first)
    first = re.sub(r"\d+", "N", first)
    return re.sub(r"\(first: .*", "", first)


def generate(seed, d):
    """make_case(seed) in a forked child that writes the case's files into d. Returns None,
    or the reason PyTorch could not build / run / export the drawn model."""
    err = os.path.join(d, "generate_error.txt")
    pid = os.fork()
    if pid == 0:  # child: never returns
        code = 0
        log = os.open(os.path.join(d, "generate_stderr.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
        os.dup2(log, 2)  # PyTorch's export and resize warnings
        signal.alarm(300)  # a hang in PyTorch ends as "pytorch crashed (signal 14)"
        try:
            random_models.make_case(seed).save(d)
        except Exception as e:  # PyTorch refused the drawn model
            with open(err, "w") as f:
                f.write(f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
            code = 3
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"pytorch crashed (signal {os.WTERMSIG(status)})"
    if os.WEXITSTATUS(status) != 0:
        with open(err) as f:
            first = f.readline().strip()
        first = re.sub(r"0x[0-9a-f]+|\d+", "N", first)[:160]
        return f"pytorch refused: {first}"
    return None


def check_exit(res, run, what):
    """Classifies a bpusim exit: True when it ran, False on a refusal or failure (recorded)."""
    if run.code == 0:
        return True
    if run.code == 2:
        reason = refusal_reason(run.message())
        if reason:
            res.refuse(reason)
        else:
            res.fail(f"{what}: exit 2 with an undocumented refusal: {run.message()}\n"
                     f"    {run.line()}")
        return False
    res.fail(f"{what}: exit {run.code} (crash): {run.message()}\n    {run.line()}")
    return False


def compare(res, outs, got_dir, want, what, cmd_lines):
    """Compares every output file of got_dir with `want` ({name: array}); records a failure."""
    equal = True
    for name in outs:
        got = np.load(os.path.join(got_dir, f"{name}.npy"))
        if not same_bits(got, want[name]):
            equal = False
            res.fail(f"{what}, output {name}: {diff_summary(got, want[name])}\n"
                     + "".join(f"    {c}\n" for c in cmd_lines))
    return equal


def verify_detail(bpusim, d, hw, mode):
    """bpusim verify's per-layer comparison (SystemC vs golden): names the first diverging
    layer of a mismatch."""
    r = Run([bpusim, "verify", "model.onnx", "--input", "x=x.npy"] + sets(hw, mode), d)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(("MISMATCH", "first", "verify"))]
    return f"    {r.line()}  (exit {r.code})\n" + "".join(f"      {ln}\n" for ln in lines[:8])


def check_case(bpusim, seed, d):
    """Generates, runs and compares one case in directory d; returns its Result."""
    res = Result(seed)
    skipped = generate(seed, d)
    if skipped:
        res.status, res.reasons = "skipped", [skipped]
        return res
    with open(os.path.join(d, "case.json")) as f:
        case = json.load(f)
    res.description, res.hw, res.digest = case["description"], case["hw"], case["digest"]
    outs = random_models.output_names(case["spec"])
    torch_out = {n: np.load(os.path.join(d, f"torch_{n}.npy")) for n in outs}
    for mode in MODES:
        gold = Run([bpusim, "golden", "model.onnx", "--input", "x=x.npy", "--output-dir",
                    f"golden_{mode}", "--set", f"requant.mode={mode}"], d)
        golden_ok = check_exit(res, gold, f"golden {mode}")
        golden = {}
        if golden_ok:
            golden = {n: np.load(os.path.join(d, f"golden_{mode}", f"{n}.npy")) for n in outs}
            if mode == "fp32":
                compare(res, outs, os.path.join(d, "golden_fp32"), torch_out,
                        "golden (fp32) != PyTorch", [gold.line()])
            else:
                for n in outs:
                    res.fixed_total += 1
                    res.fixed_equal += same_bits(golden[n], torch_out[n])
        for i, hw in enumerate(case["hw"]):
            prog = f"hw{i}_{mode}.bpu"
            comp = Run([bpusim, "compile", "model.onnx", "-q", "-o", prog] + sets(hw, mode), d)
            if not check_exit(res, comp, f"compile hw{i} {mode}"):
                continue
            run = Run([bpusim, "run", prog, "--input", "x=x.npy", "--output-dir",
                       f"run_hw{i}_{mode}"], d)
            if not check_exit(res, run, f"run hw{i} {mode}"):
                continue
            if not golden_ok:
                res.fail(f"golden {mode} refused the model but compile hw{i} accepted it\n"
                         f"    {gold.line()}\n    {comp.line()}")
                if mode == "fp32":  # then at least SystemC against PyTorch
                    if compare(res, outs, os.path.join(d, f"run_hw{i}_{mode}"), torch_out,
                               f"SystemC != PyTorch (hw{i}, fp32)", [comp.line(), run.line()]):
                        res.failures[-1] += f"    (SystemC hw{i} fp32 equals PyTorch)\n"
                continue
            res.runs += 1
            if not compare(res, outs, os.path.join(d, f"run_hw{i}_{mode}"), golden,
                           f"SystemC != golden (hw{i}, {mode})",
                           [comp.line(), run.line(), gold.line()]):
                res.failures[-1] += verify_detail(bpusim, d, hw, mode)
    return res


# ----------------------------------------------------------------------------------------------
# batch, regressions, report
# ----------------------------------------------------------------------------------------------
def keep_case(keep, d, res, bpusim):
    """Copies a failing case's files to KEEP/seed-S with replay.sh (the command lines)."""
    dst = os.path.join(keep, f"seed-{res.seed}")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(d, dst)
    with open(os.path.join(dst, "replay.sh"), "w") as f:
        f.write("#!/bin/sh\n# replay of the failing random case (run inside this directory)\n")
        f.write(f"# regenerate: {PY} {ROOT}/tools/py/random_models.py {res.seed} -o .\n")
        f.write(f"# whole check: {PY} {os.path.abspath(__file__)} {bpusim} --seed {res.seed} "
                "--count 1 --no-regressions\n")
        for text in res.failures:
            f.write("".join(f"# {ln}\n" for ln in text.splitlines()))
    return dst


def run_seed(args, seed, tmp):
    d = tempfile.mkdtemp(prefix=f"seed-{seed}-", dir=tmp)
    t0 = time.time()
    res = check_case(args.bpusim, seed, d)
    res.seconds = time.time() - t0
    if res.status == "fail" and args.keep:
        res.kept = keep_case(args.keep, d, res, args.bpusim)
    shutil.rmtree(d, ignore_errors=True)
    return res


def print_result(res, bpusim, label="", quiet=False):
    extra = f" ({'; '.join(sorted(set(res.reasons)))})" if res.reasons else ""
    if res.status == "fail" or not quiet:
        print(f"{label}seed {res.seed}: {res.status}{extra}, {res.runs} runs, "
              f"{res.seconds:.1f} s", flush=True)
    if res.status == "fail":
        print(f"  model:\n{res.description}")
        for i, hw in enumerate(res.hw):
            print(f"  hw{i}: {' '.join(f'{k}={v}' for k, v in hw.items())}")
        for text in res.failures:
            print("  FAIL " + text.rstrip())
        print(f"  reproduce: {PY} {os.path.abspath(__file__)} {shlex.quote(bpusim)} "
              f"--seed {res.seed} --count 1 --no-regressions --keep /tmp/random-failures")
        if res.kept:
            print(f"  files kept in {res.kept}")
        sys.stdout.flush()


def load_regressions():
    cases = []
    for path in sorted(glob.glob(os.path.join(REGRESSIONS, "*.json"))):
        with open(path) as f:
            cases.append((os.path.relpath(path, ROOT), json.load(f)))
    return cases


def replay_regressions(args, tmp):
    """Replays tests/data/random_regressions/*.json; returns the number that failed. A file
    records the generator version and the spec digest its seed drew: when they differ the
    seed no longer draws that model, which is printed (regenerate the file's case from its
    kept description, or retire it)."""
    bad = 0
    for path, reg in load_regressions():
        res = run_seed(args, reg["seed"], tmp)
        print_result(res, args.bpusim, label=f"regression {path} ({reg.get('status', 'open')}): ",
                     quiet=args.quiet)
        if reg.get("generator") != random_models.GENERATOR_VERSION or \
                reg.get("digest") != res.digest:
            print(f"  warning: {path}: generator drift, seed {reg['seed']} no longer draws the "
                  "model the file was written for")
        if res.status == "fail":
            print(f"  (added because: {reg['reason']})")
        bad += res.status == "fail"
    return bad


def summarise(results, seconds):
    counts = collections.Counter(r.status for r in results)
    reasons = collections.Counter(x for r in results if r.status in ("refused", "skipped")
                                  for x in set(r.reasons))
    runs = sum(r.runs for r in results)
    fe, ft = sum(r.fixed_equal for r in results), sum(r.fixed_total for r in results)
    print(f"\nsummary: {len(results)} cases in {seconds:.0f} s: {counts['pass']} passed, "
          f"{counts['refused']} refused, {counts['skipped']} skipped (PyTorch), "
          f"{counts['fail']} failed; {runs} (configuration x mode) runs compared with golden")
    for reason, n in reasons.most_common():
        print(f"  {n:5d}  {reason}")
    if ft:
        print(f"fixed mode: {fe} of {ft} golden outputs equal PyTorch's bit for bit "
              "(information: fixed may differ by an LSB)")
    kinds = collections.defaultdict(list)
    for r in results:
        for sig in r.signatures():
            kinds[sig].append(r.seed)
    for sig, seeds in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        print(f"  FAIL {len(seeds):4d}  {sig}\n          seeds: {' '.join(map(str, seeds[:20]))}"
              + (" …" if len(seeds) > 20 else ""))
    failed = [r.seed for r in results if r.status == "fail"]
    if failed:
        print("failed seeds: " + " ".join(map(str, failed)))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bpusim", help="the bpusim executable")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="first seed")
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of seeds")
    ap.add_argument("--keep", help="copy the files of every failing case into this directory")
    ap.add_argument("--no-regressions", action="store_true")
    ap.add_argument("--regressions-only", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="print failures and the summary only")
    ap.add_argument("--time-limit", type=float, default=0,
                    help="start no new case after this many seconds (soak runs)")
    return ap.parse_args()


def main():
    args = parse_args()
    args.bpusim = os.path.abspath(args.bpusim)
    if args.keep:
        args.keep = os.path.abspath(args.keep)
        os.makedirs(args.keep, exist_ok=True)
    count = 0 if args.regressions_only else args.count
    print(f"random models: seeds {args.seed} .. {args.seed + count - 1} (--seed {args.seed} "
          f"--count {count}), generator version {random_models.GENERATOR_VERSION}", flush=True)
    t0, results = time.time(), []
    with tempfile.TemporaryDirectory(prefix="bpusim-random-") as tmp:
        for seed in range(args.seed, args.seed + count):
            if args.time_limit and time.time() - t0 > args.time_limit:
                print(f"time limit of {args.time_limit:.0f} s reached after {len(results)} cases "
                      f"(seeds {args.seed} .. {seed - 1})")
                break
            res = run_seed(args, seed, tmp)
            results.append(res)
            print_result(res, args.bpusim, quiet=args.quiet)
            if args.quiet and len(results) % 100 == 0:
                print(f"... {len(results)} of {count} cases, {time.time() - t0:.0f} s, "
                      f"{sum(r.status == 'fail' for r in results)} failed", flush=True)
        summarise(results, time.time() - t0)
        bad_regressions = 0
        if not args.no_regressions:
            bad_regressions = replay_regressions(args, tmp)
            print(f"regressions: {len(load_regressions())} replayed from "
                  f"{os.path.relpath(REGRESSIONS, ROOT)}, {bad_regressions} failed")
    failed = sum(r.status == "fail" for r in results) + bad_regressions
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
