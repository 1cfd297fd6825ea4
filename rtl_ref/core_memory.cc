#include "rtl_ref/core_memory.h"

#include <cstring>

#include "common/error.h"

namespace bpusim::rtl {

namespace {
const char* const kBufNames[] = {"FEATURE", "WEIGHT", "ACC", "OUTPUT", "PARAM", "DDR"};
}

CoreMemory*& CoreMemory::current() {
  thread_local CoreMemory* memory = nullptr;
  return memory;
}

void CoreMemory::configure(const HwConfig& hw, runtime::Ddr* ddr) {
  const std::array<int64_t, kNumSrams> bytes{hw.feature_sram_bytes, hw.weight_sram_bytes,
                                             hw.acc_sram_bytes, hw.output_sram_bytes,
                                             hw.param_sram_bytes};
  for (int s = 0; s < kNumSrams; ++s) sram_[s].assign(static_cast<size_t>(bytes[s]), 0);
  ddr_ = ddr;
  error_.clear();
}

std::span<uint8_t> CoreMemory::sram(int buf) {
  require(buf >= 0 && buf < kNumSrams, "no SRAM number ", buf);
  return sram_[static_cast<size_t>(buf)];
}

void CoreMemory::load_code(std::span<const isa::Instruction> code, int64_t first, int64_t end) {
  code_.clear();
  for (int64_t i = first; i < end; ++i) code_.push_back(code[i].words());
}

uint8_t* CoreMemory::at(int buf, int64_t addr, int64_t bytes) {
  uint8_t* base = nullptr;
  int64_t size = 0;
  if (buf >= 0 && buf < kNumSrams) {
    base = sram_[buf].data();
    size = static_cast<int64_t>(sram_[buf].size());
  } else if (buf == kDdr && ddr_ != nullptr) {
    base = ddr_->data();
    size = ddr_->size();
  }
  if (base == nullptr || addr < 0 || bytes < 0 || addr > size || bytes > size - addr) {
    if (error_.empty())
      error_ = cat("the RTL core accessed ", buf >= 0 && buf <= kDdr ? kBufNames[buf] : "buffer ",
                   buf >= 0 && buf <= kDdr ? "" : std::to_string(buf), " [", addr, ", ",
                   addr + bytes, ") outside its ", size, " bytes");
    return nullptr;
  }
  return base + addr;
}

uint8_t CoreMemory::read8(int buf, int64_t addr) {
  const uint8_t* p = at(buf, addr, 1);
  return p ? *p : 0;
}

void CoreMemory::write8(int buf, int64_t addr, uint8_t value) {
  if (uint8_t* p = at(buf, addr, 1)) *p = value;
}

uint32_t CoreMemory::read32(int buf, int64_t addr) {
  uint32_t v = 0;
  if (const uint8_t* p = at(buf, addr, 4)) std::memcpy(&v, p, 4);  // little-endian host
  return v;
}

void CoreMemory::write32(int buf, int64_t addr, uint32_t value) {
  if (uint8_t* p = at(buf, addr, 4)) std::memcpy(p, &value, 4);
}

uint64_t CoreMemory::fetch(int64_t pc, int word) {
  if (pc < 0 || pc >= static_cast<int64_t>(code_.size()) || word < 0 || word > 3) return 0;
  return code_[static_cast<size_t>(pc)][static_cast<size_t>(word)];
}

void CoreMemory::dma_copy(bool store, int buf, int64_t sram_addr, int64_t dram_addr, int64_t n0,
                          int64_t n1, int64_t n2, int64_t stride1, int64_t stride2) {
  uint8_t* sram = at(buf, sram_addr, n0 * n1 * n2);
  if (sram == nullptr) return;
  for (int64_t i2 = 0; i2 < n2; ++i2) {
    for (int64_t i1 = 0; i1 < n1; ++i1) {
      uint8_t* ddr = at(kDdr, dram_addr + i2 * stride2 + i1 * stride1, n0);
      if (ddr == nullptr) return;
      if (store)
        std::memcpy(ddr, sram, static_cast<size_t>(n0));
      else
        std::memcpy(sram, ddr, static_cast<size_t>(n0));
      sram += n0;
    }
  }
}

}  // namespace bpusim::rtl

// ---- the DPI-C functions the core imports (rtl_ref/core/bpu_pkg.sv) ----
using bpusim::rtl::CoreMemory;

extern "C" {
int bpu_rd8(int buf_id, long long addr, long long /*cycle*/) {
  return CoreMemory::current()->read8(buf_id, addr);
}
int bpu_rd32(int buf_id, long long addr, long long /*cycle*/) {
  return static_cast<int>(CoreMemory::current()->read32(buf_id, addr));
}
void bpu_wr8(int buf_id, long long addr, int value) {
  CoreMemory::current()->write8(buf_id, addr, static_cast<uint8_t>(value));
}
void bpu_wr32(int buf_id, long long addr, int value) {
  CoreMemory::current()->write32(buf_id, addr, static_cast<uint32_t>(value));
}
long long bpu_fetch(int pc, int w, long long /*cycle*/) {
  return static_cast<long long>(CoreMemory::current()->fetch(pc, w));
}
void bpu_dma_copy(int store, int buf_id, long long sram_addr, long long dram_addr, int n0, int n1,
                  int n2, long long stride1, long long stride2) {
  CoreMemory::current()->dma_copy(store != 0, buf_id, sram_addr, dram_addr, n0, n1, n2, stride1,
                                  stride2);
}
}
