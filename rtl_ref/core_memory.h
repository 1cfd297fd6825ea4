// The memories behind the verilated core (rtl_ref/core/bpu_pkg.sv): the five SRAMs, DDR and
// the instruction memory, reached by the Verilog through DPI-C (bpu_rd8, bpu_wr32,
// bpu_fetch, bpu_dma_copy, ...). They are storage only — like SRAM macro models in a netlist
// simulation: every decision about addresses, timing and arithmetic is the Verilog's. The
// core checks every access before an instruction starts (a bad one is a modeled fault), so
// an access outside a memory here is a bug of the core: it is recorded, not performed, and
// the harness reports it as an internal error after the cycle.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"
#include "runtime/ddr.h"

namespace bpusim::rtl {

class CoreMemory {
 public:
  static constexpr int kNumSrams = 5;  // FEATURE, WEIGHT, ACC, OUTPUT, PARAM (the ISA's buf)
  static constexpr int kDdr = 5;

  // Sizes the SRAMs from `hw` and zero-fills them; `ddr` is the backend's DDR image.
  void configure(const HwConfig& hw, runtime::Ddr* ddr);
  // The segment the instruction memory holds: code[first, end).
  // The contents of SRAM `buf` (Error for another number).
  std::span<uint8_t> sram(int buf);
  void load_code(std::span<const isa::Instruction> code, int64_t first, int64_t end);

  uint8_t read8(int buf, int64_t addr);
  void write8(int buf, int64_t addr, uint8_t value);
  uint32_t read32(int buf, int64_t addr);
  void write32(int buf, int64_t addr, uint32_t value);
  uint64_t fetch(int64_t pc, int word);
  void dma_copy(bool store, int buf, int64_t sram_addr, int64_t dram_addr, int64_t n0, int64_t n1,
                int64_t n2, int64_t stride1, int64_t stride2);

  // The first out-of-range access the core made ("" when none).
  const std::string& error() const { return error_; }
  void clear_error() { error_.clear(); }

  // The memory the DPI functions use (one core simulates at a time per thread).
  static CoreMemory*& current();

 private:
  uint8_t* at(int buf, int64_t addr, int64_t bytes);
  std::array<std::vector<uint8_t>, kNumSrams> sram_;
  runtime::Ddr* ddr_ = nullptr;
  std::vector<isa::Words> code_;
  std::string error_;
};

}  // namespace bpusim::rtl
