// The memories a unit may touch, by buffer number: the five SRAMs and DDR. Units describe
// every access as an Access (sram.h) and read/write through these pointers only after the
// engine has checked those accesses, so no unit ever touches memory out of range.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "runtime/ddr.h"
#include "sim/sram.h"

namespace bpusim::sim {

struct Memories {
  std::array<Sram*, kNumSrams> sram{};
  runtime::Ddr* ddr = nullptr;

  Sram& of(Buf b) const { return *sram[static_cast<int>(b)]; }
  int64_t size(Buf b) const { return b == Buf::kDdr ? ddr->size() : of(b).size(); }
  uint8_t* ptr(Buf b, uint64_t addr) const {
    return (b == Buf::kDdr ? ddr->data() : of(b).data()) + addr;
  }
  std::optional<std::string> check(const Access& a) const { return check_access(a, size(a.buf)); }
};

}  // namespace bpusim::sim
