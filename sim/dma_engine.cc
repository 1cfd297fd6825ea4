#include "sim/dma_engine.h"

#include <cstring>
#include <utility>

#include "common/error.h"
#include "sim/clock.h"
#include "sim/timing.h"

namespace bpusim::sim {

DmaEngine::DmaEngine(sc_core::sc_module_name name, const Memories& memories)
    : sc_core::sc_module(name), port("ddr_port"), mem_(memories) {}

void DmaEngine::configure(const HwConfig& hw) {
  hw_ = hw;
  port.configure(hw.ddr_bytes_per_cycle, hw.ddr_latency_cycles);
}

Plan DmaEngine::Channel::plan(const Decoded& d) {
  const isa::Operands& f = d.f;
  Plan p;
  const Buf buf = static_cast<Buf>(f.buf);
  const uint64_t n0 = f.n0, n1 = f.n1, n2 = f.n2;
  const uint64_t bytes = n0 * n1 * n2;
  const bool store = who_ == DdrPort::kStore;
  // The DDR side: strides are unsigned, so the first byte is dram_addr and the last run of the
  // last plane ends highest.
  const uint64_t span =
      bytes == 0 ? 0
                 : (n2 - 1) * uint64_t(f.dram_stride2) + (n1 - 1) * uint64_t(f.dram_stride1) + n0;
  p.accesses = {{buf, uint64_t(f.sram_addr), bytes, buf_alignment(buf), "sram_addr", !store},
                {Buf::kDdr, uint64_t(f.dram_addr), span, 1, "dram_addr", store}};
  // Burst counting may visit every run: only for a transfer that fits its SRAM (the engine
  // faults on the others before they run).
  if (dma_.mem_.check(p.accesses[0])) return p;
  p.bus_bytes = timing::dma_bus_bytes(f, dma_.hw_.ddr_burst_bytes);
  p.payload_bytes = static_cast<int64_t>(bytes);
  p.cycles = timing::dma_cycles_alone(p.bus_bytes, dma_.hw_);
  return p;
}

void DmaEngine::Channel::run(const Decoded& d, const Plan& p) {
  if (p.bus_bytes == 0)
    sc_core::wait(cycles(1));
  else
    dma_.port.transfer(who_, p.bus_bytes);
  const isa::Operands& f = d.f;
  const Memories& mem = dma_.mem_;
  uint8_t* sram = mem.ptr(static_cast<Buf>(f.buf), f.sram_addr);
  const uint8_t* ddr_base = std::as_const(*mem.ddr).data();
  const bool store = who_ == DdrPort::kStore;
  for (int64_t i2 = 0; i2 < f.n2; ++i2) {
    for (int64_t i1 = 0; i1 < f.n1; ++i1) {
      const uint64_t addr =
          uint64_t(f.dram_addr) + i2 * uint64_t(f.dram_stride2) + i1 * uint64_t(f.dram_stride1);
      if (store)
        std::memcpy(mem.ddr->writable(addr, f.n0), sram, f.n0);
      else
        std::memcpy(sram, ddr_base + addr, f.n0);
      sram += f.n0;
    }
  }
}

}  // namespace bpusim::sim
