// The .bpu container reader (isa/container.h), the disassembler and the runtime loader
// (runtime/runtime.h) on fuzzed program bytes. A program that reads is disassembled, checked
// against its own hardware configuration and, when that configuration is small (at most
// 1 MiB of DDR) and the code short, run on the SystemC model with zero inputs: a modeled
// fault is a result, a user error is a rejection.
#include <map>

#include "fuzz/fuzz_util.h"
#include "isa/assembler.h"
#include "isa/container.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"

namespace {

using namespace bpusim;

void check(std::span<const uint8_t> bytes) {
  const isa::Program p = isa::read_program(bytes, "fuzz.bpu");
  isa::disassemble(p.code);
  if (p.hwconfig.is_null()) return;
  runtime::RunOptions o;
  o.hw = HwConfig::from_json(p.hwconfig, "fuzz.bpu: HWCONFIG");
  o.hw.validate();
  o.source = "fuzz.bpu";
  runtime::check_hw_hash(p, o.hw, o.source);
  if (o.hw.ddr_size_bytes > (1 << 20) || p.code.size() > 4096) return;
  std::map<std::string, Tensor> inputs;
  for (const isa::TensorDesc& d : p.tensors) {
    if (d.role != isa::TensorRole::kInput) continue;
    // An input larger than the DDR cannot be given by a user either; the harness skips it.
    if (numel(d.shape) > o.hw.ddr_size_bytes) return;
    inputs.emplace(d.name, Tensor(d.ir_dtype, d.shape));
  }
  static sim::SystemcBackend backend;
  runtime::run_program(p, inputs, o, backend);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_user_error_or_success([&] { check({data, size}); });
  return 0;
}
