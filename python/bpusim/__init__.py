"""bpusim from Python: compile quantized models for the simulated BPU, run them on the SystemC
model, the RTL core or the golden reference, verify them layer by layer, profile and sweep.

    import bpusim
    prog = bpusim.compile(quantized_module, example_inputs=x)   # or an ONNX path / ModelProto
    res = prog.run(x.numpy())                                   # SystemC model by default
    res.outputs, res.cycles, res.layers                         # NumPy arrays, cycles, per layer
    bpusim.verify(quantized_module, example_inputs=x).ok        # bit for bit against golden

The module is a thin layer over the libraries the `bpusim` command line is made of (the
extension _bpusim); messages, checks and results are the CLI's. docs/python.md is the guide.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _bpusim
from ._paths import BPUSIM_EXECUTABLE

__all__ = [
    "Error", "BadInputError", "HardwareFault", "InternalError", "CompileWarning",
    "Program", "RunResult", "Verification", "compile", "load", "verify", "golden", "sweep",
    "hw_keys", "default_hw",
]

# ---- errors: one class per exit code of the command line ----

Error = _bpusim.Error
"""Base class of every bpusim error."""
BadInputError = _bpusim.BadInputError
"""Bad input: a file, model, option, configuration or tensor (CLI exit code 2)."""
HardwareFault = _bpusim.HardwareFault
"""The modeled hardware reported a fault while running a program (CLI exit code 3)."""
InternalError = _bpusim.InternalError
"""A bug in bpusim (CLI exit code 4)."""
Error.exit_code = None
BadInputError.exit_code = 2
HardwareFault.exit_code = 3
InternalError.exit_code = 4


class CompileWarning(UserWarning):
    """A compiler note: an op left unfused or run on the host, a folded bias, ..."""


# ---- hardware configurations and settings ----

def hw_keys() -> List[str]:
    """Every hardware configuration key (`bpusim hwconfig --keys`), e.g. 'mac.rows'."""
    return list(_bpusim.hw_keys())


def default_hw() -> Dict[str, Any]:
    """The default hardware configuration as a dict of dotted keys."""
    return json.loads(_bpusim.default_hw_json())


def _setting_key(name: str) -> str:
    """'mac.rows' stays; 'requant_mode' or 'mac_rows' becomes the key it spells."""
    if "." in name:
        return name
    for key in _bpusim.hw_keys():
        if key.replace(".", "_") == name:
            return key
    raise BadInputError(f"setting '{name}': unknown hardware key (bpusim.hw_keys() lists them; "
                        "write dotted keys as mac_rows or **{'mac.rows': 16})")


def _hw_args(hw, settings: Mapping[str, Any]):
    """(JSON text, its name in messages, ["key=value", ...]) for the extension."""
    sets = [f"{_setting_key(k)}={_setting_value(v)}" for k, v in settings.items()]
    if hw is None:
        return "", "hw", sets
    if isinstance(hw, Mapping):
        return json.dumps(dict(hw)), "hw", sets
    if isinstance(hw, (str, os.PathLike)):
        try:
            with open(hw, encoding="utf-8") as f:
                return f.read(), os.fspath(hw), sets
        except OSError as e:
            raise BadInputError(f"{os.fspath(hw)}: cannot read the hardware config "
                                f"({e.strerror})") from None
    raise BadInputError(f"hw: expected a dict or a JSON file path, got {type(hw).__name__}")


def _setting_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# ---- models: ONNX paths, ModelProtos, converted torch modules ----

class _ModelFile:
    """An ONNX file for a model argument; a temporary one for in-memory models, removed when
    the last Program that needs it (for the golden backend) is gone."""

    def __init__(self, model, example_inputs):
        self._tmp = None
        if isinstance(model, (str, os.PathLike)):
            self.path = os.fspath(model)
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="bpusim-")
        self.path = os.path.join(self._tmp.name, "model.onnx")
        if hasattr(model, "SerializeToString"):  # onnx.ModelProto
            with open(self.path, "wb") as f:
                f.write(model.SerializeToString())
            return
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None and isinstance(model, torch.nn.Module):
            if example_inputs is None:
                raise BadInputError(
                    f"model: a torch.nn.Module ({type(model).__name__}) needs example_inputs "
                    "to be exported")
            from . import _export
            inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
            names = [f"x{i}" if len(inputs) > 1 else "x" for i in range(len(inputs))]
            with warnings.catch_warnings():
                # torch 1.13's exporter notes about its own tracing of the quantized modules
                # (constants from NumPy, tuple shape inference): not about the user's model.
                warnings.simplefilter("ignore", torch.jit.TracerWarning)
                warnings.filterwarnings("ignore", message="The shape inference of prim::")
                try:
                    _export.export(model, inputs, self.path, input_names=names)
                except Exception as e:  # torch's own error, named for the user
                    raise BadInputError(f"model: torch.onnx.export of {type(model).__name__} "
                                        f"failed: {type(e).__name__}: {e}") from e
            return
        raise BadInputError(f"model: expected an ONNX path, an onnx.ModelProto or a converted "
                            f"torch.nn.Module, got {type(model).__name__}")


def _as_array(name: str, x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    if a.dtype == np.bool_ or a.dtype.kind not in "uif":
        raise BadInputError(f"input '{name}': NumPy dtype {a.dtype} is not numeric")
    return np.ascontiguousarray(a)


def _input_dict(inputs, names: Sequence[str]) -> Dict[str, np.ndarray]:
    if inputs is None:
        return {}
    if isinstance(inputs, Mapping):
        return {str(k): _as_array(str(k), v) for k, v in inputs.items()}
    if len(names) != 1:
        raise BadInputError(f"inputs: the model has {len(names)} inputs ({', '.join(names)}); "
                            "give a dict of arrays by name")
    return {names[0]: _as_array(names[0], inputs)}


# ---- results ----

@dataclass
class RunResult:
    """One run of a program. `outputs`: NumPy arrays by output name (dequantized to float32
    where the model dequantizes). `cycles`: the program's cycles (None on the golden backend).
    `layers`: one dict per layer (name, op, cycles, macs, mac_utilisation, ddr_read_bytes,
    ddr_write_bytes, stalls, cycle_breakdown, ...: the profile JSON's layer rows).
    `counters`: the run's counters (engines' busy and stall cycles, DDR bytes, ...)."""
    outputs: Dict[str, np.ndarray]
    cycles: Optional[int]
    layers: List[Dict[str, Any]] = field(default_factory=list)
    counters: Dict[str, Any] = field(default_factory=dict)
    backend: str = "systemc"

    def output(self, name: Optional[str] = None) -> np.ndarray:
        """The output called `name`, or the only output."""
        if name is None:
            if len(self.outputs) != 1:
                raise BadInputError(f"the program has {len(self.outputs)} outputs: name one of "
                                    f"{', '.join(self.outputs)}")
            return next(iter(self.outputs.values()))
        return self.outputs[name]


@dataclass
class Verification:
    """`bpusim.verify`'s result. `ok`: every compared layer bit-exact. `layers`: one dict per
    compared node output (node, op, tensor, shape, elements, differing, ok; for a differing
    layer also first_index, golden_value, program_value, instruction, instruction_text).
    `text`: what `bpusim verify` prints."""
    ok: bool
    layers: List[Dict[str, Any]]
    backend: str
    skipped: int
    random_inputs: List[str]
    seed: int
    text: str

    @property
    def mismatches(self) -> List[Dict[str, Any]]:
        """The layers that differ, in topological order (the first is where it starts)."""
        return [l for l in self.layers if not l["ok"]]

    def __bool__(self) -> bool:
        return self.ok


# ---- programs ----

class Program:
    """A compiled `.bpu` program (bpusim.compile or bpusim.load)."""

    def __init__(self, core: "_bpusim.Program", model_file: Optional[_ModelFile] = None):
        self._core = core
        self._model_file = model_file  # keeps a temporary export alive for backend="golden"

    @property
    def inputs(self) -> List[Dict[str, Any]]:
        """The program's inputs: name, shape, dtype (what run() takes), stored_dtype."""
        return list(self._core.inputs())

    @property
    def outputs(self) -> List[Dict[str, Any]]:
        """The program's outputs: name, shape, dtype (what run() returns), stored_dtype."""
        return list(self._core.outputs())

    @property
    def layers(self) -> List[Dict[str, Any]]:
        """The compiled layers: name, op, macs, est_cycles (the cost model), code range."""
        return list(self._core.layers())

    @property
    def est_cycles(self) -> int:
        """The compiler's cost-model estimate of the program's cycles (0 for a loaded file)."""
        return self._core.est_cycles

    @property
    def hw(self) -> Dict[str, Any]:
        """The hardware configuration the program was compiled for."""
        return json.loads(self._core.hw_json())

    @property
    def warnings(self) -> List[str]:
        return list(self._core.warnings)

    def summary(self) -> str:
        """The per-layer table and DDR footprint `bpusim compile` prints."""
        return self._core.compile_table + self._core.ddr_summary

    def _names(self) -> List[str]:
        return [d["name"] for d in self._core.inputs()]

    def run(self, inputs=None, backend: str = "systemc", hw=None, seed: int = 1,
            **settings) -> RunResult:
        """Runs the program once.

        inputs: a dict of arrays by input name, or one array for a single-input model (NumPy or
            torch; float inputs of a quantizing model are quantized by the runtime); None draws
            seeded random inputs (`seed`).
        backend: "systemc" (the cycle-aware SystemC model), "rtl" (the verilated Verilog core)
            or "golden" (the golden C++ reference on the model the program was compiled from).
        hw, settings: the configuration to run with (default: the program's own).
        Raises HardwareFault for a modeled fault, BadInputError for bad inputs.
        The GIL is released while the simulator runs."""
        feeds = _input_dict(inputs, self._names()) if inputs is not None else self._random(seed)
        hw_args = _hw_args(hw, settings)
        if backend == "golden":
            r = self._core.run_golden(feeds, hw_args)
            return RunResult(dict(r["outputs"]), None, backend="golden")
        r = self._core.run(feeds, backend, hw_args)
        profile = json.loads(r["profile"])
        layers = profile.pop("layers", [])
        profile.pop("instructions", None)
        return RunResult(dict(r["outputs"]), int(r["cycles"]), layers, profile, backend)

    def _random(self, seed: int) -> Dict[str, np.ndarray]:
        # The command line's seeded random inputs (`bpusim profile` without --input).
        return dict(self._core.random_inputs(seed))

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the program as a `.bpu` file (what `bpusim run` reads)."""
        self._core.save(os.fspath(path))

    def disassemble(self) -> str:
        """The program's instructions as assembler text."""
        return self._core.disassemble()

    def profile(self, path: Union[str, os.PathLike], inputs=None, backend: str = "systemc",
                hw=None, seed: int = 1, **settings) -> Dict[str, Any]:
        """Runs the program and writes the self-contained HTML profile report to `path`
        (what `bpusim profile` writes); returns the profile as a dict."""
        feeds = _input_dict(inputs, self._names()) if inputs is not None else self._random(seed)
        return json.loads(self._core.profile(os.fspath(path), feeds, backend,
                                             _hw_args(hw, settings)))

    def __repr__(self) -> str:
        return (f"<bpusim.Program {len(self.layers)} layers, inputs "
                f"{[d['name'] for d in self.inputs]}, outputs {[d['name'] for d in self.outputs]}>")


