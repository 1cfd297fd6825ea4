// Modeled faults: out-of-range and misaligned accesses, illegal operands and deadlocks are
// reported as results naming the instruction index, opcode and fields — and the model keeps
// working for the next run.
#include "tests/sim/sim_test_util.h"

namespace bpusim::sim::testing {
namespace {

// Every test runs on both backends: the SystemC model and the verilated RTL core.
class Faults : public BackendTest {};
INSTANTIATE_BACKENDS(Faults);

using ::testing::HasSubstr;

runtime::Fault expect_fault(Machine& m, const std::string& text) {
  runtime::SegmentResult r = m.run(text);
  EXPECT_TRUE(r.fault.has_value()) << text;
  return r.fault.value_or(runtime::Fault{});
}

TEST_P(Faults, OutOfRangeFeatureReadNamesInstructionAndFields) {
  HwConfig hw;
  hw.feature_sram_bytes = 1024;
  Machine m(hw);
  const runtime::Fault f = expect_fault(m, R"(
    NOP
    CONV in_addr=0x300 wgt_addr=0x0 acc_addr=0x0 in_h=4 in_w=4 in_c=32 out_h=4 out_w=4 out_c=1 k_h=1 k_w=1 stride_h=1 stride_w=1 dil_h=1 dil_w=1
    FINISH
  )");
  EXPECT_EQ(f.instr_index, 1);
  EXPECT_EQ(f.opcode, "CONV");
  EXPECT_THAT(f.fields, HasSubstr("in_addr=0x300"));
  EXPECT_THAT(f.fields, HasSubstr("in_c=32"));
  EXPECT_THAT(f.reason, HasSubstr("in_addr"));
  EXPECT_THAT(f.reason, HasSubstr("FEATURE"));
  EXPECT_THAT(f.reason, HasSubstr("out of range"));
  EXPECT_THAT(f.message(), HasSubstr("instruction 1"));
}

TEST_P(Faults, MisalignedAccumulatorAddress) {
  Machine m;
  const runtime::Fault f = expect_fault(m, R"(
    REQUANT acc_addr=0x6 out_addr=0x0 prm_addr=0x0 n_pix=1 n_ch=1 out_type=u8
  )");
  EXPECT_EQ(f.instr_index, 0);
  EXPECT_EQ(f.opcode, "REQUANT");
  EXPECT_THAT(f.reason, HasSubstr("misaligned"));
  EXPECT_THAT(f.reason, HasSubstr("acc_addr"));
  EXPECT_THAT(f.reason, HasSubstr("4-byte"));
}

TEST_P(Faults, MisalignedParameterRecord) {
  Machine m;
  const runtime::Fault f =
      expect_fault(m, "VADD a_addr=0x0 b_addr=0x0 out_addr=0x0 prm_addr=0x20 n=4");
  EXPECT_THAT(f.reason, HasSubstr("prm_addr"));
  EXPECT_THAT(f.reason, HasSubstr("64-byte"));
}

TEST_P(Faults, DdrOutOfRange) {
  HwConfig hw;
  hw.ddr_size_bytes = 1 << 20;
  Machine m(hw);
  const runtime::Fault f = expect_fault(m, R"(
    LOAD buf=FEATURE sram_addr=0x0 dram_addr=0xff000 n0=256 n1=17 n2=1 dram_stride1=0x100
  )");
  EXPECT_EQ(f.opcode, "LOAD");
  EXPECT_EQ(f.unit, "load");
  EXPECT_THAT(f.reason, HasSubstr("DDR"));
  EXPECT_THAT(f.reason, HasSubstr("dram_addr"));
}

TEST_P(Faults, StoreBeyondOutputSram) {
  HwConfig hw;
  hw.output_sram_bytes = 4096;
  Machine m(hw);
  const runtime::Fault f =
      expect_fault(m, "STORE buf=OUTPUT sram_addr=0xf00 dram_addr=0x0 n0=512 n1=1 n2=1");
  EXPECT_EQ(f.unit, "store");
  EXPECT_THAT(f.reason, HasSubstr("OUTPUT"));
}

TEST_P(Faults, IllegalOperands) {
  Machine m;
  EXPECT_THAT(
      expect_fault(m, "CONV in_h=1 in_w=1 in_c=1 out_h=1 out_w=1 out_c=1 k_h=1 k_w=1").reason,
      HasSubstr("stride"));
  EXPECT_THAT(expect_fault(m,
                           "CONV in_h=1 in_w=1 in_c=2 out_h=1 out_w=1 out_c=3 k_h=1 k_w=1 "
                           "stride_h=1 stride_w=1 dil_h=1 dil_w=1 depthwise=1")
                  .reason,
              HasSubstr("depthwise"));
  EXPECT_THAT(expect_fault(m,
                           "CONV in_h=1 in_w=1 in_c=1 out_h=1 out_w=1 out_c=1 k_h=1 k_w=1 "
                           "stride_h=1 stride_w=1 dil_h=1 dil_w=1 in_zp=-1")
                  .reason,
              HasSubstr("in_zp=-1"));
  EXPECT_THAT(expect_fault(m, "REQUANT n_pix=1 n_ch=1 out_type=i32 has_res=1").reason,
              HasSubstr("has_res"));
}

TEST_P(Faults, ParameterRecordWithAnImpossibleShift) {
  Machine m;
  isa::ParamRecord r;
  r.mult = 1 << 30;
  r.shift = 63;
  m.put_records(0x0, {isa::ParamRecord{}, r});
  const runtime::Fault f =
      expect_fault(m, "REQUANT n_pix=1 n_ch=2 prm_addr=0x0 mode=fixed out_type=u8");
  EXPECT_THAT(f.reason, HasSubstr("PARAM record 1 at 0x40"));
  EXPECT_THAT(f.reason, HasSubstr("shift = 63"));
}

TEST_P(Faults, MissingTokenIsADeadlock) {
  Machine m;
  const runtime::Fault f = expect_fault(m, R"(
    LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x0 n0=16 n1=1 n2=1
    CONV in_h=1 in_w=1 in_c=1 out_h=1 out_w=1 out_c=1 k_h=1 k_w=1 stride_h=1 stride_w=1 dil_h=1 dil_w=1 +pop_prev
    FINISH
  )");
  EXPECT_EQ(f.instr_index, 1);
  EXPECT_EQ(f.opcode, "CONV");
  EXPECT_THAT(f.reason, HasSubstr("deadlock"));
  EXPECT_THAT(f.reason, HasSubstr("l2c"));
}

TEST_P(Faults, TheModelRunsCleanlyAfterAFault) {
  Machine m;
  expect_fault(m, "COPY src_buf=OUTPUT src_addr=0xffffff dst_addr=0x0 n=1");
  expect_fault(m, "NOP +pop_next\nFINISH");  // deadlock on S2C
  m.put(Buf::kFeature, 0, {42});
  const runtime::SegmentResult r =
      m.run_ok("COPY src_buf=FEATURE src_addr=0x0 dst_addr=0x7 n=1\nFINISH");
  EXPECT_EQ(m.get(Buf::kOutput, 7, 1)[0], 42);
  EXPECT_EQ(r.counters.instrs.size(), 2u);
}

}  // namespace
}  // namespace bpusim::sim::testing
