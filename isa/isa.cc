// Encoding and decoding of instructions from the table in isa.def. This file is the only
// place that shifts and masks instruction bits (extract/deposit).
#include "isa/isa.h"

#include <bit>
#include <string>
#include <vector>

#include "common/error.h"
#include "isa/little_endian.h"

namespace bpusim::isa {
namespace {

static_assert(kNumFields <= 64, "FieldSet and the docs assume at most 64 fields");

uint64_t low_mask(int width) {
  return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

// The raw (zero-extended) bits of field `d`.
uint64_t extract(const Words& w, const FieldDef& d) {
  return (w[d.word()] >> (d.lsb % 64)) & low_mask(d.width);
}

// Replaces the bits of field `d` with the low `d.width` bits of `value`.
void deposit(Words& w, const FieldDef& d, uint64_t value) {
  const uint64_t mask = low_mask(d.width) << (d.lsb % 64);
  w[d.word()] = (w[d.word()] & ~mask) | ((value << (d.lsb % 64)) & mask);
}

int64_t sign_extend(uint64_t raw, const FieldDef& d) {
  if (!d.is_signed() || d.width >= 64) return static_cast<int64_t>(raw);
  const uint64_t sign_bit = uint64_t{1} << (d.width - 1);
  return static_cast<int64_t>((raw ^ sign_bit) - sign_bit);
}

// Index into kOpcodeDefs for each 6-bit opcode number, -1 where none is defined.
const std::array<int, 64>& opcode_index() {
  static const std::array<int, 64> index = [] {
    std::array<int, 64> out;
    out.fill(-1);
    for (int i = 0; i < kNumOpcodes; ++i) out[kOpcodeDefs[i].number()] = i;
    return out;
  }();
  return index;
}

struct OpcodeLayout {
  FieldSet fields;
  Words used{};
};

const OpcodeLayout& layout(Opcode op) {
  static const std::array<OpcodeLayout, 64> layouts = [] {
    std::array<OpcodeLayout, 64> out{};
    for (const OpcodeDef& d : kOpcodeDefs) {
      OpcodeLayout& l = out[d.number()];
      l.fields.set(static_cast<size_t>(Field::opcode));
      for (Field t : kTokenFields) l.fields.set(static_cast<size_t>(t));
      for (Field f : d.operands()) l.fields.set(static_cast<size_t>(f));
      for (int f = 0; f < kNumFields; ++f)
        if (l.fields[f]) deposit(l.used, kFieldDefs[f], ~uint64_t{0});
    }
    return out;
  }();
  return layouts[static_cast<size_t>(op)];
}

std::string operand_names(const OpcodeDef& op) {
  std::string out;
  for (Field f : op.operands()) {
    if (!out.empty()) out += ' ';
    out += name(f);
  }
  return out.empty() ? "none" : out;
}

// Checks that `value` is legal for field `f` of opcode `op` (range, symbols, token legality).
void check_value(const OpcodeDef& op, Field f, int64_t value) {
  const FieldDef& d = def(f);
  if (value < d.min() || value > d.max()) {
    fail(op.name, ": field ", d.name, " = ", value, " is out of range [", d.min(), ", ", d.max(),
         "]", d.format == Format::kSym ? cat(" (", d.symbols, ")") : std::string());
  }
  if (d.format == Format::kToken && value != 0 && !token_allowed(op.queue, f)) {
    const bool prev = f == Field::pop_prev || f == Field::push_prev;
    fail(op.name, ": token flag +", d.name, " is illegal: the ", name(op.queue), " queue has no ",
         prev ? "previous" : "next", " queue");
  }
}

}  // namespace

const OpcodeDef& def(Opcode op) {
  const int i = opcode_index()[static_cast<size_t>(op) & 63];
  require(i >= 0, "unknown opcode ", static_cast<int>(op));
  return kOpcodeDefs[i];
}

std::string_view name(Field f) {
  return def(f).name;
}
std::string_view name(Opcode op) {
  return def(op).name;
}
std::string_view name(Queue q) {
  static constexpr std::array<std::string_view, 3> kNames{"load", "compute", "store"};
  return kNames[static_cast<size_t>(q)];
}

std::optional<Opcode> opcode_from_number(uint64_t number) {
  if (number >= 64 || opcode_index()[number] < 0) return std::nullopt;
  return static_cast<Opcode>(number);
}

std::optional<Opcode> opcode_from_name(std::string_view text) {
  for (const OpcodeDef& d : kOpcodeDefs)
    if (d.name == text) return d.opcode;
  return std::nullopt;
}

std::optional<Field> field_from_name(std::string_view text) {
  for (int f = 0; f < kNumFields; ++f)
    if (kFieldDefs[f].name == text) return static_cast<Field>(f);
  return std::nullopt;
}

FieldSet fields_of(Opcode op) {
  return layout(op).fields;
}
Words used_bits(Opcode op) {
  return layout(op).used;
}

bool token_allowed(Queue q, Field token) {
  const bool prev = token == Field::pop_prev || token == Field::push_prev;
  return prev ? q != Queue::kLoad : q != Queue::kStore;
}

// ---- Instruction ----

Instruction::Instruction(Opcode op) {
  isa::def(op);  // rejects numbers that are not opcodes
  deposit(words_, isa::def(Field::opcode), static_cast<uint64_t>(op));
}

Opcode Instruction::opcode() const {
  return static_cast<Opcode>(extract(words_, isa::def(Field::opcode)));
}

bool Instruction::has(Field f) const {
  return layout(opcode()).fields[static_cast<size_t>(f)];
}

int64_t Instruction::get(Field f) const {
  require(has(f), def().name, ": '", name(f), "' is not a field of ", def().name);
  return sign_extend(extract(words_, isa::def(f)), isa::def(f));
}

Instruction& Instruction::set(Field f, int64_t value) {
  const OpcodeDef& op = def();
  require(f != Field::opcode, op.name, ": the opcode is fixed when the instruction is made");
  require(has(f), op.name, ": '", name(f), "' is not a field of ", op.name,
          " (its fields: ", operand_names(op), ")");
  check_value(op, f, value);
  deposit(words_, isa::def(f), static_cast<uint64_t>(value));
  return *this;
}

std::array<uint8_t, kInstructionBytes> Instruction::to_bytes() const {
  std::array<uint8_t, kInstructionBytes> out{};
  for (size_t i = 0; i < words_.size(); ++i) put_le<uint64_t>(out.data() + 8 * i, words_[i]);
  return out;
}

Instruction Instruction::decode(const Words& words) {
  const uint64_t number = extract(words, isa::def(Field::opcode));
  const std::optional<Opcode> op = opcode_from_number(number);
  require(op.has_value(), "unknown opcode ", number);
  const OpcodeDef& d = isa::def(*op);
  const Words used = used_bits(*op);
  for (size_t i = 0; i < words.size(); ++i) {
    const uint64_t stray = words[i] & ~used[i];
    if (stray != 0) {
      fail(d.name, ": reserved bit ", 64 * i + std::countr_zero(stray), " (word ", i,
           ") is set; it belongs to no field of ", d.name);
    }
  }
  Instruction inst;
  inst.words_ = words;
  const FieldSet fields = fields_of(*op);
  for (int f = 0; f < kNumFields; ++f)
    if (fields[f]) check_value(d, static_cast<Field>(f), inst.get(static_cast<Field>(f)));
  return inst;
}

Instruction Instruction::decode(std::span<const uint8_t, kInstructionBytes> bytes) {
  Words words;
  for (size_t i = 0; i < words.size(); ++i) words[i] = get_le<uint64_t>(bytes.data() + 8 * i);
  return decode(words);
}

// ---- Operands ----

namespace {
constexpr std::array<int64_t Operands::*, kNumFields> kMembers{
#define BPU_FIELD(name, ...) &Operands::name,
#include "isa/isa.def"
};
}  // namespace

int64_t& Operands::operator[](Field f) {
  return this->*kMembers[static_cast<size_t>(f)];
}
int64_t Operands::operator[](Field f) const {
  return this->*kMembers[static_cast<size_t>(f)];
}

Operands operands(const Instruction& inst) {
  Operands o;
  const FieldSet fields = fields_of(inst.opcode());
  for (int f = 0; f < kNumFields; ++f)
    if (fields[f]) o[static_cast<Field>(f)] = inst.get(static_cast<Field>(f));
  return o;
}

Instruction encode(const Operands& o) {
  const std::optional<Opcode> op =
      o.opcode < 0 ? std::nullopt : opcode_from_number(static_cast<uint64_t>(o.opcode));
  require(op.has_value(), "unknown opcode ", o.opcode);
  Instruction inst(*op);
  for (int i = 0; i < kNumFields; ++i) {
    const Field f = static_cast<Field>(i);
    if (f == Field::opcode) continue;
    if (inst.has(f))
      inst.set(f, o[f]);
    else
      require(o[f] == 0, name(*op), ": '", name(f), "' = ", o[f], " is not a field of ", name(*op));
  }
  return inst;
}

}  // namespace bpusim::isa