def compile(model, example_inputs=None, hw=None, ddr_reuse: bool = True, **settings) -> Program:
    """Compiles a quantized model for the BPU.

    model: an ONNX file path, an onnx.ModelProto, or a converted quantized torch.nn.Module
        (after torch.ao.quantization.convert; exported with opset 13 and no constant folding,
        which keeps PyTorch's bias rounding; needs `example_inputs`).
    hw: the hardware configuration, a dict (e.g. {"mac.rows": 16}) or a JSON file path;
        default the built-in configuration.
    settings: single keys as `--set` takes them: requant_mode="fixed", mac_rows=16 or
        **{"sram.feature.bytes": 131072}.
    ddr_reuse: let tensors whose lifetimes do not overlap share DDR (as `bpusim compile`).
    Compiler notes are issued as CompileWarning. Raises BadInputError naming the file, node or
    field for a model or configuration the compiler refuses."""
    hw_args = _hw_args(hw, settings)
    model_file = _ModelFile(model, example_inputs)
    core = _bpusim.compile(model_file.path, hw_args, ddr_reuse)
    for w in core.warnings:
        warnings.warn(w, CompileWarning, stacklevel=2)
    return Program(core, model_file)


def load(path: Union[str, os.PathLike]) -> Program:
    """Reads a `.bpu` program file (as written by Program.save or `bpusim compile`)."""
    return Program(_bpusim.load(os.fspath(path)))


