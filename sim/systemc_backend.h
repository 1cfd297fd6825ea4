// The SystemC model as a runtime backend (runtime/backend.h): every call goes to the
// process-wide Bpu (bpu.h). Any number of SystemcBackend objects may exist; they share that
// one model, so only one program runs at a time in a process. The waveform is the model's unit
// activity as VCD (Bpu::open_vcd).
#pragma once

#include <span>
#include <string>

#include "runtime/backend.h"

namespace bpusim::sim {

class Bpu;

class SystemcBackend final : public runtime::Backend {
 public:
  SystemcBackend();

  std::string name() const override { return "systemc"; }
  void configure(const HwConfig& hw) override;
  runtime::Ddr& ddr() override;
  std::span<uint8_t> sram(int buf) override;
  runtime::SegmentResult run(std::span<const isa::Instruction> code, int64_t first,
                             int64_t end) override;
  void open_waveform(const std::string& path) override;
  void close_waveform() override;

 private:
  Bpu& bpu_;
};

}  // namespace bpusim::sim
