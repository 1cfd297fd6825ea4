#include "isa/assembler.h"

#include <charconv>
#include <sstream>

#include "common/error.h"

namespace bpusim::isa {
namespace {

// The symbols of a kSym field, in value order.
std::vector<std::string_view> symbols(const FieldDef& d) {
  std::vector<std::string_view> out;
  std::string_view rest = d.symbols;
  while (!rest.empty()) {
    const size_t bar = rest.find('|');
    out.push_back(rest.substr(0, bar));
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return out;
}

// Parses [-](decimal | 0x hex | 0b binary) into an int64; nullopt when it is not one.
std::optional<int64_t> parse_integer(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) base = 16;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) base = 2;
  if (base != 10) text.remove_prefix(2);
  uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

int64_t parse_value(const FieldDef& d, std::string_view text) {
  if (d.format == Format::kSym) {
    const auto syms = symbols(d);
    for (size_t i = 0; i < syms.size(); ++i)
      if (syms[i] == text) return static_cast<int64_t>(i);
  }
  const std::optional<int64_t> v = parse_integer(text);
  require(v.has_value(), "field ", d.name, ": '", text, "' is not ",
          d.format == Format::kSym ? cat("one of ", d.symbols, " or ") : "", "an integer");
  return *v;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> out;
  constexpr std::string_view kSpace = " \t\r\v\f";
  size_t pos = line.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    const size_t end = line.find_first_of(kSpace, pos);
    out.push_back(line.substr(pos, end - pos));
    pos = line.find_first_not_of(kSpace, end);
  }
  return out;
}

std::string token_list() {
  std::string out;
  for (Field t : kTokenFields) out += cat(out.empty() ? "" : " ", "+", name(t));
  return out;
}

}  // namespace

Instruction assemble_line(std::string_view line) {
  const std::vector<std::string_view> words = split_words(line);
  require(!words.empty(), "empty instruction");
  const std::optional<Opcode> op = opcode_from_name(words[0]);
  require(op.has_value(), "unknown opcode mnemonic '", words[0], "'");
  Instruction inst(*op);
  FieldSet seen;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string_view word = words[i];
    const bool is_token = word.front() == '+';
    const size_t eq = word.find('=');
    require(is_token || (eq != std::string_view::npos && eq > 0), name(*op), ": expected ",
            "name=value or +token, got '", word, "'");
    const std::string_view field_name = is_token ? word.substr(1) : word.substr(0, eq);
    const std::optional<Field> f = field_from_name(field_name);
    require(f.has_value(), name(*op), ": unknown field '", field_name, "'");
    const FieldDef& d = def(*f);
    require(d.format != Format::kOpcode, name(*op), ": the opcode is given by the mnemonic");
    require(is_token == (d.format == Format::kToken), name(*op), ": ",
            is_token ? cat("'", word, "' is not a token flag (tokens: ", token_list(), ")")
                     : cat("token flag ", d.name, " is written +", d.name));
    require(!seen[static_cast<size_t>(*f)], name(*op), ": field ", d.name, " is given twice");
    seen.set(static_cast<size_t>(*f));
    try {
      inst.set(*f, is_token ? 1 : parse_value(d, word.substr(eq + 1)));
    } catch (const Error& e) {
      // set() and parse_value() name the field; parse_value() does not know the opcode.
      const std::string what = e.what();
      throw Error(what.starts_with(name(*op)) ? what : cat(name(*op), ": ", what));
    }
  }
  return inst;
}

std::vector<Instruction> assemble(std::string_view text, const std::string& source) {
  std::vector<Instruction> code;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    line = line.substr(0, line.find(';'));
    if (split_words(line).empty()) continue;
    try {
      code.push_back(assemble_line(line));
    } catch (const Error& e) {
      fail(source, ":", line_number, ": ", e.what());
    }
  }
  return code;
}

std::string disassemble(const Instruction& inst) {
  std::ostringstream out;
  out << inst.def().name;
  for (Field f : inst.def().operands()) {
    const FieldDef& d = def(f);
    const int64_t v = inst.get(f);
    out << ' ' << d.name << '=';
    if (d.format == Format::kSym)
      out << symbols(d)[static_cast<size_t>(v)];
    else if (d.format == Format::kHex)
      out << "0x" << std::hex << v << std::dec;
    else
      out << v;
  }
  for (Field t : kTokenFields)
    if (inst.get(t) != 0) out << " +" << name(t);
  return out.str();
}

std::string disassemble(std::span<const Instruction> code) {
  std::string out;
  for (const Instruction& inst : code) out += disassemble(inst) + "\n";
  return out;
}

}  // namespace bpusim::isa