def verify(model, inputs=None, example_inputs=None, hw=None, seed: int = 1,
           backend: str = "systemc", **settings) -> Verification:
    """Compiles `model` (as bpusim.compile, without DDR reuse), runs it on `backend` and the
    model on the golden reference with the same inputs (`inputs` by name, or one array; the
    others seeded random), and compares every layer bit for bit. A mismatch is not an
    exception: the result says where (`ok`, `mismatches`, `text`). Raises HardwareFault for a
    modeled fault and BadInputError for bad input."""
    hw_args = _hw_args(hw, settings)
    model_file = _ModelFile(model, example_inputs)
    feeds = {}
    if inputs is not None:
        if not isinstance(inputs, Mapping):
            names = _graph_input_names(model_file.path)
            feeds = _input_dict(inputs, names)
        else:
            feeds = _input_dict(inputs, [])
    r = _bpusim.verify(model_file.path, hw_args, feeds, seed, backend)
    for w in r["warnings"]:
        warnings.warn(w, CompileWarning, stacklevel=2)
    return Verification(bool(r["ok"]), list(r["layers"]), r["backend"], int(r["skipped"]),
                        list(r["random_inputs"]), int(r["seed"]), r["text"])


def _graph_input_names(path: str) -> List[str]:
    import onnx
    m = onnx.load(path, load_external_data=False)
    initializers = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in initializers]


