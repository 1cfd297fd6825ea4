// Shared pieces of the libFuzzer targets (fuzz/CMakeLists.txt, docs/guide.md "Fuzzing").
// Contract of every target: an input is either accepted or rejected with bpusim::Error (a
// user error: exit 2 in the CLI); anything else that escapes — bpusim::InternalError (a
// broken invariant), std::bad_alloc, another exception — and every sanitizer report, crash,
// hang or out-of-memory is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/hw_config.h"

namespace bpusim::fuzz {

// Runs `f`, swallowing only user errors.
template <class F>
void expect_user_error_or_success(F&& f) {
  try {
    f();
  } catch (const InternalError&) {
    throw;  // a bug in bpusim
  } catch (const Error&) {
    // rejected with a message: the expected outcome for malformed input
  }
}

// A small BPU (1 MiB of DDR, small SRAMs) so that a fuzzed model or program is checked or
// simulated in milliseconds; the limits a fuzzed input hits are the same kind as the
// default configuration's.
inline HwConfig small_hw() {
  HwConfig hw;
  hw.ddr_size_bytes = 1 << 20;
  hw.mac_rows = 8;
  hw.mac_cols = 8;
  hw.vector_lanes = 8;
  hw.feature_sram_bytes = 16 << 10;
  hw.weight_sram_bytes = 16 << 10;
  hw.acc_sram_bytes = 8 << 10;
  hw.output_sram_bytes = 8 << 10;
  hw.param_sram_bytes = 4 << 10;
  hw.validate();
  return hw;
}

inline std::string as_string(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace bpusim::fuzz
