// The BPU instruction set, derived from the table in isa/isa.def (the single source of
// truth; docs/isa.md describes it). This header gives:
//   - Field / Opcode enums and their table entries (FieldDef, OpcodeDef);
//   - Instruction: a 256-bit instruction value with checked get/set by field name;
//   - Operands: every field as a named int64_t member (a flat typed view for the simulator
//     and the compiler), with encode()/operands() between it and Instruction;
//   - decoding with validation (unknown opcode, reserved bits, illegal tokens, bad enums).
// Every user-visible problem is a bpusim::Error whose message names the opcode, field and
// value. No code outside isa.cc shifts or masks instruction bits.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bpusim::isa {

inline constexpr int kInstructionBits = 256;
inline constexpr int kInstructionBytes = 32;
using Words = std::array<uint64_t, 4>;  // word i holds bits [64*i, 64*i + 63]

enum class Field : uint8_t {
#define BPU_FIELD(name, ...) name,
#include "isa/isa.def"
};

enum class Opcode : uint8_t {
#define BPU_OPCODE(NAME, number, ...) NAME = number,
#include "isa/isa.def"
};

// The three instruction queues, in pipeline order; tokens flow between neighbours.
enum class Queue : uint8_t { kLoad, kCompute, kStore };
enum class Sign : uint8_t { kUnsigned, kSigned };
// How the assembler writes a field (see isa.def).
enum class Format : uint8_t { kDec, kHex, kSym, kToken, kOpcode };

struct FieldDef {
  std::string_view name;
  int lsb;
  int width;
  Sign sign;
  Format format;
  std::string_view symbols;  // "A|B|C" for kSym: value i means the i-th symbol
  std::string_view meaning;

  constexpr int word() const { return lsb / 64; }
  constexpr int msb() const { return lsb + width - 1; }
  constexpr bool is_signed() const { return sign == Sign::kSigned; }
  constexpr int64_t min() const { return is_signed() ? -(int64_t{1} << (width - 1)) : 0; }
  // Largest legal value: the width's limit, or the last symbol's index for kSym fields.
  constexpr int64_t max() const {
    if (format == Format::kSym) {
      int64_t count = 1;
      for (char ch : symbols) count += ch == '|';
      return count - 1;
    }
    return is_signed() ? (int64_t{1} << (width - 1)) - 1 : (int64_t{1} << width) - 1;
  }
};

inline constexpr std::array kFieldDefs{
#define BPU_FIELD(name, lsb, width, sign, format, symbols, meaning) \
  FieldDef{#name, lsb, width, Sign::sign, Format::format, symbols, meaning},
#include "isa/isa.def"
};
inline constexpr int kNumFields = static_cast<int>(kFieldDefs.size());
using FieldSet = std::bitset<kNumFields>;

// The header fields, present in every instruction at the same place.
inline constexpr std::array kTokenFields{Field::pop_prev, Field::pop_next, Field::push_prev,
                                         Field::push_next};
inline constexpr int kMaxOperands = 24;

struct OpcodeDef {
  std::string_view name;
  Opcode opcode;
  Queue queue;
  std::string_view meaning;
  std::array<Field, kMaxOperands> operand_list{};  // operands (no header), assembler order
  int num_operands = 0;

  constexpr std::span<const Field> operands() const {
    return {operand_list.data(), size_t(num_operands)};
  }
  constexpr int number() const { return static_cast<int>(opcode); }
};

namespace detail {
constexpr OpcodeDef make_opcode(std::string_view name, Opcode opcode, Queue queue,
                                std::string_view meaning, std::initializer_list<Field> operands) {
  OpcodeDef def{name, opcode, queue, meaning};
  for (Field f : operands) def.operand_list[def.num_operands++] = f;
  return def;
}
}  // namespace detail

inline constexpr auto kOpcodeDefs = [] {
  using enum Field;
  return std::array{
#define BPU_OPCODE(NAME, number, queue, meaning, ...) \
  detail::make_opcode(#NAME, Opcode::NAME, Queue::queue, meaning, {__VA_ARGS__}),
#include "isa/isa.def"
  };
}();
inline constexpr int kNumOpcodes = static_cast<int>(kOpcodeDefs.size());

constexpr const FieldDef& def(Field f) {
  return kFieldDefs[static_cast<size_t>(f)];
}
const OpcodeDef& def(Opcode op);
std::string_view name(Field f);
std::string_view name(Opcode op);
std::string_view name(Queue q);  // "load", "compute", "store"
// Lookups by number and by name; nullopt when there is none.
std::optional<Opcode> opcode_from_number(uint64_t number);
std::optional<Opcode> opcode_from_name(std::string_view name);
std::optional<Field> field_from_name(std::string_view name);
// Header fields (opcode + tokens) and operands of `op`.
FieldSet fields_of(Opcode op);
// Whether `token` may be set on an instruction of queue `q` (LOAD has no previous queue,
// STORE no next one).
bool token_allowed(Queue q, Field token);
// Bits [lsb, lsb+width) of every field of `op`, header included; all other bits are reserved
// and must be zero.
Words used_bits(Opcode op);

// One instruction. Always valid: built from an Opcode (all operands 0) and checked setters,
// or by decode(), which validates raw words. The all-zero instruction is a NOP.
class Instruction {
 public:
  constexpr Instruction() = default;
  explicit Instruction(Opcode op);

  Opcode opcode() const;
  const OpcodeDef& def() const { return isa::def(opcode()); }
  bool has(Field f) const;
  // The value of field `f` (sign-extended for signed fields); Error if `op` has no such field.
  int64_t get(Field f) const;
  // Sets `f` to `value`; Error naming opcode, field and value when `f` is not a field of this
  // opcode (or is the opcode itself), the value is out of the field's range, or `f` is a token
  // flag this opcode's queue cannot carry.
  Instruction& set(Field f, int64_t value);

  const Words& words() const { return words_; }
  std::array<uint8_t, kInstructionBytes> to_bytes() const;  // little-endian words 0..3

  // Validates raw words: unknown opcode, reserved bits set, illegal token flags and values
  // out of range are Errors naming the opcode, bit or field and value.
  static Instruction decode(const Words& words);
  static Instruction decode(std::span<const uint8_t, kInstructionBytes> bytes);

  bool operator==(const Instruction&) const = default;

 private:
  Words words_{};
};

// Every field as a named member: a flat, typed view of any instruction (fields the opcode
// does not have are 0).
struct Operands {
#define BPU_FIELD(name, ...) int64_t name = 0;
#include "isa/isa.def"
  int64_t& operator[](Field f);
  int64_t operator[](Field f) const;
  bool operator==(const Operands&) const = default;
};

Operands operands(const Instruction& inst);
// The encoder: the instruction with opcode `o.opcode` and every field of `o`. Errors for an
// unknown opcode, a value out of range, an illegal token, or a nonzero member that is not a
// field of the opcode.
Instruction encode(const Operands& o);

// The Markdown reference tables (opcodes, header, every opcode's fields, parameter record)
// that docs/isa.md embeds verbatim between its GENERATED markers; a test keeps them equal.
std::string markdown_reference();

// The Verilog header of the same table (opcode numbers and queues, field bit ranges, parameter
// record fields) that rtl_ref/core/bpu_isa.vh holds verbatim; a test keeps them equal.
std::string verilog_header();

}  // namespace bpusim::isa