def golden(model, inputs, example_inputs=None, hw=None, **settings) -> Dict[str, np.ndarray]:
    """Runs the model on the golden C++ integer reference (`bpusim golden`): outputs by name."""
    hw_args = _hw_args(hw, settings)
    model_file = _ModelFile(model, example_inputs)
    feeds = _input_dict(inputs, _graph_input_names(model_file.path))
    return dict(_bpusim.golden(model_file.path, hw_args, feeds)["outputs"])


def sweep(model, axes: Mapping[str, Sequence[Any]], hw=None, jobs: Optional[int] = None,
          seed: int = 1, example_inputs=None, as_frame: Optional[bool] = None,
          engine: str = "local", workdir=None, **slurm):
    """Compiles and simulates `model` (or each of a list of models) under every configuration
    of the product of `axes` ({"mac.rows": [16, 32, 64], "ddr.bytes_per_cycle": [16, 32]})
    with the same seeded random inputs: `bpusim sweep`, whose workers are processes (SystemC
    elaborates one model per process), `jobs` at a time on this machine (default: one per core)
    or, with engine="slurm" and a shared `workdir`, as Slurm job arrays (`slurm` options:
    partition, max_parallel, time, retries, slice; docs/guide.md "Sweeping on a cluster").
    Returns one dict per configuration (the axes' values — and "model" for several models —,
    status, message, cycles, macs, mac_utilisation, frames_per_second, DDR bytes,
    instructions, sram_use, sram): a pandas DataFrame when pandas is installed (unless
    as_frame=False). A configuration that fails (e.g. does not fit) is a row with its status."""
    models = list(model) if isinstance(model, (list, tuple)) else [model]
    files = [_ModelFile(m, example_inputs) for m in models]
    with tempfile.TemporaryDirectory(prefix="bpusim-sweep-") as tmp:
        out = os.path.join(tmp, "sweep.json")
        cmd = [BPUSIM_EXECUTABLE, "sweep", *[f.path for f in files], "--json", out,
               "--seed", str(seed), "--engine", engine]
        for key, values in axes.items():
            vals = [values] if isinstance(values, (str, int, float)) else list(values)
            cmd += ["--set", f"{_setting_key(key)}={','.join(_setting_value(v) for v in vals)}"]
        if jobs is not None:
            cmd += ["--jobs", str(jobs)]
        if workdir is not None:
            cmd += ["--workdir", os.fspath(workdir)]
        for key, value in slurm.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        if isinstance(hw, (str, os.PathLike)):
            cmd += ["--hw", os.fspath(hw)]
        elif hw is not None:
            hw_path = os.path.join(tmp, "hw.json")
            with open(hw_path, "w", encoding="utf-8") as f:
                f.write(_hw_args(hw, {})[0])
            cmd += ["--hw", hw_path]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if not os.path.exists(out):
            raise _error_for(p.returncode)(p.stderr.strip() or p.stdout.strip())
        with open(out, encoding="utf-8") as f:
            table = json.load(f)
    rows = []
    for r in table["rows"]:
        row = {"model": r.pop("model")} if "model" in r else {}
        for assignment in r.pop("config"):
            k, v = assignment.split("=", 1)
            row[k] = _number(v)
        row.update(r)
        rows.append(row)
    if as_frame is not False:
        try:
            import pandas
            return pandas.DataFrame(rows)
        except ImportError:
            if as_frame:
                raise
    return rows


def _number(v: str):
    for t in (int, float):
        try:
            return t(v)
        except ValueError:
            pass
    return v


def _error_for(code: int):
    return {3: HardwareFault, 4: InternalError}.get(code, BadInputError)
