// The generated reference tables of docs/isa.md (see markdown_reference in isa.h).
#include <algorithm>
#include <cctype>
#include <sstream>
#include <type_traits>

#include "common/error.h"
#include "isa/isa.h"
#include "isa/param_record.h"

namespace bpusim::isa {
namespace {

std::string values(const FieldDef& d) {
  if (d.format == Format::kToken) return "0, 1";
  if (d.format == Format::kOpcode) return "see opcodes";
  if (d.format != Format::kSym) return std::to_string(d.min()) + " .. " + std::to_string(d.max());
  std::string out;
  int64_t i = 0;
  std::string_view rest = d.symbols;
  for (size_t bar = 0; bar != std::string_view::npos; ++i) {
    bar = rest.find('|');
    out += (i ? ", " : "") + std::to_string(i) + " `" + std::string(rest.substr(0, bar)) + "`";
    rest = bar == std::string_view::npos ? rest : rest.substr(bar + 1);
  }
  return out;
}

std::string bits(const FieldDef& d) {
  return d.width == 1 ? std::to_string(d.lsb) : cat(d.lsb, "..", d.msb());
}

void field_table(std::ostream& out, std::span<const Field> fields) {
  out << "| field | word | bits | width | signed | values | meaning |\n"
         "|---|---|---|---|---|---|---|\n";
  for (Field f : fields) {
    const FieldDef& d = def(f);
    out << "| `" << d.name << "` | " << d.word() << " | " << bits(d) << " | " << d.width << " | "
        << (d.is_signed() ? "yes" : "no") << " | " << values(d) << " | " << d.meaning << " |\n";
  }
}

}  // namespace

std::string markdown_reference() {
  std::ostringstream out;
  out << "### Opcode table\n\n| mnemonic | number | queue | meaning |\n|---|---|---|---|\n";
  for (const OpcodeDef& op : kOpcodeDefs)
    out << "| `" << op.name << "` | " << op.number() << " | " << name(op.queue) << " | "
        << op.meaning << " |\n";

  out << "\n### Header fields (every instruction)\n\n";
  std::vector<Field> header{Field::opcode};
  header.insert(header.end(), kTokenFields.begin(), kTokenFields.end());
  field_table(out, header);

  out << "\n### Field positions (all fields, by bit)\n\n"
         "| bits | field | width | used by |\n|---|---|---|---|\n";
  std::vector<Field> by_bit;
  for (int f = 0; f < kNumFields; ++f) by_bit.push_back(static_cast<Field>(f));
  std::stable_sort(by_bit.begin(), by_bit.end(),
                   [](Field a, Field b) { return def(a).lsb < def(b).lsb; });
  for (Field f : by_bit) {
    std::string users;
    for (const OpcodeDef& op : kOpcodeDefs)
      if (fields_of(op.opcode)[static_cast<size_t>(f)] && def(f).format != Format::kToken &&
          f != Field::opcode)
        users += cat(users.empty() ? "" : ", ", op.name);
    out << "| " << bits(def(f)) << " | `" << name(f) << "` | " << def(f).width << " | "
        << (users.empty() ? "all" : users) << " |\n";
  }

  for (const OpcodeDef& op : kOpcodeDefs) {
    out << "\n### " << op.name << " (opcode " << op.number() << ", " << name(op.queue)
        << " queue)\n\n"
        << op.meaning << ".\n\n";
    if (op.operands().empty())
      out << "No operand fields.\n";
    else
      field_table(out, op.operands());
  }

  out << "\n### Parameter record (64 bytes, little-endian)\n\n"
         "| offset | field | type | meaning |\n|---|---|---|---|\n";
  const ParamRecord layout;
  for_each_param_field(
      layout, [&](const char* name, size_t offset, const auto& member, const char* meaning) {
        const bool is_float = std::is_floating_point_v<std::remove_cvref_t<decltype(member)>>;
        out << "| " << offset << " | `" << name << "` | " << (is_float ? "f32" : "i32") << " | "
            << meaning << " |\n";
      });
  if (kParamRecordUsedBytes < kParamRecordBytes)
    out << "| " << kParamRecordUsedBytes << ".." << kParamRecordBytes - 1
        << " | reserved | | must be zero |\n";
  return out.str();
}

std::string verilog_header() {
  std::ostringstream out;
  out << "// Generated from isa/isa.def by `bpusim asm --verilog`: do not edit. The core's decode\n"
         "// (rtl_ref/core/) uses these macros only; tests/isa/test_docs.cc fails when this file\n"
         "// differs from the table (rerun it with BPUSIM_UPDATE_DOCS=1 to regenerate).\n"
         "`ifndef BPU_ISA_VH\n`define BPU_ISA_VH\n\n"
      << "`define BPU_INSTR_BITS " << kInstructionBits << "\n\n"
      << "// Opcodes: `BPU_OP_<NAME> (6-bit values) and the queue that executes each one\n"
         "// (0 LOAD, 1 COMPUTE, 2 STORE).\n";
  for (const OpcodeDef& op : kOpcodeDefs)
    out << "`define BPU_OP_" << op.name << " " << def(Field::opcode).width << "'d" << op.number()
        << "\n";
  for (const OpcodeDef& op : kOpcodeDefs)
    out << "`define BPU_QUEUE_" << op.name << " 2'd" << static_cast<int>(op.queue) << "\n";
  out << "// `BPU_QUEUE_OF(op): the queue of any opcode (2'd3 for a number that is no opcode).\n"
         "`define BPU_QUEUE_OF(op) (";
  for (const OpcodeDef& op : kOpcodeDefs)
    out << "(op) == " << op.number() << " ? 2'd" << static_cast<int>(op.queue) << " : ";
  out << "2'd3)\n";
  out << "\n// Fields: `BPU_F_<NAME>(instr) selects the raw bits (signed fields need $signed).\n";
  for (const FieldDef& d : kFieldDefs) {
    std::string upper(d.name);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out << "`define BPU_F_" << upper << "(i) i[" << d.msb() << ":" << d.lsb << "]  // "
        << (d.is_signed() ? "signed " : "") << d.width << " bits\n";
    out << "`define BPU_W_" << upper << " " << d.width << "\n";
  }
  out << "\n// Parameter record: `BPU_REC_<FIELD>(r) selects one 32-bit field of a 512-bit "
         "record.\n";
  const ParamRecord layout;
  for_each_param_field(layout, [&](const char* name, size_t offset, const auto&, const char*) {
    std::string upper(name);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out << "`define BPU_REC_" << upper << "(r) r[" << offset * 8 + 31 << ":" << offset * 8 << "]\n";
  });
  out << "\n`endif\n";
  return out.str();
}

}  // namespace bpusim::isa
