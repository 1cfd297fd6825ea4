// The assembler (isa/assembler.h): text in; what assembles disassembles and assembles again
// to the same instructions.
#include "fuzz/fuzz_util.h"
#include "isa/assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bpusim::fuzz::expect_user_error_or_success([&] {
    const std::string text = bpusim::fuzz::as_string(data, size);
    const auto code = bpusim::isa::assemble(text, "fuzz.s");
    const auto again = bpusim::isa::assemble(bpusim::isa::disassemble(code), "disassembly");
    bpusim::check_invariant(again == code, "assemble(disassemble(code)) differs from code");
  });
  return 0;
}
