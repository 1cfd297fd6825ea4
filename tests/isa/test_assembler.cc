// Assembler and disassembler: the sample program round-trips exactly, and every malformed
// line gives its own error naming the file, line, opcode, field and value.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "isa/assembler.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

using testing::error_message;

// The instruction lines of an assembler file: comments, blank lines and trailing blanks removed.
std::string strip_comments(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find(';'));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

std::string sample_path() {
  return testing::source_dir() + "/tests/isa/sample.s";
}

TEST(Assembler, SampleRoundTripsExactly) {
  const std::string text = testing::read_text(sample_path());
  ASSERT_FALSE(text.empty()) << sample_path();
  const std::vector<Instruction> code = assemble(text, sample_path());
  EXPECT_EQ(disassemble(code), strip_comments(text));
  EXPECT_EQ(assemble(disassemble(code), "again"), code);
}

TEST(Assembler, SampleCoversEveryOpcode) {
  std::set<Opcode> seen;
  for (const Instruction& inst : assemble(testing::read_text(sample_path()), "sample.s"))
    seen.insert(inst.opcode());
  for (const OpcodeDef& op : kOpcodeDefs) EXPECT_TRUE(seen.count(op.opcode)) << op.name;
}

TEST(Assembler, OmittedFieldsAreZeroAndNumbersTakeEveryBase) {
  const Instruction inst =
      assemble_line("  COPY\tsrc_buf=2 n=0b101   dst_addr=-0 src_addr=0X1f  +push_next ");
  EXPECT_EQ(inst.get(Field::src_buf), 2);
  EXPECT_EQ(inst.get(Field::n), 5);
  EXPECT_EQ(inst.get(Field::src_addr), 31);
  EXPECT_EQ(inst.get(Field::dst_addr), 0);
  EXPECT_EQ(inst.get(Field::push_next), 1);
  EXPECT_EQ(inst.get(Field::pop_prev), 0);
  EXPECT_EQ(disassemble(inst), "COPY src_buf=ACC src_addr=0x1f dst_addr=0x0 n=5 +push_next");
  EXPECT_EQ(disassemble(assemble_line("NOP")), "NOP");
}

TEST(Assembler, CommentsAndBlankLinesAreSkipped) {
  const auto code = assemble("; header\n\n  NOP ; nothing\n\t\nFINISH", "t.s");
  ASSERT_EQ(code.size(), 2u);
  EXPECT_EQ(code[1].opcode(), Opcode::FINISH);
}

std::string asm_error(const std::string& text) {
  return error_message([&] { assemble(text, "prog.s"); });
}

TEST(AssemblerErrors, EachMistakeHasItsOwnMessage) {
  EXPECT_EQ(asm_error("NOP\nCONVX in_addr=0"), "prog.s:2: unknown opcode mnemonic 'CONVX'");
  EXPECT_EQ(asm_error("conv"), "prog.s:1: unknown opcode mnemonic 'conv'");
  EXPECT_EQ(asm_error("CONV foo=1"), "prog.s:1: CONV: unknown field 'foo'");
  EXPECT_EQ(asm_error("LOAD k_h=1"),
            "prog.s:1: LOAD: 'k_h' is not a field of LOAD (its fields: buf sram_addr dram_addr n0 "
            "n1 n2 dram_stride1 dram_stride2)");
  EXPECT_EQ(asm_error("\n\nCONV k_h=16"), "prog.s:3: CONV: field k_h = 16 is out of range [0, 15]");
  EXPECT_EQ(asm_error("CONV k_h=-1"), "prog.s:1: CONV: field k_h = -1 is out of range [0, 15]");
  EXPECT_EQ(asm_error("CONV wgt_zp=256"),
            "prog.s:1: CONV: field wgt_zp = 256 is out of range [-256, 255]");
  EXPECT_EQ(asm_error("CONV wgt_zp=-257"),
            "prog.s:1: CONV: field wgt_zp = -257 is out of range [-256, 255]");
  EXPECT_EQ(asm_error("LOAD dram_addr=0x100000000"),
            "prog.s:1: LOAD: field dram_addr = 4294967296 is out of range [0, 4294967295]");
  EXPECT_EQ(asm_error("LOAD +pop_prev"),
            "prog.s:1: LOAD: token flag +pop_prev is illegal: the load queue has no previous "
            "queue");
  EXPECT_EQ(asm_error("STORE +push_next"),
            "prog.s:1: STORE: token flag +push_next is illegal: the store queue has no next "
            "queue");
  EXPECT_EQ(asm_error("CONV k_h=1 k_h=2"), "prog.s:1: CONV: field k_h is given twice");
  EXPECT_EQ(asm_error("NOP +push_next +push_next"),
            "prog.s:1: NOP: field push_next is given twice");
  EXPECT_EQ(asm_error("CONV in_addr=12z"),
            "prog.s:1: CONV: field in_addr: '12z' is not an integer");
  EXPECT_EQ(asm_error("CONV in_addr="), "prog.s:1: CONV: field in_addr: '' is not an integer");
  EXPECT_EQ(asm_error("CONV in_addr=0x1ffffffffffffffff"),
            "prog.s:1: CONV: field in_addr: '0x1ffffffffffffffff' is not an integer");
  EXPECT_EQ(asm_error("LOAD buf=DRAM"),
            "prog.s:1: LOAD: field buf: 'DRAM' is not one of FEATURE|WEIGHT|ACC|OUTPUT|PARAM or "
            "an integer");
  EXPECT_EQ(asm_error("LOAD buf=5"),
            "prog.s:1: LOAD: field buf = 5 is out of range [0, 4] "
            "(FEATURE|WEIGHT|ACC|OUTPUT|PARAM)");
  EXPECT_EQ(asm_error("NOP pop_prev=1"), "prog.s:1: NOP: token flag pop_prev is written +pop_prev");
  EXPECT_EQ(asm_error("CONV +in_addr"),
            "prog.s:1: CONV: '+in_addr' is not a token flag (tokens: +pop_prev +pop_next "
            "+push_prev +push_next)");
  EXPECT_EQ(asm_error("CONV opcode=4"), "prog.s:1: CONV: the opcode is given by the mnemonic");
  EXPECT_EQ(asm_error("CONV in_addr"),
            "prog.s:1: CONV: expected name=value or +token, got 'in_addr'");
  EXPECT_EQ(asm_error("CONV =5"), "prog.s:1: CONV: expected name=value or +token, got '=5'");
}

}  // namespace
}  // namespace bpusim::isa
