// Helpers for the SystemC model's tests: a configured Bpu, memory pokes/peeks, and running an
// assembler program (the ISA's assembler) as one BPU segment.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hw_config.h"
#include "isa/assembler.h"
#include "isa/param_record.h"
#include "sim/bpu.h"

namespace bpusim::sim::testing {

class Machine {
 public:
  explicit Machine(const HwConfig& hw = HwConfig{}) : bpu_(Bpu::instance()) { bpu_.configure(hw); }

  Bpu& bpu() { return bpu_; }
  const HwConfig& hw() const { return bpu_.config(); }

  void put(Buf b, uint64_t addr, const std::vector<uint8_t>& bytes) {
    uint8_t* dst = b == Buf::kDdr ? bpu_.ddr().data() : bpu_.sram(b).data();
    std::memcpy(dst + addr, bytes.data(), bytes.size());
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
    const uint8_t* src = b == Buf::kDdr ? bpu_.ddr().data() : bpu_.sram(b).data();
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
    return bpu_.run(code_, 0, static_cast<int64_t>(code_.size()));
  }
  // Runs and expects no fault.
  runtime::SegmentResult run_ok(const std::string& text) {
    runtime::SegmentResult r = run(text);
    EXPECT_FALSE(r.fault.has_value()) << r.fault->message();
    return r;
  }

 private:
  Bpu& bpu_;
  std::vector<isa::Instruction> code_;
};

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
