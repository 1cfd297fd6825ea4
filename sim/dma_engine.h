// The DMA engine: executes LOAD (DDR -> SRAM) and STORE (SRAM -> DDR), 3-D strided on the DDR
// side and dense on the SRAM side (docs/isa.md). Its two channels (one per queue) share the
// DDR port (ddr_port.h): rules 4 and 5 of docs/timing.md. The bytes move in bulk when the
// transfer's last byte has crossed the port.
#pragma once

#include <cstdint>
#include <systemc>

#include "common/hw_config.h"
#include "sim/ddr_port.h"
#include "sim/memories.h"
#include "sim/unit.h"

namespace bpusim::sim {

class DmaEngine : public sc_core::sc_module {
 public:
  DmaEngine(sc_core::sc_module_name name, const Memories& memories);
  void configure(const HwConfig& hw);

  // One channel per instruction queue; both are Units for their engine.
  class Channel : public Unit {
   public:
    Channel(DmaEngine& dma, DdrPort::Requester who) : dma_(dma), who_(who) {}
    Plan plan(const Decoded& d) override;
    void run(const Decoded& d, const Plan& p) override;

   private:
    DmaEngine& dma_;
    DdrPort::Requester who_;
  };

  Channel load_channel{*this, DdrPort::kLoad};
  Channel store_channel{*this, DdrPort::kStore};
  DdrPort port;

 private:
  const Memories& mem_;
  HwConfig hw_;
};

}  // namespace bpusim::sim
