// Helpers for the hardware models' tests: a configured backend (SystemC or RTL), memory
// pokes/peeks, running an assembler program (the ISA's assembler) as one BPU segment, and
// suites instantiated once per backend.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hw_config.h"
#include "isa/assembler.h"
#include "isa/param_record.h"
#ifdef BPUSIM_HAVE_RTL_CORE
#include "rtl_ref/core_backend.h"
#endif
#include "sim/sram.h"
#include "tools/cli/backends.h"

namespace bpusim::sim::testing {

// The backend every Machine of the running test uses: "systemc", unless a test suite
// parameterized by backend (BackendTest below) sets it for each of its instances.
inline std::string& machine_backend() {
  static std::string name = "systemc";
  return name;
}

// A configured backend (the SystemC model or the verilated RTL core), memory pokes/peeks, and
// assembler programs run as one BPU segment.
class Machine {
 public:
  explicit Machine(const HwConfig& hw = HwConfig{})
      : backend_(cli::make_backend(machine_backend())), hw_(hw) {
    backend_->configure(hw);
  }

  runtime::Backend& backend() { return *backend_; }
  const HwConfig& hw() const { return hw_; }

  uint8_t* memory(Buf b) {
    return b == Buf::kDdr ? backend_->ddr().data() : backend_->sram(static_cast<int>(b)).data();
  }
  void put(Buf b, uint64_t addr, const std::vector<uint8_t>& bytes) {
    std::memcpy(memory(b) + addr, bytes.data(), bytes.size());
  }
  void put_i32(Buf b, uint64_t addr, const std::vector<int32_t>& values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    std::memcpy(bytes.data(), values.data(), bytes.size());
    put(b, addr, bytes);
  }
  void put_records(uint64_t addr, const std::vector<isa::ParamRecord>& records) {
    put(Buf::kParam, addr, isa::pack(records));
  }
  std::vector<uint8_t> get(Buf b, uint64_t addr, size_t n) {
    const uint8_t* src = memory(b);
    return {src + addr, src + addr + n};
  }
  std::vector<int32_t> get_i32(Buf b, uint64_t addr, size_t n) {
    std::vector<int32_t> out(n);
    std::memcpy(out.data(), get(b, addr, n * 4).data(), n * 4);
    return out;
  }

  // Assembles `text` and runs it as one segment.
  runtime::SegmentResult run(const std::string& text) {
    code_ = isa::assemble(text, "test.s");
    return backend_->run(code_, 0, static_cast<int64_t>(code_.size()));
  }
  // Runs and expects no fault.
  runtime::SegmentResult run_ok(const std::string& text) {
    runtime::SegmentResult r = run(text);
    EXPECT_FALSE(r.fault.has_value()) << r.fault->message();
    return r;
  }

 private:
  std::unique_ptr<runtime::Backend> backend_;
  HwConfig hw_;
  std::vector<isa::Instruction> code_;
};

// Whether the running test's backend can model `hw`: the SystemC model always; the RTL core
// when rtl_ref/configs/ has a verilated core of that structure.
inline bool built_for([[maybe_unused]] const HwConfig& hw) {
  if (machine_backend() != "rtl") return true;
#ifdef BPUSIM_HAVE_RTL_CORE
  for (const rtl::CoreVariant& v : rtl::core_variants())
    if (v.rows == hw.mac_rows && v.cols == hw.mac_cols && v.depth == hw.requant_pipeline_depth &&
        v.vlanes == hw.vector_lanes)
      return true;
#endif
  return false;
}
#define BPUSIM_SKIP_UNLESS_BUILT(hw)          \
  if (!::bpusim::sim::testing::built_for(hw)) \
  GTEST_SKIP() << "no RTL core of this structure is built"

// A suite run on the backend its test executable is built for (BPUSIM_TEST_BACKEND:
// "systemc" in sim_test, "rtl" in sim_core_test): TEST_P(Suite, Name) with Suite deriving from
// BackendTest and INSTANTIATE_BACKENDS(Suite).
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { machine_backend() = GetParam(); }
  void TearDown() override { machine_backend() = "systemc"; }
};
#define INSTANTIATE_BACKENDS(suite)                            \
  INSTANTIATE_TEST_SUITE_P(                                    \
      Backends, suite, ::testing::Values(BPUSIM_TEST_BACKEND), \
      [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })

inline std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// The record of one instruction index in a run's counters (nullptr when absent).
inline const runtime::InstrRecord* record_of(const runtime::SegmentResult& r, int64_t index) {
  for (const auto& rec : r.counters.instrs)
    if (rec.index == index) return &rec;
  return nullptr;
}

}  // namespace bpusim::sim::testing
