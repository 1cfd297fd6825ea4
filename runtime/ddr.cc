#include "runtime/ddr.h"

#include <sys/mman.h>

#include <cstring>

#include "common/error.h"

namespace bpusim::runtime {

void Ddr::reset(int64_t bytes) {
  data_.reset();  // free first: never hold two images at once
  data_.reset(static_cast<uint8_t*>(std::calloc(static_cast<size_t>(bytes), 1)));
  require(data_ != nullptr, "DDR: cannot allocate ", bytes, " bytes (ddr.size_bytes)");
  size_ = bytes;
  advise_huge_pages();
}

// Programs fill megabytes of DDR (weights first) on every run: with 2 MiB pages, where the
// kernel allows them (transparent huge pages in `madvise` or `always` mode), that is one page
// fault per 2 MiB instead of per 4 KiB. Only whole 2 MiB pages inside the image are advised;
// the advice is a hint and its failure changes nothing.
void Ddr::advise_huge_pages() {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data_.get()) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data_.get()) + size_) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

void Ddr::write(uint64_t addr, std::span<const uint8_t> bytes, const std::string& what) {
  require(contains(addr, bytes.size()), what, ": DDR range [0x", std::hex, addr, ", 0x",
          addr + bytes.size(), ") exceeds the DDR size 0x", size_, std::dec, " (ddr.size_bytes)");
  if (!bytes.empty()) std::memcpy(data_.get() + addr, bytes.data(), bytes.size());
}

void Ddr::read(uint64_t addr, std::span<uint8_t> out, const std::string& what) const {
  require(contains(addr, out.size()), what, ": DDR range [0x", std::hex, addr, ", 0x",
          addr + out.size(), ") exceeds the DDR size 0x", size_, std::dec, " (ddr.size_bytes)");
  if (!out.empty()) std::memcpy(out.data(), data_.get() + addr, out.size());
}

}  // namespace bpusim::runtime
