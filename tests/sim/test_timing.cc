// One named test per rule of docs/timing.md. Expected cycle counts are written out from the
// rule's formula with the configuration's numbers (defaults: 32x32 array, depth
// D = log2(32) + 2 = 7, requantizer depth P = 4, 32 vector lanes, DDR 32 B/cycle, latency 64,
// bursts of 64 B), so a change in the model's timing fails here.
#include "sim/timing.h"
#include "tests/sim/sim_test_util.h"

namespace bpusim::sim::testing {
namespace {

// Every test runs on both backends: the SystemC model and the verilated RTL core.
class Timing : public BackendTest {};
INSTANTIATE_BACKENDS(Timing);

using bpusim::cat;

int64_t duration(const runtime::SegmentResult& r, int64_t index) {
  const runtime::InstrRecord* rec = record_of(r, index);
  EXPECT_NE(rec, nullptr) << "instruction " << index << " did not run";
  return rec ? rec->end - rec->start : -1;
}
int64_t stall(const runtime::SegmentResult& r, int64_t index, runtime::Stall s) {
  const runtime::InstrRecord* rec = record_of(r, index);
  return rec ? rec->stall[static_cast<int>(s)] : -1;
}

// ---- Rule 1: fetch and dispatch
TEST_P(Timing, Rule1FetchDispatchesOneInstructionPerCycle) {
  Machine m;
  const runtime::SegmentResult r = m.run_ok("NOP\nNOP\nNOP\nNOP\nFINISH");
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(record_of(r, i)->dispatch, i + 1);
  EXPECT_EQ(r.cycles, 5 + 1);  // the last instruction dispatches at 5 and runs 1 cycle
}

TEST_P(Timing, Rule1FullQueueStallsFetch) {
  HwConfig hw;
  hw.queue_depth = 2;
  Machine m(hw);
  // Each LOAD: one 64-byte burst = 64 + 64/32 = 66 cycles. LOAD 0 leaves the queue at once,
  // LOADs 1 and 2 fill it, LOAD 3 (fetched at cycle 4) waits until LOAD 0 ends at 1 + 66.
  const runtime::SegmentResult r = m.run_ok(R"(
    LOAD buf=FEATURE n0=32 n1=1 n2=1
    LOAD buf=FEATURE n0=32 n1=1 n2=1
    LOAD buf=FEATURE n0=32 n1=1 n2=1
    LOAD buf=FEATURE n0=32 n1=1 n2=1
    FINISH
  )");
  // The queue admits it one cycle after the engine takes LOAD 1 (at 67): dispatched at 68,
  // after fetch found the queue full in cycles 4 .. 67.
  EXPECT_EQ(record_of(r, 3)->dispatch, 68);
  EXPECT_EQ(r.counters.stalls[static_cast<int>(runtime::Engine::kFetch)]
                             [static_cast<int>(runtime::Stall::kQueueFull)],
            64);
}

// ---- Rule 2: control instructions
TEST_P(Timing, Rule2ControlInstructionsTakeOneCycle) {
  Machine m;
  const runtime::SegmentResult r = m.run_ok("NOP\nLOAD buf=FEATURE n0=0 n1=1 n2=1\nFINISH");
  EXPECT_EQ(duration(r, 0), 1);
  EXPECT_EQ(duration(r, 1), 1);
  EXPECT_EQ(duration(r, 2), 1);
}

// ---- Rule 3: tokens
TEST_P(Timing, Rule3MissingTokenStallsTheConsumerUntilThePush) {
  Machine m;
  const char* conv =
      "CONV in_h=1 in_w=1 in_c=1 out_h=1 out_w=1 out_c=1 k_h=1 k_w=1 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1";
  // Without a token the CONV does not wait for the LOAD (another bank, rule 10): it is
  // dispatched at 2 and starts.
  runtime::SegmentResult free_run =
      m.run_ok(cat("LOAD buf=FEATURE sram_addr=0x20000 n0=4096 n1=1 n2=1\n", conv, "\nFINISH"));
  EXPECT_EQ(record_of(free_run, 1)->start, 2);
  // With one, it starts in the cycle the LOAD ends (1 + 64 + 4096/32 = 193).
  runtime::SegmentResult r =
      m.run_ok(cat("LOAD buf=FEATURE sram_addr=0x20000 n0=4096 n1=1 n2=1 +push_next\n", conv,
                   " +pop_prev\nFINISH"));
  EXPECT_EQ(record_of(r, 0)->end, 193);
  EXPECT_EQ(record_of(r, 1)->start, 193);
  EXPECT_EQ(stall(r, 1, runtime::Stall::kTokenWait), 193 - 2);
}

TEST_P(Timing, Rule3FullTokenFifoHoldsTheProducerUntilATokenIsTaken) {
  HwConfig hw;
  hw.token_depth = 1;
  Machine m(hw);
  const char* conv =
      "CONV in_h=1 in_w=1 in_c=1 out_h=1 out_w=1 out_c=1 k_h=1 k_w=1 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1 +pop_prev\n";
  // LOAD 0 ends and pushes its token; the compute queue is busy with a long CONV that pops
  // nothing, so the one-token L2C FIFO stays full.
  const runtime::SegmentResult r = m.run_ok(
      cat("LOAD buf=FEATURE sram_addr=0x20000 n0=32 n1=1 n2=1 +push_next\n"
          "LOAD buf=FEATURE sram_addr=0x20040 n0=32 n1=1 n2=1 +push_next\n"
          "CONV in_addr=0x0 in_h=7 in_w=8 in_c=64 out_h=5 out_w=6 out_c=40 k_h=3 k_w=3 stride_h=1 "
          "stride_w=1 dil_h=1 dil_w=1\n",
          conv, conv, "FINISH"));
  // LOAD 1 is issued when LOAD 0 ends (66) but its token has no room until CONV 3 takes
  // LOAD 0's token, in the cycle the long CONV 2 ends; room shows one cycle later.
  const int64_t long_end = record_of(r, 2)->end;
  EXPECT_EQ(record_of(r, 3)->start, long_end);
  EXPECT_EQ(record_of(r, 1)->start, long_end + 1);
  EXPECT_EQ(stall(r, 1, runtime::Stall::kTokenWait), long_end + 1 - record_of(r, 0)->end);
  // With room for both tokens LOAD 1 follows LOAD 0 at once.
  Machine roomy;
  const runtime::SegmentResult free_run = roomy.run_ok(
      cat("LOAD buf=FEATURE sram_addr=0x20000 n0=32 n1=1 n2=1 +push_next\n"
          "LOAD buf=FEATURE sram_addr=0x20040 n0=32 n1=1 n2=1 +push_next\n"
          "CONV in_addr=0x0 in_h=7 in_w=8 in_c=64 out_h=5 out_w=6 out_c=40 k_h=3 k_w=3 stride_h=1 "
          "stride_w=1 dil_h=1 dil_w=1\n",
          conv, conv, "FINISH"));
  EXPECT_EQ(record_of(free_run, 1)->start, record_of(free_run, 0)->end);
}

TEST_P(Timing, Rule3EngineWaitingForDispatchCountsQueueEmpty) {
  Machine m;
  // STORE is fetched third (cycle 3) while the store engine has waited since cycle 0.
  const runtime::SegmentResult r = m.run_ok("NOP\nNOP\nSTORE buf=OUTPUT n0=0 n1=1 n2=1\nFINISH");
  EXPECT_EQ(stall(r, 2, runtime::Stall::kQueueEmpty), 3);
}

// ---- Rule 4: DMA alone
TEST_P(Timing, Rule4BandwidthBoundLoadFollowsBytesOverBandwidth) {
  Machine m;
  runtime::SegmentResult r = m.run_ok("LOAD buf=FEATURE n0=4096 n1=1 n2=1\nFINISH");
  EXPECT_EQ(duration(r, 0), 64 + 4096 / 32);
  HwConfig slow;
  slow.ddr_bytes_per_cycle = 8;
  slow.ddr_latency_cycles = 10;
  Machine m2(slow);
  r = m2.run_ok("LOAD buf=WEIGHT n0=1000 n1=3 n2=1 dram_stride1=0x400\nFINISH");
  // Runs of 1000 bytes at 64-byte aligned addresses: 16 bursts = 1024 bus bytes each.
  EXPECT_EQ(duration(r, 0), 10 + 3 * 1024 / 8);
  EXPECT_EQ(r.counters.ddr_bus_bytes, 3 * 1024);
  EXPECT_EQ(r.counters.ddr_read_bytes, 3000);
}

TEST_P(Timing, Rule4BurstRoundingChargesWholeBursts) {
  Machine m;
  // A 1-byte run at offset 63 of a burst needs 1 burst; a 2-byte run there straddles 2.
  runtime::SegmentResult r =
      m.run_ok("LOAD buf=FEATURE dram_addr=0x3f n0=1 n1=10 n2=1 dram_stride1=0x80\nFINISH");
  EXPECT_EQ(duration(r, 0), 64 + 10 * 64 / 32);
  r = m.run_ok("LOAD buf=FEATURE dram_addr=0x3f n0=2 n1=10 n2=1 dram_stride1=0x80\nFINISH");
  EXPECT_EQ(duration(r, 0), 64 + 10 * 128 / 32);
}

// ---- Rule 5: shared DDR port
TEST_P(Timing, Rule5FirstComeFirstServedOnTheSharedPort) {
  Machine m;
  // LOAD starts at cycle 1 and moves data from 1 + 64 = 65; the STORE starts at 2 (its turn
  // comes once the LOAD has started) and would move from 2 + 64 = 66. The LOAD came first: it
  // moves its 4096 bytes at the full 32 B/cycle (ends 65 + 128 = 193) while the STORE waits;
  // then the STORE moves alone (ends 193 + 128 = 321).
  const runtime::SegmentResult r = m.run_ok(R"(
    LOAD buf=FEATURE sram_addr=0x0 n0=4096 n1=1 n2=1
    STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x100000 n0=4096 n1=1 n2=1
    FINISH
  )");
  EXPECT_EQ(record_of(r, 0)->end, 193);
  EXPECT_EQ(record_of(r, 1)->end, 321);
  EXPECT_EQ(stall(r, 0, runtime::Stall::kDdrBandwidth), 0);
  EXPECT_EQ(stall(r, 1, runtime::Stall::kDdrBandwidth), (321 - 2) - (64 + 128));
  EXPECT_EQ(r.counters.unit_busy[static_cast<int>(runtime::UnitId::kDdr)], 321 - 65);
}

// A transfer moving data is never paused: a LOAD that comes later waits for an earlier STORE.
TEST_P(Timing, Rule5ALaterLoadWaitsForAnEarlierStore) {
  Machine m;
  // STORE moves from 1 + 64 = 65 to 193; the LOAD starts at 2 and would move from 66, but
  // the STORE came first: the LOAD moves from 193 to 321.
  const runtime::SegmentResult r = m.run_ok(R"(
    STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x100000 n0=4096 n1=1 n2=1
    LOAD buf=FEATURE sram_addr=0x0 n0=4096 n1=1 n2=1
    FINISH
  )");
  EXPECT_EQ(record_of(r, 0)->end, 193);
  EXPECT_EQ(record_of(r, 1)->start, 2);
  EXPECT_EQ(record_of(r, 1)->end, 321);
  EXPECT_EQ(stall(r, 1, runtime::Stall::kDdrBandwidth), (321 - 2) - (64 + 128));
}

// DMAs that move data start in program order, one per cycle: a LOAD that needs nothing waits
// for the STORE before it, which waits for the CONV's token; a LOAD that moves nothing does
// not take a turn.
TEST_P(Timing, Rule5DmasThatMoveDataStartInProgramOrder) {
  Machine m;
  // The CONV runs cycles 1..17 (rule 6: 8 beats + 4 vectors + depth 4) and pushes C2S at 17;
  // the STORE starts then; the empty LOAD runs at its dispatch (cycle 3), the LOAD after it
  // starts the cycle after the STORE (18), not when its engine takes it (4).
  const runtime::SegmentResult r = m.run_ok(R"(
    CONV in_h=2 in_w=2 in_c=3 out_h=2 out_w=2 out_c=8 k_h=1 k_w=1 stride_h=1 stride_w=1 dil_h=1 dil_w=1 +push_next
    STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x100000 n0=64 n1=1 n2=1 +pop_prev
    LOAD buf=FEATURE sram_addr=0x20000 n0=0 n1=1 n2=1
    LOAD buf=FEATURE sram_addr=0x20000 n0=64 n1=1 n2=1
    FINISH
  )");
  EXPECT_EQ(record_of(r, 0)->end, 17);
  EXPECT_EQ(record_of(r, 1)->start, 17);
  EXPECT_EQ(record_of(r, 2)->start, 3);
  EXPECT_EQ(record_of(r, 3)->start, 18);
  EXPECT_EQ(stall(r, 3, runtime::Stall::kBankConflict), 18 - 4);
}

// ---- Rule 6: MAC array
TEST_P(Timing, Rule6ComputeBoundConvFollowsArrayPasses) {
  Machine m;
  // Dense: ceil(40/32) * ceil(64/32) * 3*3 = 36 passes of N = 5*6 vectors: 18 of 32 output
  // channels (32 weight beats), then 18 of 8. Weights load behind the previous pass's stream:
  // the first 32 beats, then max(N, beats) per pass (the first pass's own max counted by its
  // load), then the last pass's N vectors and the depth 7.
  runtime::SegmentResult r = m.run_ok(
      "CONV in_h=7 in_w=8 in_c=64 out_h=5 out_w=6 out_c=40 k_h=3 k_w=3 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1\nFINISH");
  EXPECT_EQ(duration(r, 0), 32 + (18 * 32 + 18 * 30 - 32) + 30 + 7);
  EXPECT_EQ(record_of(r, 0)->macs, 5 * 6 * 40 * 9 * 64);
  // Depthwise: ceil(40 / min(32, 32)) * 9 = 18 passes of 16 vectors, 9 of 32 beats, 9 of 8.
  r = m.run_ok(
      "CONV in_h=6 in_w=6 in_c=40 out_h=4 out_w=4 out_c=40 k_h=3 k_w=3 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1 depthwise=1\nFINISH");
  EXPECT_EQ(duration(r, 0), 32 + (9 * 32 + 9 * 16 - 32) + 16 + 7);
}

// The adder tree is tapped after the levels the CONV's columns need, so a narrow CONV is not
// slower on a wider array.
TEST_P(Timing, Rule6NarrowConvUsesAShallowerTree) {
  Machine m;
  // 3 input channels on 32 columns: depth ceil(log2 3) + 2 = 4, not 7; 8 weight beats
  // (rows used) + 4 vectors.
  const char* narrow =
      "CONV in_h=2 in_w=2 in_c=3 out_h=2 out_w=2 out_c=8 k_h=1 k_w=1 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1\nFINISH";
  EXPECT_EQ(duration(m.run_ok(narrow), 0), 8 + 4 + 4);
  // Depthwise over 2 channels: the diagonal's first 2 columns, depth 1 + 2.
  EXPECT_EQ(duration(m.run_ok("CONV in_h=2 in_w=2 in_c=2 out_h=2 out_w=2 out_c=2 k_h=1 k_w=1 "
                              "stride_h=1 stride_w=1 dil_h=1 dil_w=1 depthwise=1\nFINISH"),
                     0),
            2 + 4 + 3);
  HwConfig wide;
  wide.mac_cols = 64;
  if (built_for(wide)) {
    Machine m2(wide);
    EXPECT_EQ(duration(m2.run_ok(narrow), 0), 8 + 4 + 4);
  }
}

// rtl_ref/configs/tiny.json's structure (5 rows, 3 columns, requantizer depth 2, 3 vector
// lanes): an RTL core of it is built, so these run on both backends.
HwConfig tiny_structure() {
  HwConfig hw;
  hw.mac_rows = 5;
  hw.mac_cols = 3;
  hw.requant_pipeline_depth = 2;
  hw.vector_lanes = 3;
  return hw;
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

TEST_P(Timing, Rule6PassesFollowTheConfiguredArray) {
  const HwConfig hw = tiny_structure();  // depth ceil(log2 3) + 2 = 4; depthwise blocks of 3
  BPUSIM_SKIP_UNLESS_BUILT(hw);
  Machine m(hw);
  runtime::SegmentResult r = m.run_ok(
      "CONV in_h=3 in_w=3 in_c=11 out_h=3 out_w=3 out_c=9 k_h=1 k_w=1 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1\nFINISH");
  // ceil(11 / 3) x ceil(9 / 5) = 8 passes of 9 vectors (5 then 4 weight beats, hidden behind
  // the 9 vectors of the pass before): the first load, 8 x 9, then the depth.
  EXPECT_EQ(duration(r, 0), 5 + ceil_div(11, 3) * ceil_div(9, 5) * 9 + 4);
  r = m.run_ok(
      "CONV in_h=3 in_w=3 in_c=9 out_h=3 out_w=3 out_c=9 k_h=1 k_w=2 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1 depthwise=1\nFINISH");
  // ceil(9 / min(5, 3)) blocks of 3 channels (3 weight beats each) x 2 taps = 6 passes.
  EXPECT_EQ(duration(r, 0), 3 + ceil_div(9, 3) * 2 * 9 + 4);
}

// docs/microarch.md's tile-sequence formulas, counted to the last output valid, plus the
// cycle in which the instruction writes it back.
TEST_P(Timing, Rule6And7InstructionCyclesAreTheTileSequencePlusOne) {
  const HwConfig hw = tiny_structure();
  BPUSIM_SKIP_UNLESS_BUILT(hw);
  Machine m(hw);
  // ceil(6 / 5) x ceil(11 / 3) x 2 taps = 16 passes of 6 vectors, 8 with 5 weight beats and
  // 8 with 1 (the sixth output channel): T = R_1 + sum_{k>=2} max(N, R_k) + N - 1 + D.
  const int64_t n = 6;
  const int64_t t_mac = 5 + (16 * n - n) + n - 1 + 4;
  EXPECT_EQ(duration(m.run_ok("CONV in_h=2 in_w=4 in_c=11 out_h=2 out_w=3 out_c=6 k_h=1 k_w=2 "
                              "stride_h=1 stride_w=1 dil_h=1 dil_w=1\nFINISH"),
                     0),
            t_mac + 1);
  // ceil(12 / 5) tiles: 5, 5 and 2 records, each then 9 vectors + depth 2.
  const int64_t t_rq = (5 + 9 + 2) + (5 + 9 + 2) + (2 + 9 + 2) - 1;
  EXPECT_EQ(duration(m.run_ok("REQUANT n_pix=9 n_ch=12 out_type=i32\nFINISH"), 0), t_rq + 1);
  // One tile: the closed forms equal the stall-domain loop without back pressure.
  for (int64_t v : {1, 2, 7, 64}) {
    EXPECT_EQ(timing::pipelined_tile_latency(5, v, timing::mac_depth(hw), {}),
              timing::mac_tile_latency(v, hw));
    EXPECT_EQ(timing::pipelined_tile_latency(5, v, 2, {}), timing::requant_tile_latency(v, hw));
  }
}

// docs/microarch.md's diagram: R = C = 4 (D = 4), N = 3; output not ready in cycles 8 and 9.
TEST_P(Timing, Rule6And7BackPressureHoldsThePipeline) {
  EXPECT_EQ(timing::pipelined_tile_latency(4, 3, 4, {}), 10);
  const std::vector<uint8_t> ready{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1};
  EXPECT_EQ(timing::pipelined_tile_latency(4, 3, 4, ready), 12);
  // Never ready in even cycles: every output waits, and the stream with it.
  EXPECT_GT(timing::pipelined_tile_latency(4, 8, 4, {0, 1}),
            timing::pipelined_tile_latency(4, 8, 4, {}));
}

// ---- Rule 7: requantizer
TEST_P(Timing, Rule7RequantFollowsTilesAndPipelineDepth) {
  Machine m;
  const char* text = "REQUANT n_pix=10 n_ch=40 out_type=i32\nFINISH";
  // Two tiles: 32 and 8 records (one per channel), each then 10 vectors and the depth.
  EXPECT_EQ(duration(m.run_ok(text), 0), (32 + 10 + 4) + (8 + 10 + 4));
  HwConfig deep;
  deep.requant_pipeline_depth = 9;
  if (built_for(deep)) {
    Machine m2(deep);
    EXPECT_EQ(duration(m2.run_ok(text), 0), (32 + 10 + 9) + (8 + 10 + 9));
  }
}

// ---- Rule 8: vector unit
TEST_P(Timing, Rule8VectorUnitFollowsLanes) {
  Machine m;
  EXPECT_EQ(duration(m.run_ok("VADD b_addr=0x8000 n=100\nFINISH"), 0), 4 + 1 + 4);
  EXPECT_EQ(duration(m.run_ok("COPY src_buf=FEATURE n=100\nFINISH"), 0), 4 + 1);
  EXPECT_EQ(duration(m.run_ok("ARGMAX n=3 c=40\nFINISH"), 0), 3 * 2 + 1);
  EXPECT_EQ(duration(m.run_ok("VLUT n=100\nFINISH"), 0), 4 + 4 + 1);  // four table beats
  EXPECT_EQ(duration(m.run_ok("VMUL b_addr=0x8000 n=100 b_period=7\nFINISH"), 0), 4 + 1 + 4);
  EXPECT_EQ(duration(m.run_ok("VLUT n=0\nFINISH"), 0), 4 + 1);
  EXPECT_EQ(duration(m.run_ok("POOL kind=max in_h=4 in_w=4 c=40 out_h=3 out_w=3 k_h=2 k_w=2 "
                              "stride_h=1 stride_w=1\nFINISH"),
                     0),
            9 * 2 * 4 + 1);
  HwConfig wide;
  wide.vector_lanes = 128;
  if (built_for(wide)) {
    Machine m2(wide);
    EXPECT_EQ(duration(m2.run_ok("VADD b_addr=0x8000 n=100\nFINISH"), 0), 1 + 1 + 4);
  }
}

// ---- Rule 9: bank conflict inside an instruction
TEST_P(Timing, Rule9BankConflictAddsCycles) {
  Machine m;  // FEATURE: 256 KiB in 8 banks of 32 KiB
  runtime::SegmentResult same = m.run_ok("VADD a_addr=0x0 b_addr=0x100 n=100\nFINISH");
  EXPECT_EQ(duration(same, 0), 2 * 4 + 1 + 4);
  EXPECT_EQ(stall(same, 0, runtime::Stall::kBankConflict), 4);
  runtime::SegmentResult apart = m.run_ok("VADD a_addr=0x0 b_addr=0x8000 n=100\nFINISH");
  EXPECT_EQ(duration(apart, 0), 4 + 1 + 4);
  HwConfig dual;
  dual.sram_ports = 2;
  Machine m2(dual);
  EXPECT_EQ(duration(m2.run_ok("VADD a_addr=0x0 b_addr=0x100 n=100\nFINISH"), 0), 4 + 1 + 4);
}

// ---- Rule 10: bank ports between engines
TEST_P(Timing, Rule10SharedBankSerialisesEngines) {
  const char* conv =
      "CONV in_addr=0x0 in_h=7 in_w=8 in_c=64 out_h=5 out_w=6 out_c=40 k_h=3 k_w=3 stride_h=1 "
      "stride_w=1 dil_h=1 dil_w=1\n";
  const int64_t conv_end = 1 + 32 + (18 * 32 + 18 * 30 - 32) + 30 + 7;  // rule 6
  Machine m;
  // The LOAD (dispatched at 2) writes FEATURE bank 0, which the CONV reads until conv_end.
  runtime::SegmentResult r =
      m.run_ok(cat(conv, "LOAD buf=FEATURE sram_addr=0x4000 n0=64 n1=1 n2=1\nFINISH"));
  EXPECT_EQ(record_of(r, 1)->start, conv_end);
  EXPECT_EQ(stall(r, 1, runtime::Stall::kBankConflict), conv_end - 2);
  // Another bank: the LOAD overlaps the CONV.
  r = m.run_ok(cat(conv, "LOAD buf=FEATURE sram_addr=0x20000 n0=64 n1=1 n2=1\nFINISH"));
  EXPECT_EQ(record_of(r, 1)->start, 2);
  // Two ports per bank: no wait either.
  HwConfig dual;
  dual.sram_ports = 2;
  Machine m2(dual);
  r = m2.run_ok(cat(conv, "LOAD buf=FEATURE sram_addr=0x4000 n0=64 n1=1 n2=1\nFINISH"));
  EXPECT_EQ(record_of(r, 1)->start, 2);
}

TEST_P(Timing, Rule10SameCycleClaimsGoLoadComputeStore) {
  // One CONV ends: in that cycle it frees a LOAD waiting for its token and lets the next
  // compute instruction start; both touch FEATURE bank 0. The LOAD wins, the VADD starts when
  // it ends, whatever order the model evaluates them in. (A LOAD and a STORE that move data
  // never start in the same cycle: rule 5.)
  Machine m;
  const runtime::SegmentResult r = m.run_ok(
      "CONV in_h=2 in_w=2 in_c=1 out_h=2 out_w=2 out_c=1 k_h=1 k_w=1 stride_h=1 stride_w=1 "
      "dil_h=1 dil_w=1 +push_prev\n"
      "LOAD buf=FEATURE sram_addr=0x100 n0=64 n1=1 n2=1 +pop_next\n"
      "VADD a_addr=0x0 b_addr=0x8000 n=64\n"
      "FINISH");
  const int64_t freed = record_of(r, 0)->end;
  EXPECT_EQ(record_of(r, 1)->start, freed);
  EXPECT_EQ(record_of(r, 2)->start, record_of(r, 1)->end);
  EXPECT_EQ(stall(r, 2, runtime::Stall::kBankConflict), record_of(r, 1)->end - freed);
}

// ---- Rule 11: overlap
// N tiles: LOAD input tile n into FEATURE half n % 2, CONV it. Double-buffered, a LOAD only
// waits for the CONV that last read its half (C2L); single-buffered, every LOAD waits for the
// previous CONV.
std::string tiles_program(int tiles, bool double_buffered) {
  std::string s;
  for (int n = 0; n < tiles; ++n) {
    const int half = double_buffered ? n % 2 : 0;
    const bool wait_free = double_buffered ? n >= 2 : n >= 1;
    s += cat("LOAD buf=FEATURE sram_addr=", half * 0x20000, " n0=3584 n1=1 n2=1 +push_next",
             wait_free ? " +pop_next" : "", "\n");
    const bool frees_next = double_buffered ? n + 2 < tiles : n + 1 < tiles;
    s += cat("CONV in_addr=", half * 0x20000,
             " in_h=7 in_w=8 in_c=64 out_h=5 out_w=6 out_c=40 k_h=3 k_w=3 stride_h=1 stride_w=1 "
             "dil_h=1 dil_w=1 +pop_prev",
             frees_next ? " +push_prev" : "", "\n");
  }
  return s + "FINISH\n";
}

TEST_P(Timing, Rule11DoubleBufferingHidesLoads) {
  const int64_t load = 64 + 3584 / 32;                          // 176
  const int64_t conv = 32 + (18 * 32 + 18 * 30 - 32) + 30 + 7;  // 1153 (rule 6): compute-bound
  Machine m;
  const runtime::SegmentResult dbl = m.run_ok(tiles_program(4, true));
  // The load of tile n+1 runs while tile n computes ...
  for (int n = 0; n + 1 < 4; ++n)
    EXPECT_LT(record_of(dbl, 2 * (n + 1))->start, record_of(dbl, 2 * n + 1)->end) << n;
  // ... so only the first load shows: 1 + load, then the CONVs back to back, then FINISH.
  EXPECT_EQ(dbl.cycles, 1 + load + 4 * conv + 1);
  const runtime::SegmentResult single = m.run_ok(tiles_program(4, false));
  EXPECT_EQ(single.cycles, 1 + 4 * (load + conv) + 1);
}

TEST_P(Timing, Rule11BandwidthBoundTilesFollowTheLoads) {
  // Loads of 16 KiB (64 + 512 cycles) dominate 1x1 CONVs of 5*6 pixels (32 + 30 + 7 = 69).
  std::string s;
  for (int n = 0; n < 4; ++n) {
    s += cat("LOAD buf=FEATURE sram_addr=", (n % 2) * 0x20000, " n0=16384 n1=1 n2=1 +push_next",
             n >= 2 ? " +pop_next" : "", "\n");
    s += cat("CONV in_addr=", (n % 2) * 0x20000,
             " in_h=5 in_w=6 in_c=32 out_h=5 out_w=6 out_c=32 k_h=1 k_w=1 stride_h=1 stride_w=1 "
             "dil_h=1 dil_w=1 +pop_prev",
             n + 2 < 4 ? " +push_prev" : "", "\n");
  }
  Machine m;
  const runtime::SegmentResult r = m.run_ok(s + "FINISH\n");
  // Loads back to back from cycle 1; the last CONV follows the last load; FINISH after it.
  EXPECT_EQ(r.cycles, 1 + 4 * (64 + 512) + 69 + 1);
}

}  // namespace
}  // namespace bpusim::sim::testing
