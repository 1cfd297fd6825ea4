#include "runtime/ddr.h"

#include <cstring>

#include "common/error.h"

namespace bpusim::runtime {

void Ddr::reset(int64_t bytes) {
  if (data_ && bytes == size_ && written_end_ <= size_ / 4) {  // cheaper than faulting it in
    std::memset(data_.get(), 0, static_cast<size_t>(written_end_));
    written_end_ = 0;
    return;
  }
  written_end_ = 0;
  data_.reset();  // free first: never hold two images at once
  data_.reset(static_cast<uint8_t*>(std::calloc(static_cast<size_t>(bytes), 1)));
  require(data_ != nullptr, "DDR: cannot allocate ", bytes, " bytes (ddr.size_bytes)");
  size_ = bytes;
}

void Ddr::write(uint64_t addr, std::span<const uint8_t> bytes, const std::string& what) {
  require(contains(addr, bytes.size()), what, ": DDR range [0x", std::hex, addr, ", 0x",
          addr + bytes.size(), ") exceeds the DDR size 0x", size_, std::dec, " (ddr.size_bytes)");
  if (!bytes.empty()) std::memcpy(writable(addr, bytes.size()), bytes.data(), bytes.size());
}

void Ddr::read(uint64_t addr, std::span<uint8_t> out, const std::string& what) const {
  require(contains(addr, out.size()), what, ": DDR range [0x", std::hex, addr, ", 0x",
          addr + out.size(), ") exceeds the DDR size 0x", size_, std::dec, " (ddr.size_bytes)");
  if (!out.empty()) std::memcpy(out.data(), data_.get() + addr, out.size());
}

}  // namespace bpusim::runtime
