// The on-chip SRAMs (feature, weight, accumulator, output, parameter) and the access rules the
// units must obey. Each SRAM is `bytes` long, split into `banks` equal contiguous ranges
// (bank = addr / (bytes / banks), "block" banking: tiles the compiler places in different
// ranges never share a bank), each bank with `ports` ports (docs/timing.md rules 9 and 10).
// Every access a unit makes is first described as an Access and checked here: out of range or
// misaligned is a modeled fault (a reason string), never an out-of-bounds write.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <systemc>
#include <vector>

namespace bpusim::sim {

// Buffer numbers as the ISA's `buf` field encodes them; kDdr is the off-chip memory.
enum class Buf : uint8_t { kFeature = 0, kWeight = 1, kAcc = 2, kOutput = 3, kParam = 4, kDdr = 5 };
inline constexpr int kNumSrams = 5;
const char* buf_name(Buf b);  // "FEATURE", ..., "DDR"

// Byte alignment an SRAM requires of an address and a length: 4 for ACC (int32 entries),
// 64 for PARAM (one requantizer record per row), 1 for the byte buffers and DDR.
int64_t buf_alignment(Buf b);

// One contiguous range an instruction reads or writes.
struct Access {
  Buf buf;
  uint64_t addr;
  uint64_t bytes;
  int64_t align;     // required alignment of addr (and of bytes)
  const char* what;  // operand name for the fault message, e.g. "in_addr"
  bool write;
};

using BankSet = std::bitset<256>;  // sram.*.banks <= 256 (HwConfig)

class Sram : public sc_core::sc_module {
 public:
  Sram(sc_core::sc_module_name name, Buf buf);
  // Resizes and zero-fills; takes effect at the start of a run.
  void configure(int64_t bytes, int64_t banks, int64_t ports);

  Buf buf() const { return buf_; }
  int64_t size() const { return static_cast<int64_t>(data_.size()); }
  int64_t banks() const { return banks_; }
  int64_t ports() const { return ports_; }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  void clear() { std::fill(data_.begin(), data_.end(), 0); }

  // The banks [addr, addr + bytes) touches (empty for bytes == 0). Assumes a checked access.
  BankSet banks_of(uint64_t addr, uint64_t bytes) const;

  // Port bookkeeping for rule 10: how many units hold each bank now.
  bool can_hold(const BankSet& set) const;
  void hold(const BankSet& set, int delta);

  // Cycles a unit accessed this SRAM, for the report.
  int64_t busy_cycles = 0;

 private:
  Buf buf_;
  std::vector<uint8_t> data_;
  int64_t banks_ = 1;
  int64_t bank_bytes_ = 1;
  int64_t ports_ = 1;
  std::vector<int> holders_;
};

// Range and alignment check of one access against a memory of `size` bytes: empty when legal,
// else the fault reason naming the operand, buffer, range, size and alignment.
std::optional<std::string> check_access(const Access& a, int64_t size);

}  // namespace bpusim::sim
