#include "sim/sram.h"

#include <algorithm>

#include "common/error.h"

namespace bpusim::sim {

const char* buf_name(Buf b) {
  static const char* const kNames[] = {"FEATURE", "WEIGHT", "ACC", "OUTPUT", "PARAM", "DDR"};
  return kNames[static_cast<int>(b)];
}

int64_t buf_alignment(Buf b) {
  switch (b) {
    case Buf::kAcc:
      return 4;
    case Buf::kParam:
      return 64;
    default:
      return 1;
  }
}

Sram::Sram(sc_core::sc_module_name name, Buf buf) : sc_core::sc_module(name), buf_(buf) {}

void Sram::configure(int64_t bytes, int64_t banks, int64_t ports) {
  data_.assign(static_cast<size_t>(bytes), 0);
  banks_ = banks;
  bank_bytes_ = std::max<int64_t>(1, (bytes + banks - 1) / banks);
  ports_ = ports;
  holders_.assign(static_cast<size_t>(banks), 0);
  busy_cycles = 0;
}

BankSet Sram::banks_of(uint64_t addr, uint64_t bytes) const {
  BankSet set;
  if (bytes == 0) return set;
  const int64_t first = static_cast<int64_t>(addr) / bank_bytes_;
  const int64_t last =
      std::min<int64_t>(banks_ - 1, static_cast<int64_t>(addr + bytes - 1) / bank_bytes_);
  for (int64_t b = first; b <= last; ++b) set.set(static_cast<size_t>(b));
  return set;
}

bool Sram::can_hold(const BankSet& set) const {
  for (int64_t b = 0; b < banks_; ++b)
    if (set.test(static_cast<size_t>(b)) && holders_[b] >= ports_) return false;
  return true;
}

void Sram::hold(const BankSet& set, int delta) {
  for (int64_t b = 0; b < banks_; ++b)
    if (set.test(static_cast<size_t>(b))) holders_[b] += delta;
}

std::optional<std::string> check_access(const Access& a, int64_t size) {
  const char* dir = a.write ? "write" : "read";
  if (a.addr % a.align != 0 || a.bytes % a.align != 0)
    return cat(a.what, ": misaligned ", buf_name(a.buf), " ", dir, " at 0x", std::hex, a.addr,
               std::dec, " of ", a.bytes, " bytes (", buf_name(a.buf), " requires ", a.align,
               "-byte alignment)");
  if (a.addr > static_cast<uint64_t>(size) || a.bytes > static_cast<uint64_t>(size) - a.addr)
    return cat(a.what, ": ", buf_name(a.buf), " ", dir, " [0x", std::hex, a.addr, ", 0x",
               a.addr + a.bytes, ") is out of range (size 0x", size, std::dec, ")");
  return std::nullopt;
}

}  // namespace bpusim::sim
