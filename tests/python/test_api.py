"""pytest tests of the Python module bpusim (python/; docs/python.md), run by ctest as
`python_api` (label "python") with PYTHONPATH=build/<preset>/python and BPUSIM_EXE the
command line they are compared with:
- the seed's ExampleNet, built, QAT-calibrated and converted in PyTorch here, compiled from the
  module object and run: bit-exact with PyTorch's quantized output;
- every committed model through the API: the same outputs and cycles as `bpusim compile` +
  `bpusim run` on the same inputs, on the SystemC model; golden backend == SystemC outputs;
- verify's records, save/load, disassemble, profile, sweep (== the CLI's cycles);
- bad inputs raise BadInputError, a modeled fault HardwareFault, with the CLI's messages;
- two programs run from two Python threads, the GIL released while each simulates.
"""

import glob
import json
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import bpusim

# The compiler's notes (host ops) are checked once, in test_compile_notes_are_python_warnings.
pytestmark = pytest.mark.filterwarnings("ignore::bpusim.CompileWarning")

SOURCE = os.environ.get("BPUSIM_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
EXE = os.environ["BPUSIM_EXE"]
MODELS = sorted(glob.glob(os.path.join(SOURCE, "tests/data/models/*/model.onnx")))
DIGITS = os.path.join(SOURCE, "models/digits/model.onnx")
sys.path.insert(0, os.path.join(SOURCE, "tools/py"))


def cli(*args, check=True):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def manifest_inputs(model_path, tmp_path):
    """The committed inputs of a model: the manifest's files, or for the default model
    (models/digits) its first test image."""
    if model_path == DIGITS:
        x = os.path.join(tmp_path, "x.npy")
        np.save(x, np.load(os.path.join(SOURCE, "models/digits/test_x.npy"))[:1])
        return {"x": x}
    d = os.path.dirname(model_path)
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    return {i["name"]: os.path.join(d, i["file"]) for i in m["inputs"]}


# ---- PyTorch module in, bit-exact out ----

def test_example_net_from_the_module_object_is_bit_exact_with_pytorch():
    import torch
    import torch.ao.quantization as tq
    import bpumodels
    torch.manual_seed(0)
    torch.backends.quantized.engine = bpumodels.ENGINE
    model = bpumodels.ExampleNet()
    model.train()
    model.fuse_model()
    model.set_qconfig()
    tq.prepare_qat(model, inplace=True)
    with torch.no_grad():
        for _ in range(8):  # calibrate the observers
            model(torch.randn(4, 1, 8, 8))
    qmodel = bpumodels.convert(model)
    x = torch.randn(4, 1, 8, 8)
    want = qmodel(x).detach().numpy()
    prog = bpusim.compile(qmodel, example_inputs=x)
    got = prog.run(x).output()
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    # The golden reference runs the exported model: the same bits.
    assert np.array_equal(prog.run(x, backend="golden").output(), got)
    assert bpusim.verify(qmodel, example_inputs=x, inputs=x.numpy()).ok


def test_a_module_without_example_inputs_is_a_bad_input():
    import torch
    with pytest.raises(bpusim.BadInputError, match="example_inputs"):
        bpusim.compile(torch.nn.Identity())


# ---- every committed model: the API equals the command line ----

@pytest.mark.parametrize("model", [DIGITS] + MODELS,
                         ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_committed_model_equals_the_cli(model, tmp_path):
    inputs = manifest_inputs(model, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bpusim.CompileWarning)
        prog = bpusim.compile(model)
    res = prog.run({name: np.load(path) for name, path in inputs.items()})

    cli("compile", model, "-o", str(tmp_path / "p.bpu"))
    args = ["run", str(tmp_path / "p.bpu"), "-o", str(tmp_path / "out"),
            "--report", str(tmp_path / "r.json")]
    for name, path in inputs.items():
        args += ["--input", f"{name}={path}"]
    cli(*args)
    with open(tmp_path / "r.json", encoding="utf-8") as f:
        report = json.load(f)
    assert res.cycles == report["cycles"]
    assert [l["cycles"] for l in res.layers] == [l["cycles"] for l in report["layers"]]
    for name, got in res.outputs.items():
        want = np.load(tmp_path / "out" / f"{name}.npy")
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), name
    # The program saved by the API is the CLI's, byte for byte.
    prog.save(tmp_path / "api.bpu")
    assert (tmp_path / "api.bpu").read_bytes() == (tmp_path / "p.bpu").read_bytes()


def test_layers_and_counters_describe_the_run():
    prog = bpusim.compile(DIGITS)
    res = prog.run()  # seeded random inputs, as `bpusim profile`
    assert res.cycles > 0 and len(res.layers) == len(prog.layers)
    for row in res.layers:
        for key in ("name", "cycles", "macs", "mac_utilisation", "ddr_read_bytes",
                    "ddr_write_bytes", "stalls"):
            assert key in row, key
    assert sum(l["macs"] for l in res.layers) == res.counters["macs"]
    assert res.counters["cycles"] == res.cycles
    # The compiler's cost model predicts each layer exactly (docs/compiler.md 6).
    assert [l["est_cycles"] for l in prog.layers] == [l["cycles"] for l in res.layers]


def test_golden_backend_equals_systemc_and_rtl():
    prog = bpusim.compile(DIGITS)
    x = np.load(os.path.join(SOURCE, "models/digits/test_x.npy"))[:1]
    sysc = prog.run(x)
    gold = prog.run(x, backend="golden")
    assert gold.cycles is None
    for name in sysc.outputs:
        assert np.array_equal(sysc.outputs[name], gold.outputs[name])
    rtl = prog.run(x, backend="rtl")
    assert rtl.cycles == sysc.cycles
    for name in sysc.outputs:
        assert np.array_equal(sysc.outputs[name], rtl.outputs[name])


def test_settings_reach_the_compiler_and_the_simulation():
    small = bpusim.compile(DIGITS, mac_rows=8, **{"mac.cols": 8})
    assert small.hw["mac.rows"] == 8 and small.hw["mac.cols"] == 8
    fixed = bpusim.compile(DIGITS, requant_mode="fixed")
    assert fixed.hw["requant.mode"] == "fixed"
    assert bpusim.compile(DIGITS, hw={"mac": {"rows": 16}}).hw["mac.rows"] == 16
    assert small.run().cycles > bpusim.compile(DIGITS).run().cycles


# ---- verify, save/load, disassemble, profile, sweep ----

def test_verify_returns_per_layer_records():
    v = bpusim.verify(DIGITS)
    assert v.ok and bool(v) and not v.mismatches
    assert v.random_inputs and v.seed == 1
    assert all(l["ok"] and l["elements"] > 0 for l in v.layers)
    cli_text = cli("verify", DIGITS).stdout
    assert v.text in cli_text


def test_save_load_disassemble(tmp_path):
    prog = bpusim.compile(DIGITS)
    prog.save(tmp_path / "d.bpu")
    loaded = bpusim.load(tmp_path / "d.bpu")
    assert loaded.disassemble() == prog.disassemble()
    assert "CONV" in prog.disassemble()
    assert loaded.run().cycles == prog.run().cycles
    with pytest.raises(bpusim.BadInputError, match="loaded from a file"):
        loaded.run(backend="golden")


def test_profile_writes_the_html_report(tmp_path):
    prog = bpusim.compile(DIGITS)
    profile = prog.profile(tmp_path / "p.html")
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert 'id="bpusim-data"' in html
    assert profile["cycles"] == prog.run().cycles


def test_sweep_rows_equal_single_runs():
    rows = bpusim.sweep(DIGITS, {"mac.rows": [16, 32]}, jobs=2, as_frame=False)
    assert [r["mac.rows"] for r in rows] == [16, 32]
    assert all(r["status"] == "ok" for r in rows)
    for r in rows:
        assert r["cycles"] == bpusim.compile(DIGITS, mac_rows=r["mac.rows"]).run().cycles
    both = bpusim.sweep([DIGITS, MODELS[0]], {"mac.rows": [16]}, as_frame=False)
    assert [r["model"] for r in both] == [DIGITS, MODELS[0]]
    bad = bpusim.sweep(DIGITS, {"sram.param.bytes": [64]}, as_frame=False)
    assert bad[0]["status"] == "error" and "sram.param.bytes" in bad[0]["message"]


# ---- errors: one class per exit code, the CLI's messages ----

def test_bad_inputs_raise_bad_input_error(tmp_path):
    with pytest.raises(bpusim.BadInputError, match="missing.onnx") as e:
        bpusim.compile(str(tmp_path / "missing.onnx"))
    assert e.value.exit_code == 2 and isinstance(e.value, bpusim.Error)
    with pytest.raises(bpusim.BadInputError, match="mac.rows"):
        bpusim.compile(DIGITS, mac_rows=0)
    with pytest.raises(bpusim.BadInputError, match="no_such_key"):
        bpusim.compile(DIGITS, no_such_key=1)
    (tmp_path / "hw.json").write_text("{not json")
    with pytest.raises(bpusim.BadInputError, match="hw.json"):
        bpusim.compile(DIGITS, hw=str(tmp_path / "hw.json"))
    prog = bpusim.compile(DIGITS)
    name = prog.inputs[0]["name"]
    with pytest.raises(bpusim.BadInputError, match=name):
        prog.run({name: np.zeros((1, 2, 3), np.float32)})
    with pytest.raises(bpusim.BadInputError, match="unknown backend"):
        prog.run(backend="nope")
    with pytest.raises(bpusim.BadInputError, match="not.bpu"):
        bpusim.load(tmp_path / "not.bpu")


def test_modeled_fault_raises_hardware_fault(tmp_path):
    (tmp_path / "f.s").write_text("LOAD buf=FEATURE sram_addr=0x7ffff0 n0=64 n1=1 n2=1\nFINISH\n")
    cli("asm", str(tmp_path / "f.s"), "-o", str(tmp_path / "f.bpu"))
    prog = bpusim.load(tmp_path / "f.bpu")
    with pytest.raises(bpusim.HardwareFault, match="fault at instruction 0") as e:
        prog.run({})
    assert e.value.exit_code == 3


def test_compile_notes_are_python_warnings():
    with pytest.warns(bpusim.CompileWarning, match="runs on the host"):
        bpusim.compile(DIGITS)


# ---- threads ----

def test_two_programs_run_from_two_threads():
    unet = os.path.join(SOURCE, "tests/data/models/unet/model.onnx")  # runs for ~30 ms
    a, b = bpusim.compile(unet), bpusim.compile(unet, mac_rows=16)
    want = [a.run().cycles, b.run().cycles]
    got = [None, None]
    ticks = []
    during = [0, 0]

    def work(i, prog):
        before = len(ticks)
        got[i] = prog.run().cycles
        during[i] = len(ticks) - before

    def ticker(stop):
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.0005)

    stop = threading.Event()
    t = threading.Thread(target=ticker, args=(stop,))
    t.start()
    threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate((a, b))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stop.set()
    t.join()
    assert got == want
    # A Python thread kept running while the simulations did: the GIL was released.
    assert max(during) >= 2, during
