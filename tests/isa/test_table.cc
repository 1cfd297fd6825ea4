// Self-checks of the ISA table (isa/isa.def) and of the encoder/decoder derived from it.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "isa/assembler.h"
#include "isa/isa.h"
#include "tests/isa/isa_test_util.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

using testing::error_message;

// The bits a field covers, as four words.
Words mask_of(Field f) {
  Words w{};
  const FieldDef& d = def(f);
  for (int bit = d.lsb; bit <= d.msb(); ++bit) w[bit / 64] |= uint64_t{1} << (bit % 64);
  return w;
}

bool overlaps(const Words& a, const Words& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] & b[i]) return true;
  return false;
}

std::vector<Field> header_fields() {
  std::vector<Field> out{Field::opcode};
  out.insert(out.end(), kTokenFields.begin(), kTokenFields.end());
  return out;
}

TEST(IsaTable, EveryFieldFitsOneWord) {
  for (const FieldDef& d : kFieldDefs) {
    SCOPED_TRACE(std::string(d.name));
    EXPECT_GE(d.width, 1);
    EXPECT_LE(d.width, 32);  // values fit an int64 with room for sign handling
    EXPECT_GE(d.lsb, 0);
    EXPECT_LT(d.msb(), kInstructionBits);
    EXPECT_EQ(d.lsb / 64, d.msb() / 64) << "straddles a 64-bit word";
    EXPECT_LE(d.min(), 0);
    EXPECT_GT(d.max(), d.min());
    if (d.format == Format::kSym) {
      EXPECT_LE(d.max(), (int64_t{1} << d.width) - 1);
    }
    if (d.is_signed()) {
      EXPECT_EQ(d.format, Format::kDec) << "signed fields print in decimal";
    }
  }
}

TEST(IsaTable, NamesAreUniqueAndLookupsAgree) {
  std::set<std::string_view> names;
  for (int f = 0; f < kNumFields; ++f) {
    EXPECT_TRUE(names.insert(kFieldDefs[f].name).second) << kFieldDefs[f].name;
    EXPECT_EQ(field_from_name(kFieldDefs[f].name), static_cast<Field>(f));
  }
  for (const OpcodeDef& op : kOpcodeDefs) {
    EXPECT_TRUE(names.insert(op.name).second) << op.name;
    EXPECT_EQ(opcode_from_name(op.name), op.opcode);
    EXPECT_EQ(opcode_from_number(op.number()), op.opcode);
  }
  EXPECT_FALSE(field_from_name("no_such_field").has_value());
  EXPECT_FALSE(opcode_from_name("conv").has_value());  // mnemonics are upper case
}

TEST(IsaTable, HeaderIsOpcodeThenTokens) {
  EXPECT_EQ(def(Field::opcode).lsb, 0);
  EXPECT_EQ(def(Field::opcode).width, 6);
  int bit = 6;
  for (Field t : kTokenFields) {
    EXPECT_EQ(def(t).lsb, bit++);
    EXPECT_EQ(def(t).width, 1);
    EXPECT_EQ(def(t).format, Format::kToken);
  }
}

TEST(IsaTable, NoTwoOpcodeEncodingsOverlap) {
  std::set<int> numbers;
  for (const OpcodeDef& op : kOpcodeDefs) {
    EXPECT_TRUE(numbers.insert(op.number()).second) << op.name << " reuses " << op.number();
    EXPECT_GE(op.number(), 0);
    EXPECT_LE(op.number(), def(Field::opcode).max());
  }
  // The opcode field sits at the same place in every instruction, so distinct numbers mean
  // no instruction of one opcode can decode as another; check it on random instructions too.
  std::mt19937_64 rng(7);
  for (const OpcodeDef& op : kOpcodeDefs)
    for (int i = 0; i < 200; ++i)
      EXPECT_EQ(Instruction::decode(random_instruction(op.opcode, rng).words()).opcode(),
                op.opcode);
}

TEST(IsaTable, FieldsOfOneOpcodeDoNotOverlapEachOtherOrTheHeader) {
  for (const OpcodeDef& op : kOpcodeDefs) {
    SCOPED_TRACE(std::string(op.name));
    std::vector<Field> fields = header_fields();
    for (Field f : op.operands()) {
      EXPECT_NE(def(f).format, Format::kToken) << name(f) << " listed as an operand";
      EXPECT_NE(f, Field::opcode);
      fields.push_back(f);
    }
    for (size_t i = 0; i < fields.size(); ++i)
      for (size_t j = i + 1; j < fields.size(); ++j)
        EXPECT_FALSE(overlaps(mask_of(fields[i]), mask_of(fields[j])))
            << name(fields[i]) << " overlaps " << name(fields[j]);
  }
}

