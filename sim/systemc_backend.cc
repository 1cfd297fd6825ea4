#include "sim/systemc_backend.h"

#include "sim/bpu.h"

namespace bpusim::sim {

SystemcBackend::SystemcBackend() : bpu_(Bpu::instance()) {}

void SystemcBackend::configure(const HwConfig& hw) {
  bpu_.configure(hw);
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
