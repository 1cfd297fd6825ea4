#include "tests/sim/sim_test_util.h"

namespace bpusim::sim::testing {
namespace {

// Every test runs on both backends: the SystemC model and the verilated RTL core.
class Smoke : public BackendTest {};
INSTANTIATE_BACKENDS(Smoke);

TEST_P(Smoke, LoadStoreRoundTrip) {
  Machine m;
  const auto data = random_bytes(256, 1);
  m.put(Buf::kDdr, 0x1000, data);
  auto r = m.run_ok(R"(
    LOAD buf=OUTPUT sram_addr=0x40 dram_addr=0x1000 n0=256 n1=1 n2=1 +push_next
    NOP +pop_prev +push_next
    STORE buf=OUTPUT sram_addr=0x40 dram_addr=0x2000 n0=256 n1=1 n2=1 +pop_prev
    FINISH
  )");
  EXPECT_EQ(m.get(Buf::kDdr, 0x2000, 256), data);
  // docs/timing.md with the defaults (DDR latency 64, 32 bytes/cycle, 64-byte bursts): LOAD
  // is dispatched at 1 and moves 4 bursts in 64 + 256/32 = 72 cycles (ends 73, rule 4); NOP
  // pops its token at 73 and ends at 74 (rules 2, 3); STORE starts at 74 and ends at 146.
  EXPECT_EQ(r.cycles, 146);
}

}  // namespace
}  // namespace bpusim::sim::testing
