// The comparison behind `bpusim cosim` (tools/report/cosim.h) on hand-made runs: equal runs,
// an instruction's end one cycle later, later differences only counted, an output byte, type or
// shape that differs, a missing record, and the fault rules.
#include "tools/report/cosim.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "isa/isa.h"

namespace bpusim::report {
namespace {

using ::testing::HasSubstr;

const std::array<std::string, 2> kNames{"systemc", "rtl"};

// LOAD, CONV, CONV, STORE, FINISH.
std::vector<isa::Instruction> code() {
  return {isa::Instruction(isa::Opcode::LOAD), isa::Instruction(isa::Opcode::CONV),
          isa::Instruction(isa::Opcode::CONV), isa::Instruction(isa::Opcode::STORE),
          isa::Instruction(isa::Opcode::FINISH)};
}

// A run of code(): instruction i dispatched at i, issued at i + 1, started at 2 i + 2, ended at
// 10 i + 10 (records in completion order, here the reverse of program order to show that the
// comparison does not depend on it); two layers; one float output.
runtime::ProgramResult run() {
  runtime::ProgramResult r;
  const std::vector<isa::Instruction> c = code();
  for (int64_t i = static_cast<int64_t>(c.size()) - 1; i >= 0; --i) {
    runtime::InstrRecord rec;
    rec.index = i;
    rec.op = c[i].opcode();
    rec.queue = c[i].def().queue;
    rec.dispatch = i;
    rec.issue = i + 1;
    rec.start = 2 * i + 2;
    rec.end = 10 * i + 10;
    r.counters.instrs.push_back(rec);
  }
  r.cycles = 50;
  r.counters.cycles = 50;
  r.layers.push_back(
      {.name = "conv", .op = "conv", .first = 0, .end = 2, .start_cycle = 2, .end_cycle = 20});
  r.layers.push_back(
      {.name = "fc", .op = "linear", .first = 2, .end = 5, .start_cycle = 6, .end_cycle = 50});
  r.outputs.push_back({"logits", Tensor::from<float>({1, 4}, {0.5f, -1.0f, 2.0f, 0.0f})});
  return r;
}

runtime::InstrRecord& record(runtime::ProgramResult& r, int64_t index) {
  for (runtime::InstrRecord& rec : r.counters.instrs)
    if (rec.index == index) return rec;
  throw std::runtime_error("no record");
}

runtime::Fault fault_at(int64_t index) {
  runtime::Fault f;
  f.instr_index = index;
  f.opcode = "CONV";
  f.unit = "compute";
  f.reason = "operand out of range";
  f.cycle = 12;
  return f;
}

TEST(Cosim, EqualRunsAreEqual) {
  const CosimComparison c = compare_runs(run(), run(), kNames);
  EXPECT_TRUE(c.equal());
  EXPECT_EQ(c.instrs_compared, 5);
  EXPECT_EQ(c.outputs_compared, 1);
  EXPECT_TRUE(c.outputs_equal);
  EXPECT_FALSE(c.first_difference);
  ASSERT_EQ(c.layers.size(), 2u);
  EXPECT_EQ(c.layers[1].cycles[0], 44);
  EXPECT_EQ(c.layers[1].cycles[1], 44);
  const std::string text = cosim_text(c, code());
  EXPECT_THAT(text, HasSubstr("outputs equal: yes (1 output compared"));
  EXPECT_THAT(text, HasSubstr("instructions compared: 5 (dispatch, issue, start, end): all equal"));
  EXPECT_THAT(text, HasSubstr("cosim: EQUAL"));
  const nlohmann::json j = cosim_json(c, code());
  EXPECT_EQ(j["equal"], true);
  EXPECT_EQ(j["cycles"]["systemc"], 50);
  EXPECT_EQ(j["cycles"]["difference"], 0);
  EXPECT_EQ(j["layers"][0]["name"], "conv");
  EXPECT_EQ(j["layers"][0]["rtl"], 18);
  EXPECT_TRUE(j["first_difference"].is_null());
}

TEST(Cosim, AnEndOneCycleLaterIsTheFirstDifference) {
  runtime::ProgramResult b = run();
  ++record(b, 1).end;
  const CosimComparison c = compare_runs(run(), b, kNames);
  EXPECT_FALSE(c.equal());
  EXPECT_TRUE(c.outputs_equal);
  EXPECT_TRUE(c.cycles_equal());  // the layers' and the program's cycles were not touched
  EXPECT_EQ(c.instrs_compared, 5);
  ASSERT_TRUE(c.first_difference);
  EXPECT_EQ(c.first_difference->index, 1);
  EXPECT_EQ(c.first_difference->op, isa::Opcode::CONV);
  EXPECT_EQ(c.first_difference->records[0]->end, 20);
  EXPECT_EQ(c.first_difference->records[1]->end, 21);
  EXPECT_EQ(c.further_differences, 0);
  const std::string text = cosim_text(c, code());
  EXPECT_THAT(text, HasSubstr("first difference: instruction 1 on compute: CONV"));
  EXPECT_THAT(text, HasSubstr("1 instruction differs"));
  EXPECT_THAT(text, HasSubstr("cosim: DIFFERENT (timing of 1 instruction)"));
  const nlohmann::json j = cosim_json(c, code());
  EXPECT_EQ(j["equal"], false);
  EXPECT_EQ(j["first_difference"]["index"], 1);
  EXPECT_EQ(j["first_difference"]["engine"], "compute");
  EXPECT_EQ(j["first_difference"]["opcode"], "CONV");
  EXPECT_EQ(j["first_difference"]["systemc"]["end"], 20);
  EXPECT_EQ(j["first_difference"]["rtl"]["end"], 21);
  EXPECT_EQ(j["first_difference"]["rtl"]["start"], 4);
}

TEST(Cosim, LaterDifferencesAreOnlyCounted) {
  runtime::ProgramResult b = run();
  ++record(b, 4).dispatch;
  ++record(b, 2).issue;
  ++record(b, 3).start;
  b.cycles = 51;
  b.layers[1].end_cycle = 51;
  const CosimComparison c = compare_runs(run(), b, kNames);
  ASSERT_TRUE(c.first_difference);
  EXPECT_EQ(c.first_difference->index, 2);  // program order, not completion order
  EXPECT_EQ(c.further_differences, 2);
  EXPECT_FALSE(c.cycles_equal());
  EXPECT_FALSE(c.layers_equal());
  EXPECT_TRUE(c.layers[0].equal());
  const std::string text = cosim_text(c, code());
  EXPECT_THAT(text, HasSubstr("3 instructions differ"));
  EXPECT_THAT(text, HasSubstr("further instructions that differ (not compared in detail): 2"));
  EXPECT_THAT(text, HasSubstr("DIFFERENT (total cycles, cycles of 1 layer, timing of 3"));
}

TEST(Cosim, AMissingRecordIsADifference) {
  runtime::ProgramResult b = run();
  b.counters.instrs.erase(b.counters.instrs.begin());  // instruction 4
  const CosimComparison c = compare_runs(run(), b, kNames);
  EXPECT_EQ(c.instrs_compared, 4);
  ASSERT_TRUE(c.first_difference);
  EXPECT_EQ(c.first_difference->index, 4);
  EXPECT_TRUE(c.first_difference->records[0]);
  EXPECT_FALSE(c.first_difference->records[1]);
  EXPECT_THAT(cosim_text(c, code()), HasSubstr("(no record: the instruction did not end)"));
  EXPECT_TRUE(cosim_json(c, code())["first_difference"]["rtl"].is_null());
}

TEST(Cosim, AnOutputByteThatDiffers) {
  runtime::ProgramResult b = run();
  b.outputs[0].tensor.bytes()[9] ^= std::byte{1};  // element 2, byte 1
  const CosimComparison c = compare_runs(run(), b, kNames);
  EXPECT_FALSE(c.equal());
  EXPECT_FALSE(c.outputs_equal);
  EXPECT_FALSE(c.first_difference);
  EXPECT_EQ(c.output_difference,
            "output 'logits': byte 9 (element 2) is 0x00 on systemc, 0x01 on rtl; 1 of 16 bytes "
            "differ");
  EXPECT_THAT(cosim_text(c, code()), HasSubstr("outputs equal: no"));
  EXPECT_THAT(cosim_text(c, code()), HasSubstr("cosim: DIFFERENT (outputs)"));
  EXPECT_EQ(cosim_json(c, code())["outputs_equal"], false);
}

TEST(Cosim, AnOutputTypeShapeOrNameThatDiffers) {
  runtime::ProgramResult b = run();
  b.outputs[0].tensor = Tensor::from<int32_t>({1, 4}, {0, 0, 0, 0});
  EXPECT_THAT(compare_runs(run(), b, kNames).output_difference,
              HasSubstr("element type float32 on systemc, int32 on rtl"));
  b = run();
  b.outputs[0].tensor = b.outputs[0].tensor.reshaped({4});
  EXPECT_THAT(compare_runs(run(), b, kNames).output_difference,
              HasSubstr("shape [1, 4] on systemc, [4] on rtl"));
  b = run();
  b.outputs[0].name = "other";
  const CosimComparison c = compare_runs(run(), b, kNames);
  EXPECT_FALSE(c.outputs_equal);
  EXPECT_EQ(c.outputs_compared, 0);
  EXPECT_EQ(c.output_difference, "output 'logits' only on systemc");
}

TEST(Cosim, TheSameFaultOnBothIsNotADifference) {
  runtime::ProgramResult a = run(), b = run();
  a.fault = fault_at(2);
  b.fault = fault_at(2);
  b.fault->reason = "worded otherwise";
  const CosimComparison c = compare_runs(a, b, kNames);
  EXPECT_TRUE(c.faults_equal());
  EXPECT_TRUE(c.equal());
  const std::string text = cosim_text(c, code());
  EXPECT_THAT(text, HasSubstr("systemc: modeled fault: fault at instruction 2"));
  EXPECT_THAT(text, HasSubstr("rtl: modeled fault: fault at instruction 2"));
  EXPECT_THAT(text, HasSubstr("both backends fault at instruction 2"));
  EXPECT_THAT(text, HasSubstr("cosim: EQUAL"));
  EXPECT_EQ(cosim_json(c, code())["faults"]["rtl"]["instruction"], 2);
}

TEST(Cosim, AFaultOnOneBackendOrAtAnotherInstructionIsADifference) {
  runtime::ProgramResult a = run(), b = run();
  b.fault = fault_at(3);
  CosimComparison c = compare_runs(a, b, kNames);
  EXPECT_FALSE(c.faults_equal());
  EXPECT_FALSE(c.equal());
  EXPECT_THAT(cosim_text(c, code()), HasSubstr("cosim: DIFFERENT (faults)"));
  EXPECT_EQ(cosim_json(c, code())["faults_equal"], false);
  a.fault = fault_at(2);
  c = compare_runs(a, b, kNames);
  EXPECT_FALSE(c.faults_equal());
  EXPECT_FALSE(c.equal());
}

}  // namespace
}  // namespace bpusim::report
