// The runtime: a hand-built Program (assembled code, tensors, segments with host ops, layers)
// executed end to end; inputs quantized, outputs dequantized / widened; hash check; faults;
// many programs and configurations in one process.
#include <nlohmann/json.hpp>

#include "sim/runtime.h"
#include "tests/sim/sim_test_util.h"
#include "tests/sim/tiny_program.h"
#include "tests/support/test_util.h"

namespace bpusim::sim::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(Runtime, RunsBpuAndHostSegmentsEndToEnd) {
  const HwConfig hw;
  const isa::Program p = tiny_program(hw);
  // Float input, quantized by the runtime: x / 0.5 + 10.
  const std::vector<float> x{-5.0f, 0.0f, 1.0f, 1.25f, 10.0f, 60.0f, 2.0f, 7.5f};
  RunOptions o;
  o.hw = hw;
  const ProgramResult r = run_program(p, {{"x", Tensor::from<float>({1, 8}, x)}}, o);
  ASSERT_FALSE(r.fault) << r.fault->message();
  // q(x) = 0, 10, 12, 12 (12.5 -> 12 half-even), 30, 130, 14, 25; y = 2 * (q - 10) + 3
  // saturated: 0 (-17), 3, 7, 7, 43, 243, 11, 33; out = relu((y - 3) * 0.25).
  const std::vector<int> y{0, 3, 7, 7, 43, 243, 11, 33};
  const auto out = r.output("out").values<float>();
  ASSERT_EQ(out.size(), 8u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(out[i], std::max(0.0f, (y[i] - 3) * 0.25f)) << i;
  // The argmax of q(x) is channel 5; stored as int32, returned as its ir_dtype int64.
  EXPECT_EQ(r.output("index").dtype(), DType::kI64);
  EXPECT_EQ(r.output("index").values<int64_t>()[0], 5);
  // Counters and layers.
  EXPECT_GT(r.cycles, 0);
  EXPECT_EQ(r.counters.instrs.size(), 7u);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].name, "requant");
  EXPECT_GT(r.layers[0].cycles(), 0);
  EXPECT_LE(r.layers[1].end_cycle, r.cycles);
  EXPECT_EQ(r.counters.ddr_read_bytes, 64 + 8);
  EXPECT_EQ(r.counters.ddr_write_bytes, 8 + 4);
}

TEST(Runtime, AcceptsAlreadyQuantizedInputs) {
  const HwConfig hw;
  RunOptions o;
  o.hw = hw;
  const std::vector<uint8_t> q{0, 10, 12, 12, 30, 130, 14, 25};
  const ProgramResult r =
      run_program(tiny_program(hw), {{"x", Tensor::from<uint8_t>({1, 8}, q)}}, o);
  EXPECT_EQ(r.output("index").values<int64_t>()[0], 5);
}

TEST(Runtime, RefusesAProgramCompiledForAnotherConfiguration) {
  HwConfig compiled;
  compiled.mac_rows = 16;
  const isa::Program p = tiny_program(compiled);
  RunOptions o;  // defaults: mac.rows = 32
  o.source = "tiny.bpu";
  const std::string msg = bpusim::testing::error_message([&] {
    run_program(p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o);
  });
  EXPECT_THAT(msg, HasSubstr("tiny.bpu"));
  EXPECT_THAT(msg, HasSubstr("hash"));
  EXPECT_THAT(msg, HasSubstr("mac.rows: program 16, effective 32"));
}

TEST(Runtime, InputErrorsNameTheTensor) {
  const HwConfig hw;
  RunOptions o;
  o.hw = hw;
  const isa::Program p = tiny_program(hw);
  EXPECT_THAT(bpusim::testing::error_message([&] { run_program(p, {}, o); }),
              HasSubstr("input 'x' was not given"));
  EXPECT_THAT(bpusim::testing::error_message([&] {
                run_program(p, {{"x", Tensor::from<uint8_t>({1, 7}, std::vector<uint8_t>(7))}}, o);
              }),
              HasSubstr("input 'x' has shape [1, 7]"));
  EXPECT_THAT(bpusim::testing::error_message([&] {
                run_program(p, {{"z", Tensor::from<uint8_t>({1}, {1})}}, o);
              }),
              HasSubstr("no input 'z'"));
}

TEST(Runtime, UnknownHostOpIsAnError) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  p.segments[1]["ops"][1]["op"] = "Frobnicate";
  RunOptions o;
  o.hw = hw;
  const std::string msg = bpusim::testing::error_message([&] {
    run_program(p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o);
  });
  EXPECT_THAT(msg, HasSubstr("SEGMENTS[1]"));
  EXPECT_THAT(msg, HasSubstr("op 1 (Frobnicate)"));
  EXPECT_THAT(msg, HasSubstr("unknown host op"));
}

TEST(Runtime, AFaultStopsTheProgramAndIsReturned) {
  HwConfig hw;
  isa::Program p = tiny_program(hw);
  p.code[2] = isa::assemble_line("VREQ in_addr=0xfffff0 out_addr=0x0 prm_addr=0x0 n=64 +pop_prev");
  RunOptions o;
  o.hw = hw;
  const ProgramResult r =
      run_program(p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o);
  ASSERT_TRUE(r.fault.has_value());
  EXPECT_EQ(r.fault->instr_index, 2);
  EXPECT_EQ(r.fault->opcode, "VREQ");
  EXPECT_TRUE(r.outputs.empty());
}

TEST(Runtime, ManyProgramsAndConfigurationsInOneProcess) {
  // The same computation under three configurations: identical bits, different cycles.
  std::vector<int64_t> cycles;
  for (const char* set : {"mac.rows=4", "ddr.bytes_per_cycle=4", "vector.lanes=1"}) {
    HwConfig hw;
    hw.set(set);
    hw.validate();
    RunOptions o;
    o.hw = hw;
    const ProgramResult r =
        run_program(tiny_program(hw),
                    {{"x", Tensor::from<uint8_t>({1, 8}, {0, 10, 12, 12, 30, 130, 14, 25})}}, o);
    ASSERT_FALSE(r.fault);
    EXPECT_EQ(r.output("index").values<int64_t>()[0], 5) << set;
    EXPECT_EQ(r.output("out").values<float>()[5], 60.0f) << set;
    cycles.push_back(r.cycles);
  }
  EXPECT_NE(cycles[0], cycles[1]);
  EXPECT_NE(cycles[1], cycles[2]);
}

TEST(Runtime, ReportAndTraceJsonCarryEveryCounter) {
  const HwConfig hw;
  RunOptions o;
  o.hw = hw;
  const isa::Program p = tiny_program(hw);
  const ProgramResult r =
      run_program(p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o);
  const json rep = report_json(r.counters, r.layers, hw.mac_rows, hw.mac_cols, hw.clock_mhz);
  EXPECT_EQ(rep["cycles"], r.cycles);
  EXPECT_EQ(rep["instructions"].size(), 7u);
  EXPECT_TRUE(rep["engines"]["compute"]["stalls"].contains("token_wait"));
  EXPECT_EQ(rep["layers"][1]["name"], "argmax");
  const json trace = trace_json(r.counters, p.code, hw.clock_mhz);
  int slices = 0, counters = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "X" && e["cat"] == "instruction") {
      ++slices;
      EXPECT_TRUE(e["args"].contains("index"));
    }
    counters += e["ph"] == "C";
  }
  EXPECT_EQ(slices, 7);
  EXPECT_GT(counters, 0);
}

}  // namespace
}  // namespace bpusim::sim::testing
