// The runtime: a hand-built Program (assembled code, tensors, segments with host ops, layers)
// executed end to end on the SystemC model; inputs quantized, outputs dequantized / widened;
// hash check; faults; many programs and configurations in one process. And what the runtime
// asks of a backend (runtime/backend.h), on a scripted fake one: configure first, the DDR
// image through ddr(), the segments in order, the program's time line, the waveform.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "runtime/runtime.h"
#include "sim/systemc_backend.h"
#include "tests/runtime/tiny_program.h"
#include "tests/support/test_util.h"

namespace bpusim::runtime::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The SystemC model: every test of this file but the fake-backend ones runs on it.
ProgramResult run_program(const isa::Program& p, const std::map<std::string, Tensor>& inputs,
                          const RunOptions& o) {
  sim::SystemcBackend systemc;
  return runtime::run_program(p, inputs, o, systemc);
}

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
  // Counters and layers: the program's time line is its one BPU segment's (host segments take
  // no cycles); the requant layer starts with the first instruction's dispatch (rule 1) and
  // the argmax layer ends with the program (its last STORE is the last instruction to end).
  EXPECT_EQ(r.counters.cycles, r.cycles);
  EXPECT_EQ(r.counters.instrs.size(), 7u);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].name, "requant");
  EXPECT_EQ(r.layers[0].start_cycle, 1);
  EXPECT_LE(r.layers[0].end_cycle, r.layers[1].end_cycle);
  EXPECT_EQ(r.layers[1].end_cycle, r.cycles);
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

// keep_tensors returns what DDR holds after the run; an entry marked overwritten (DDR reuse
// put a later tensor on its bytes) would be another tensor's data, so it is left out.
TEST(Runtime, KeepTensorsLeavesOutOverwrittenTensors) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  RunOptions o;
  o.hw = hw;
  o.keep_tensors = true;
  const std::map<std::string, Tensor> x{
      {"x", Tensor::from<uint8_t>({1, 8}, {1, 2, 3, 4, 5, 6, 7, 8})}};
  auto names = [](const ProgramResult& r) {
    std::vector<std::string> out;
    for (const NamedTensor& t : r.tensors) out.push_back(t.name);
    return out;
  };
  EXPECT_EQ(names(run_program(p, x, o)),
            (std::vector<std::string>{"x", "y", "y_f", "out", "index"}));
  p.tensors[1].overwritten = true;  // y
  EXPECT_EQ(names(run_program(p, x, o)), (std::vector<std::string>{"x", "y_f", "out", "index"}));
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
  // The same number of elements in another shape is refused too (no silent reshape).
  EXPECT_THAT(bpusim::testing::error_message([&] {
                run_program(p, {{"x", Tensor::from<uint8_t>({2, 4}, std::vector<uint8_t>(8))}}, o);
              }),
              HasSubstr("input 'x' has shape [2, 4], the program expects [1, 8]"));
  EXPECT_THAT(bpusim::testing::error_message([&] {
                run_program(p, {{"z", Tensor::from<uint8_t>({1}, {1})}}, o);
              }),
              HasSubstr("no input 'z'"));
}

// (An unknown host op cannot be built: the contract's reader refuses it, tests/isa.)
TEST(Runtime, HostOpErrorsNameTheSegmentAndTheOp) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  p.segments[1].ops[1].inputs = {"nope"};
  RunOptions o;
  o.hw = hw;
  o.source = "tiny.bpu";
  const std::string msg = bpusim::testing::error_message([&] {
    run_program(p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o);
  });
  EXPECT_EQ(msg,
            "tiny.bpu: SEGMENTS[1] (host), op 1 (Relu): tensor \"nope\" is not in the TENSORS "
            "section");
}

TEST(Runtime, RefusesACodeRangeOutsideCode) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  p.layers[1].code.end = 9;
  RunOptions o;
  o.hw = hw;
  o.source = "tiny.bpu";
  EXPECT_EQ(bpusim::testing::error_message([&] { run_program(p, {}, o); }),
            "tiny.bpu: LAYERS[1].code: [3, 9) is outside CODE (7 instructions)");
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

// A backend that runs nothing: it records what the runtime asks and answers each segment with
// the scripted result (in order).
class FakeBackend final : public Backend {
 public:
  std::string name() const override { return "fake"; }
  void configure(const HwConfig& hw) override {
    calls.push_back(cat("configure ", hw.hash()));
    ddr_.reset(hw.ddr_size_bytes);
  }
  Ddr& ddr() override { return ddr_; }
  std::span<uint8_t> sram(int) override { return {}; }
  SegmentResult run(std::span<const isa::Instruction> code, int64_t first, int64_t end) override {
    calls.push_back(cat("run ", first, " ", end, " of ", code.size()));
    if (on_run) on_run(ddr_);
    return script.at(runs++);
  }
  void open_waveform(const std::string& path) override { calls.push_back("open " + path); }
  void close_waveform() override { calls.push_back("close"); }

  std::vector<std::string> calls;
  std::vector<SegmentResult> script;
  std::function<void(Ddr&)> on_run;  // what the "hardware" does to DDR in a segment
  size_t runs = 0;

 private:
  Ddr ddr_;
};

