// A small hand-built Program (BPU segment + host segment + layers) shared by the runtime and
// `bpusim run` tests (tests/sim/test_cli.cc).
#pragma once

#include <optional>
#include <string>

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
  const auto tensor = [](std::string name, isa::TensorRole role, DType dtype, int64_t addr,
                         std::optional<isa::Quantization> quant) {
    isa::TensorDesc t;
    t.name = std::move(name);
    t.role = role;
    t.dtype = t.ir_dtype = dtype;
    t.shape = {1, 8};
    t.ddr_addr = addr;
    t.bytes = 8 * static_cast<int64_t>(dtype_size(dtype));
    t.quant = std::move(quant);
    return t;
  };
  using isa::TensorRole;
  isa::TensorDesc index = tensor("index", TensorRole::kOutput, DType::kI32, 12288, std::nullopt);
  index.ir_dtype = DType::kI64;
  index.shape = {1};
  index.bytes = 4;
  p.tensors = {
      tensor("x", TensorRole::kInput, DType::kU8, 4096, isa::Quantization{{0.5f}, {10}}),
      tensor("y", TensorRole::kInternal, DType::kU8, 8192, isa::Quantization{{0.25f}, {3}}),
      tensor("y_f", TensorRole::kInternal, DType::kF32, 16384, std::nullopt),
      tensor("out", TensorRole::kOutput, DType::kF32, 20480, std::nullopt), index};
  p.segments = {{isa::SegmentKind::kBpu, {0, 7}, {"requant", "argmax"}, {}},
                {isa::SegmentKind::kHost,
                 {},
                 {},
                 {{isa::HostOpKind::kDequantize,
                   "dequant",
                   {"y"},
                   "y_f",
                   {{"x_scale", 0.25f}, {"x_zero_point", int64_t{3}}}},
                  {isa::HostOpKind::kRelu, "relu", {"y_f"}, "out", {}}}}};
  isa::Layer requant, argmax;
  requant.name = "requant";
  requant.op = "VREQ";
  requant.code = {0, 3};
  argmax.name = "argmax";
  argmax.op = "ARGMAX";
  argmax.code = {3, 7};
  p.layers = {requant, argmax};
  return p;
}

}  // namespace bpusim::runtime::testing
