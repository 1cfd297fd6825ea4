// A small hand-built Program (BPU segment + host segment + layers) shared by the runtime and
// `bpusim run` tests (tests/sim/test_cli.cc).
#pragma once

#include <nlohmann/json.hpp>

#include "common/hw_config.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "isa/param_record.h"

namespace bpusim::runtime::testing {

// x (uint8 [1, 8], scale 0.5, zp 10) -> VREQ to y (scale 0.25, zp 3) -> host: Dequantize y,
// Relu; ARGMAX of x over its 8 channels.
inline isa::Program tiny_program(const HwConfig& hw) {
  isa::Program p;
  p.hw_hash = hw.hash();
  p.hwconfig = hw.to_json();
  p.code = isa::assemble(R"(
    LOAD buf=PARAM sram_addr=0x0 dram_addr=0x100000 n0=64 n1=1 n2=1
    LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x1000 n0=8 n1=1 n2=1 +push_next
    VREQ in_addr=0x0 out_addr=0x0 prm_addr=0x0 n=8 in_zp=10 mode=fp32 +pop_prev
    ARGMAX in_addr=0x0 out_addr=0x40 n=1 c=8 +push_next
    STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x2000 n0=8 n1=1 n2=1 +pop_prev
    STORE buf=OUTPUT sram_addr=0x40 dram_addr=0x3000 n0=4 n1=1 n2=1
    FINISH
  )",
                         "tiny.s");
  isa::ParamRecord r;  // scale 0.5 / 0.25 = 2, zp 3, uint8
  r.scale = 2.0f;
  r.zp = 3;
  r.min = 0;
  r.max = 255;
  p.params.ddr_base = 0x100000;
  p.params.bytes = isa::pack(std::vector<isa::ParamRecord>{r});
  using nlohmann::json;
  p.tensors = json::parse(R"([
    {"name": "x", "dtype": "uint8", "shape": [1, 8], "ddr_addr": 4096, "scale": 0.5, "zp": 10, "role": "input"},
    {"name": "y", "dtype": "uint8", "shape": [1, 8], "ddr_addr": 8192, "scale": 0.25, "zp": 3, "role": "internal"},
    {"name": "y_f", "dtype": "float32", "shape": [1, 8], "ddr_addr": 16384, "role": "internal"},
    {"name": "out", "dtype": "float32", "shape": [1, 8], "ddr_addr": 20480, "role": "output"},
    {"name": "index", "dtype": "int32", "ir_dtype": "int64", "shape": [1], "ddr_addr": 12288, "role": "output"}
  ])");
  p.segments = json::parse(R"([
    {"kind": "bpu", "code": [0, 7]},
    {"kind": "host", "ops": [
      {"op": "Dequantize", "inputs": ["y"], "outputs": ["y_f"], "attrs": {"x_scale": 0.25, "x_zero_point": 3}},
      {"op": "Relu", "inputs": ["y_f"], "outputs": ["out"]}
    ]}
  ])");
  p.layers = json::parse(R"([
    {"name": "requant", "op": "VREQ", "code": [0, 3], "macs": 0},
    {"name": "argmax", "op": "ARGMAX", "code": [3, 7], "macs": 0}
  ])");
  return p;
}

}  // namespace bpusim::runtime::testing