SegmentResult segment(int64_t cycles, std::vector<InstrRecord> instrs) {
  SegmentResult r;
  r.cycles = cycles;
  r.counters.cycles = cycles;
  r.counters.instrs = std::move(instrs);
  return r;
}
InstrRecord instr(int64_t index, int64_t start, int64_t end) {
  InstrRecord r;
  r.index = index;
  r.start = start;
  r.end = end;
  return r;
}

TEST(Runtime, DrivesABackendThroughTheInterface) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  // bpu [0, 3), host, bpu [3, 7), bpu [7, 7): the second BPU segment faults at its cycle 4.
  using isa::SegmentKind;
  p.segments = {{SegmentKind::kBpu, {0, 3}, {}, {}},
                {SegmentKind::kHost, {}, {}, {}},
                {SegmentKind::kBpu, {3, 7}, {}, {}},
                {SegmentKind::kBpu, {7, 7}, {}, {}}};
  FakeBackend fake;
  fake.script.push_back(segment(10, {instr(0, 2, 5)}));
  SegmentResult faulted = segment(4, {instr(3, 1, 3)});
  faulted.fault = Fault{4, "STORE", "", "store", "scripted", 4};
  fake.script.push_back(faulted);
  std::vector<uint8_t> x_in_ddr(8);
  fake.on_run = [&](Ddr& ddr) {
    if (fake.runs == 0) std::memcpy(x_in_ddr.data(), ddr.data() + 0x1000, 8);
  };
  RunOptions o;
  o.hw = hw;
  o.waveform_path = "w.vcd";
  o.keep_tensors = true;
  const ProgramResult r = runtime::run_program(
      p, {{"x", Tensor::from<uint8_t>({1, 8}, {1, 2, 3, 4, 5, 6, 7, 8})}}, o, fake);
  EXPECT_EQ(fake.calls, (std::vector<std::string>{cat("configure ", hw.hash()), "open w.vcd",
                                                  "run 0 3 of 7", "run 3 7 of 7", "close"}));
  // The input was in the backend's DDR when its first segment ran.
  EXPECT_EQ(x_in_ddr, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  // The program's time line: the second segment starts at cycle 10; the fault stops it.
  EXPECT_EQ(r.cycles, 14);
  ASSERT_TRUE(r.fault.has_value());
  EXPECT_EQ(r.fault->cycle, 14);
  EXPECT_EQ(r.fault->instr_index, 4);
  ASSERT_EQ(r.counters.instrs.size(), 2u);
  EXPECT_EQ(r.counters.instrs[1].start, 11);
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_EQ(r.layers[0].start_cycle, 2);
  EXPECT_EQ(r.layers[1].start_cycle, 11);
  EXPECT_EQ(r.layers[1].end_cycle, 13);
  EXPECT_TRUE(r.outputs.empty());
  EXPECT_EQ(r.tensors.size(), 5u);  // keep_tensors, also after a fault
}

TEST(Runtime, ReadsOutputsFromTheBackendsDdr) {
  const HwConfig hw;
  isa::Program p = tiny_program(hw);
  p.segments.clear();  // no SEGMENTS: one BPU segment over all of CODE
  FakeBackend fake;
  fake.script.push_back(segment(7, {}));
  fake.on_run = [](Ddr& ddr) {  // "ARGMAX": index 5 as int32 at 0x3000
    const int32_t index = 5;
    ddr.write(0x3000, {reinterpret_cast<const uint8_t*>(&index), 4}, "index");
  };
  RunOptions o;
  o.hw = hw;
  const ProgramResult r = runtime::run_program(
      p, {{"x", Tensor::from<uint8_t>({1, 8}, std::vector<uint8_t>(8))}}, o, fake);
  EXPECT_EQ(fake.calls,
            (std::vector<std::string>{cat("configure ", hw.hash()), "run 0 7 of 7", "close"}));
  ASSERT_FALSE(r.fault);
  EXPECT_EQ(r.cycles, 7);
  EXPECT_EQ(r.output("index").dtype(), DType::kI64);
  EXPECT_EQ(r.output("index").values<int64_t>()[0], 5);
}

// reset() keeps an image of the same size when little of it was written and zeroes what was:
// every byte written through write(), writable() or data() reads zero afterwards, whichever
// way the image is renewed.
TEST(Ddr, ResetZeroesEveryWrittenByteWhetherItKeepsTheImageOrNot) {
  Ddr ddr;
  ddr.reset(1 << 20);
  const std::vector<uint8_t> ones(100, 0xff);
  ddr.write(0x1000, ones, "test");
  std::memset(ddr.writable(0x20000, 10), 0xff, 10);
  ddr.reset(1 << 20);  // kept: a quarter at most was written
  const auto all_zero = [&] {
    std::vector<uint8_t> back(1 << 20);
    ddr.read(0, back, "test");
    return std::all_of(back.begin(), back.end(), [](uint8_t b) { return b == 0; });
  };
  EXPECT_TRUE(all_zero());
  ddr.data()[(1 << 20) - 1] = 0xff;  // whole-image access: renewed
  ddr.reset(1 << 20);
  EXPECT_TRUE(all_zero());
  std::memset(ddr.writable(0, 1 << 19), 0xff, 1 << 19);  // more than a quarter: renewed
  ddr.reset(1 << 20);
  EXPECT_TRUE(all_zero());
}

}  // namespace
}  // namespace bpusim::runtime::testing
