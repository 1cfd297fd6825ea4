// The generated reference tables of docs/isa.md (see markdown_reference in isa.h).
#include <sstream>
#include <type_traits>

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

void field_table(std::ostream& out, std::span<const Field> fields) {
  out << "| field | word | bits | width | signed | values | meaning |\n"
         "|---|---|---|---|---|---|---|\n";
  for (Field f : fields) {
    const FieldDef& d = def(f);
    out << "| `" << d.name << "` | " << d.word() << " | " << d.lsb << ".." << d.msb() << " | "
        << d.width << " | " << (d.is_signed() ? "yes" : "no") << " | " << values(d) << " | "
        << d.meaning << " |\n";
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
  out << "| " << kParamRecordUsedBytes << ".." << kParamRecordBytes - 1
      << " | reserved | | must be zero |\n";
  return out.str();
}

}  // namespace bpusim::isa
