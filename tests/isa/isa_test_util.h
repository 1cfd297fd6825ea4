// Helpers shared by the isa tests: random field values and instructions.
#pragma once

#include <random>

#include "isa/isa.h"

namespace bpusim::isa {

// A uniformly random legal value of field `d`.
inline int64_t random_value(const FieldDef& d, std::mt19937_64& rng) {
  return std::uniform_int_distribution<int64_t>(d.min(), d.max())(rng);
}

// An instruction of `op` with random operands and random legal token flags.
inline Instruction random_instruction(Opcode op, std::mt19937_64& rng) {
  Instruction inst(op);
  for (Field f : def(op).operands()) inst.set(f, random_value(def(f), rng));
  for (Field t : kTokenFields)
    if (token_allowed(def(op).queue, t)) inst.set(t, static_cast<int64_t>(rng() & 1));
  return inst;
}

}  // namespace bpusim::isa