TEST(IsaTable, EveryFieldIsUsedByAnOpcode) {
  FieldSet used;
  for (const OpcodeDef& op : kOpcodeDefs) used |= fields_of(op.opcode);
  for (int f = 0; f < kNumFields; ++f) EXPECT_TRUE(used[f]) << kFieldDefs[f].name;
}

TEST(IsaTable, AllZeroInstructionIsNop) {
  EXPECT_EQ(Instruction::decode(Words{}).opcode(), Opcode::NOP);
  EXPECT_EQ(Instruction(), Instruction(Opcode::NOP));
}

TEST(IsaTable, QueuesAndTokenLegality) {
  EXPECT_EQ(def(Opcode::LOAD).queue, Queue::kLoad);
  EXPECT_EQ(def(Opcode::STORE).queue, Queue::kStore);
  EXPECT_EQ(def(Opcode::CONV).queue, Queue::kCompute);
  EXPECT_FALSE(token_allowed(Queue::kLoad, Field::pop_prev));
  EXPECT_FALSE(token_allowed(Queue::kLoad, Field::push_prev));
  EXPECT_TRUE(token_allowed(Queue::kLoad, Field::push_next));
  EXPECT_FALSE(token_allowed(Queue::kStore, Field::pop_next));
  EXPECT_FALSE(token_allowed(Queue::kStore, Field::push_next));
  EXPECT_TRUE(token_allowed(Queue::kStore, Field::pop_prev));
  for (Field t : kTokenFields) EXPECT_TRUE(token_allowed(Queue::kCompute, t));
}

// encode -> decode -> encode for every opcode with random field values.
TEST(IsaEncoding, RandomRoundTripForEveryOpcode) {
  std::mt19937_64 rng(20240601);
  for (const OpcodeDef& op : kOpcodeDefs) {
    SCOPED_TRACE(std::string(op.name));
    for (int iter = 0; iter < 2000; ++iter) {
      Operands want;
      want.opcode = op.number();
      for (int f = 0; f < kNumFields; ++f) {
        const Field field = static_cast<Field>(f);
        if (!fields_of(op.opcode)[f] || field == Field::opcode) continue;
        want[field] = def(field).format == Format::kToken
                          ? (token_allowed(op.queue, field) ? int64_t(rng() & 1) : 0)
                          : random_value(def(field), rng);
      }
      const Instruction inst = encode(want);
      for (Field f : op.operands()) ASSERT_EQ(inst.get(f), want[f]) << name(f);
      const Instruction from_words = Instruction::decode(inst.words());
      const Instruction from_bytes = Instruction::decode(inst.to_bytes());
      ASSERT_EQ(operands(from_words), want);
      ASSERT_EQ(from_bytes, inst);
      ASSERT_EQ(encode(operands(from_words)).words(), inst.words());
      ASSERT_EQ(assemble_line(disassemble(inst)), inst) << disassemble(inst);
    }
  }
}

TEST(IsaEncoding, ExtremeValuesRoundTrip) {
  for (const OpcodeDef& op : kOpcodeDefs) {
    for (bool high : {false, true}) {
      Instruction inst(op.opcode);
      for (Field f : op.operands()) inst.set(f, high ? def(f).max() : def(f).min());
      const Instruction back = Instruction::decode(inst.words());
      for (Field f : op.operands())
        EXPECT_EQ(back.get(f), high ? def(f).max() : def(f).min()) << op.name << " " << name(f);
    }
  }
}

// Pinned bit patterns: the layout is a contract with the RTL and the compiler; these are
// computed by hand from docs/isa.md, independently of the table.
TEST(IsaEncoding, PinnedLoadEncoding) {
  const Instruction inst = assemble_line(
      "LOAD buf=OUTPUT sram_addr=0x10 dram_addr=0x12345678 n0=1 n1=2 n2=3 dram_stride1=4 "
      "dram_stride2=5 +push_next");
  const Words want{2 | (uint64_t{1} << 9) | (uint64_t{0x10} << 10) | (uint64_t{3} << 58),
                   1 | (uint64_t{2} << 16) | (uint64_t{3} << 32), 0x12345678 | (uint64_t{4} << 32),
                   5};
  EXPECT_EQ(inst.words(), want);
}

