"""`bpusim sweep --engine slurm` on the one-node cluster of scripts/slurm-local.sh (ctest
fixture slurm_cluster; SLURM_CONF names it, BPUSIM_EXE the command line):
- a sweep of two models on the cluster equals the local engine's, row for row (table, CSV, JSON);
- a task cancelled while it runs (scancel of one array element) is resubmitted and the sweep
  completes with every row, equal to the local one;
- `--resume DIR` after the submitting process is killed completes the sweep without
  recomputing a row that was already written;
- a configuration that cannot be compiled is a row with its reason, on both engines;
- the local engine resumes an interrupted sweep too.
"""

import json
import os
import signal
import subprocess
import time

import pytest

EXE = os.environ["BPUSIM_EXE"]
SOURCE = os.environ["BPUSIM_SOURCE_DIR"]
MODELS = os.path.join(SOURCE, "tests/data/models")
RESIDUAL = os.path.join(MODELS, "residual/model.onnx")
DEPTHWISE = os.path.join(MODELS, "depthwise/model.onnx")
UNET = os.path.join(MODELS, "unet/model.onnx")


def sweep(*args, check=True):
    p = subprocess.run([EXE, "sweep", *args], capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def table(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def squeue_tasks():
    out = subprocess.run(["squeue", "-h", "-r", "-n", "bpusim-sweep", "-o", "%i %T"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines() if line.strip()]


def wait_for(condition, timeout=120, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


@pytest.fixture(autouse=True)
def empty_queue():
    """Every test starts and ends with no sweep task queued."""
    yield
    subprocess.run(["scancel", "-n", "bpusim-sweep"], check=False)
    wait_for(lambda: not squeue_tasks(), timeout=60)


def test_cluster_sweep_equals_local(tmp_path):
    axes = ["--set", "mac.rows=8,16,32", "--set", "ddr.bytes_per_cycle=16,32"]
    local = sweep(RESIDUAL, DEPTHWISE, *axes, "--json", str(tmp_path / "l.json"),
                  "-o", str(tmp_path / "l.csv"))
    slurm = sweep(RESIDUAL, DEPTHWISE, *axes, "--engine", "slurm", "--slice", "3",
                  "--workdir", str(tmp_path / "w"), "--json", str(tmp_path / "s.json"),
                  "-o", str(tmp_path / "s.csv"))
    assert "submitted job array" in slurm.stdout and "rows 12/12" in slurm.stdout
    assert table(tmp_path / "s.json") == table(tmp_path / "l.json")
    assert (tmp_path / "s.csv").read_text() == (tmp_path / "l.csv").read_text()
    # The printed tables agree too (after each engine's own header and progress lines).
    assert slurm.stdout.endswith(local.stdout.split("\n\n", 1)[1])
    assert len(table(tmp_path / "s.json")["rows"]) == 12


def test_cancelled_task_is_resubmitted(tmp_path):
    # 128 configurations in one task (several seconds, against about a second to notice the
    # first row and cancel): the task is cancelled while it runs, with most rows still to come.
    axes = ["--set", "mac.rows=8,16,32,64", "--set", "mac.cols=8,16,32,64",
            "--set", "vector.lanes=8,16,32,64", "--set", "ddr.bytes_per_cycle=8,32"]
    total = 128
    sweep(UNET, *axes, "--json", str(tmp_path / "l.json"))
    work = tmp_path / "w"
    p = subprocess.Popen([EXE, "sweep", UNET, *axes, "--engine", "slurm", "--slice", str(total),
                          "--workdir", str(work), "--json", str(tmp_path / "s.json")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def rows():
        d = work / "rows"
        return [f for f in os.listdir(d) if f.endswith(".json")] if d.exists() else []

    wait_for(rows, step=0.02)  # the task runs: it has written its first row
    running = [t for t, s in squeue_tasks() if s == "RUNNING"]
    assert len(running) == 1, running
    subprocess.run(["scancel", running[0]], check=True)
    cancelled_at = len(rows())
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, out + err
    # The premise: the task was cancelled with rows still missing (else nothing was tested).
    assert cancelled_at < total, f"the task finished all {total} rows before it was cancelled"
    assert "resubmitted 1 task(s)" in out, out
    assert table(tmp_path / "s.json") == table(tmp_path / "l.json")


def test_resume_after_the_submitter_is_killed(tmp_path):
    axes = ["--set", "mac.rows=8,16,32,64", "--set", "mac.cols=8,16,32,64"]
    sweep(UNET, *axes, "--json", str(tmp_path / "l.json"))
    work = tmp_path / "w"
    p = subprocess.Popen([EXE, "sweep", UNET, *axes, "--engine", "slurm", "--slice", "2",
                          "--max-parallel", "1", "--workdir", str(work)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(os.listdir(work / "rows")) >= 2 if (work / "rows").exists() else False)
    p.send_signal(signal.SIGKILL)
    p.wait()
    before = {f: os.stat(work / "rows" / f).st_mtime_ns for f in os.listdir(work / "rows")
              if f.endswith(".json")}
    assert 0 < len(before) < 16
    r = sweep("--resume", str(work), "--json", str(tmp_path / "r.json"))
    assert "resuming" in r.stdout
    assert table(tmp_path / "r.json") == table(tmp_path / "l.json")
    for f, mtime in before.items():  # no row written before the kill was computed again
        assert os.stat(work / "rows" / f).st_mtime_ns == mtime, f


def test_bad_configuration_is_a_row_with_its_reason(tmp_path):
    axes = ["--set", "sram.param.bytes=64,32768"]
    local = sweep(RESIDUAL, *axes, "--json", str(tmp_path / "l.json"), check=False)
    slurm = sweep(RESIDUAL, *axes, "--engine", "slurm", "--workdir", str(tmp_path / "w"),
                  "--json", str(tmp_path / "s.json"), check=False)
    assert local.returncode == slurm.returncode == 2
    rows = table(tmp_path / "s.json")["rows"]
    assert [r["status"] for r in rows] == ["error", "ok"]
    assert "sram.param.bytes" in rows[0]["message"]
    assert table(tmp_path / "s.json") == table(tmp_path / "l.json")


def test_local_engine_resumes_too(tmp_path):
    axes = ["--set", "mac.rows=8,16,32,64", "--set", "mac.cols=8,16,32,64"]
    sweep(UNET, *axes, "--json", str(tmp_path / "l.json"))
    work = tmp_path / "w"
    p = subprocess.Popen([EXE, "sweep", UNET, *axes, "--jobs", "1", "--workdir", str(work)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(os.listdir(work / "rows")) >= 2 if (work / "rows").exists() else False,
             step=0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    r = sweep("--resume", str(work), "--json", str(tmp_path / "r.json"))
    assert "resuming" in r.stdout
    assert table(tmp_path / "r.json") == table(tmp_path / "l.json")
    existing = sweep(UNET, *axes, "--workdir", str(work), check=False)
    assert existing.returncode == 2 and "--resume" in existing.stderr


def test_python_sweep_on_slurm_equals_local(tmp_path):
    bpusim = pytest.importorskip("bpusim")  # when the Python module is built
    axes = {"mac.rows": [8, 32], "ddr.bytes_per_cycle": [16, 32]}
    local = bpusim.sweep([RESIDUAL, DEPTHWISE], axes, as_frame=False)
    slurm = bpusim.sweep([RESIDUAL, DEPTHWISE], axes, as_frame=False, engine="slurm",
                         workdir=tmp_path / "w", max_parallel=2)
    assert slurm == local and len(slurm) == 8
