#include "sim/systemc_backend.h"

#include "common/error.h"
#include "sim/bpu.h"

namespace bpusim::sim {

SystemcBackend::SystemcBackend() : bpu_(Bpu::instance()) {}

void SystemcBackend::configure(const HwConfig& hw) {
  bpu_.configure(hw);
}

std::span<uint8_t> SystemcBackend::sram(int buf) {
  require(buf >= 0 && buf < kNumSrams, "no SRAM number ", buf);
  Sram& s = bpu_.sram(static_cast<Buf>(buf));
  return {s.data(), static_cast<size_t>(s.size())};
}

runtime::Ddr& SystemcBackend::ddr() {
  return bpu_.ddr();
}

runtime::SegmentResult SystemcBackend::run(std::span<const isa::Instruction> code, int64_t first,
                                           int64_t end) {
  return bpu_.run(code, first, end);
}

void SystemcBackend::open_waveform(const std::string& path) {
  bpu_.open_vcd(path);
}

void SystemcBackend::close_waveform() {
  bpu_.close_vcd();
}

}  // namespace bpusim::sim