TEST(IsaEncoding, PinnedConvSignedZeroPoints) {
  const Instruction inst = assemble_line("CONV in_zp=-1 wgt_zp=-256 k_h=15 out_c=4095 +pop_prev");
  const Words want{4 | (uint64_t{1} << 6), uint64_t{15} << 48, 0,
                   4095 | (uint64_t{0x1ff} << 30) | (uint64_t{0x100} << 39)};
  EXPECT_EQ(inst.words(), want);
  EXPECT_EQ(inst.get(Field::in_zp), -1);
  EXPECT_EQ(inst.get(Field::wgt_zp), -256);
}

TEST(IsaErrors, DecodeUnknownOpcode) {
  EXPECT_EQ(error_message([] { Instruction::decode(Words{63, 0, 0, 0}); }), "unknown opcode 63");
  EXPECT_EQ(error_message([] { Instruction::decode(Words{15, 0, 0, 0}); }), "unknown opcode 15");
}

TEST(IsaErrors, DecodeReservedBitSet) {
  EXPECT_EQ(error_message([] {
              Instruction::decode(Words{0, uint64_t{1} << 36, 0, 0});
            }),
            "NOP: reserved bit 100 (word 1) is set; it belongs to no field of NOP");
  // bit 255 is unused by CONV (its last field, wgt_zp, ends at bit 239)
  Words conv = Instruction(Opcode::CONV).words();
  conv[3] |= uint64_t{1} << 63;
  EXPECT_EQ(error_message([&] { Instruction::decode(conv); }),
            "CONV: reserved bit 255 (word 3) is set; it belongs to no field of CONV");
}

TEST(IsaErrors, DecodeIllegalTokenFlags) {
  Words load = Instruction(Opcode::LOAD).words();
  load[0] |= uint64_t{1} << 6;  // pop_prev
  EXPECT_EQ(error_message([&] { Instruction::decode(load); }),
            "LOAD: token flag +pop_prev is illegal: the load queue has no previous queue");
  Words store = Instruction(Opcode::STORE).words();
  store[0] |= uint64_t{1} << 9;  // push_next
  EXPECT_EQ(error_message([&] { Instruction::decode(store); }),
            "STORE: token flag +push_next is illegal: the store queue has no next queue");
}

TEST(IsaErrors, DecodeSymbolOutOfRange) {
  Words load = Instruction(Opcode::LOAD).words();
  load[0] |= uint64_t{7} << 58;  // buf = 7
  EXPECT_EQ(error_message([&] { Instruction::decode(load); }),
            "LOAD: field buf = 7 is out of range [0, 4] (FEATURE|WEIGHT|ACC|OUTPUT|PARAM)");
}

TEST(IsaErrors, SetChecksRangeMembershipAndTokens) {
  Instruction conv(Opcode::CONV);
  EXPECT_EQ(error_message([&] { conv.set(Field::k_h, 16); }),
            "CONV: field k_h = 16 is out of range [0, 15]");
  EXPECT_EQ(error_message([&] { conv.set(Field::k_h, -1); }),
            "CONV: field k_h = -1 is out of range [0, 15]");
  EXPECT_EQ(error_message([&] { conv.set(Field::in_zp, 256); }),
            "CONV: field in_zp = 256 is out of range [-256, 255]");
  EXPECT_EQ(error_message([&] { conv.set(Field::in_zp, -257); }),
            "CONV: field in_zp = -257 is out of range [-256, 255]");
  EXPECT_EQ(error_message([&] { conv.set(Field::n, 1); }).substr(0, 32),
            "CONV: 'n' is not a field of CONV");
  EXPECT_EQ(error_message([&] { conv.set(Field::opcode, 2); }),
            "CONV: the opcode is fixed when the instruction is made");
  EXPECT_EQ(error_message([&] { (void)conv.get(Field::n); }), "CONV: 'n' is not a field of CONV");
  EXPECT_EQ(error_message([] { Instruction(Opcode::STORE).set(Field::pop_next, 1); }),
            "STORE: token flag +pop_next is illegal: the store queue has no next queue");
  EXPECT_EQ(conv, Instruction(Opcode::CONV)) << "failed sets must not change the instruction";
}

TEST(IsaErrors, EncodeOperandsChecksOpcodeAndForeignFields) {
  Operands o;
  o.opcode = 42;
  EXPECT_EQ(error_message([&] { encode(o); }), "unknown opcode 42");
  o.opcode = -1;
  EXPECT_EQ(error_message([&] { encode(o); }), "unknown opcode -1");
  o.opcode = static_cast<int>(Opcode::COPY);
  o.k_h = 3;
  EXPECT_EQ(error_message([&] { encode(o); }), "COPY: 'k_h' = 3 is not a field of COPY");
}

}  // namespace
}  // namespace bpusim::isa
