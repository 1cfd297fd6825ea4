// The DDR memory image: a flat byte array of ddr.size_bytes. Pages are allocated lazily by the
// OS (calloc), so a 256 MiB DDR costs only the bytes a program touches. Plain storage: range
// checks that can fail at run time are the DMA engine's (a modeled fault); the runtime's
// accessors below throw bpusim::Error because their callers (program loading) are user input.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

namespace bpusim::runtime {

class Ddr {
 public:
  // Discards the contents and makes `bytes` zero bytes.
  void reset(int64_t bytes);
  int64_t size() const { return size_; }
  bool contains(uint64_t addr, uint64_t bytes) const {
    return addr <= static_cast<uint64_t>(size_) && bytes <= static_cast<uint64_t>(size_) - addr;
  }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }

  // Copies into / out of DDR; Error naming `what`, the range and the DDR size when out of range.
  void write(uint64_t addr, std::span<const uint8_t> bytes, const std::string& what);
  void read(uint64_t addr, std::span<uint8_t> out, const std::string& what) const;

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t[], Free> data_;
  int64_t size_ = 0;
};

}  // namespace bpusim::runtime
