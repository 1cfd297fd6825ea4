// The generated reference tables of docs/isa.md (see markdown_reference in isa.h).
#include <algorithm>
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

}  // namespace bpusim::isa
