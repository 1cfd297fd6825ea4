// The DDR memory image: a flat byte array of ddr.size_bytes. Pages are allocated lazily by the
// OS (calloc), so a 256 MiB DDR costs only the bytes a program touches. Plain storage: range
// checks that can fail at run time are the DMA engine's (a modeled fault); the runtime's
// accessors below throw bpusim::Error because their callers (program loading) are user input.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

namespace bpusim::runtime {

class Ddr {
 public:
  // Discards the contents and makes `bytes` zero bytes. When the image already has that size
  // and at most a quarter of it was written, it is kept and only the written part is zeroed:
  // its pages stay mapped, so a program run again in the same process (a benchmark, a
  // notebook) takes no page faults for them.
  void reset(int64_t bytes);
  int64_t size() const { return size_; }
  bool contains(uint64_t addr, uint64_t bytes) const {
    return addr <= static_cast<uint64_t>(size_) && bytes <= static_cast<uint64_t>(size_) - addr;
  }
  // Mutable access to the whole image: every byte counts as written from then on.
  uint8_t* data() {
    written_end_ = size_;
    return data_.get();
  }
  const uint8_t* data() const { return data_.get(); }
  // Mutable access to [addr, addr + bytes) only: the caller checked the range and writes
  // nothing outside it.
  uint8_t* writable(uint64_t addr, uint64_t bytes) {
    written_end_ = std::max(written_end_, static_cast<int64_t>(addr + bytes));
    return data_.get() + addr;
  }

  // Copies into / out of DDR; Error naming `what`, the range and the DDR size when out of range.
  void write(uint64_t addr, std::span<const uint8_t> bytes, const std::string& what);
  void read(uint64_t addr, std::span<uint8_t> out, const std::string& what) const;

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t[], Free> data_;
  int64_t size_ = 0;
  int64_t written_end_ = 0;  // every byte at or past it is still zero
};

}  // namespace bpusim::runtime
