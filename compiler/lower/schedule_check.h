// Independent verification of a BPU segment's schedule, from the instruction flags and fields
// only (it does not trust the scheduler):
//   - check_tokens runs the token protocol abstractly: each queue executes its instructions in
//     CODE order, a pop consumes one token from its FIFO (waiting while it is empty), a push
//     adds one. It proves the segment cannot deadlock (it always drains), that every push is
//     popped, and that every producer precedes its consumer in CODE order (so an in-order
//     instruction fetch with bounded queues cannot deadlock either).
//   - check_schedule additionally builds the happens-before order the tokens create and
//     proves that every pair of conflicting accesses from different queues is ordered by it
//     (no buffer is overwritten before it is consumed, no data is read before it is written),
//     and that every access lies inside its buffer (sizes from the HwConfig).
//   - check_token_depth: no token FIFO needs more than queue.token_depth tokens. The abstract
//     run lets every queue run ahead as far as its tokens allow, so its peaks bound what the
//     hardware's FIFOs hold; a larger peak would stall the producer (docs/timing.md rule 3)
//     and could deadlock two bounded FIFOs against each other.
// Both throw bpusim::Error naming the instruction index, opcode and the FIFO or bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "common/hw_config.h"
#include "isa/isa.h"

namespace bpusim::compiler {

// Token FIFOs, in the order of docs/isa.md: load->compute, compute->load, compute->store,
// store->compute.
enum class Fifo : uint8_t { kL2C, kC2L, kC2S, kS2C };
std::string_view fifo_name(Fifo f);

struct TokenReport {
  std::array<int64_t, 4> pushes{};        // tokens pushed (= popped) per FIFO
  std::array<int64_t, 4> max_pending{};   // most tokens waiting at once (in the abstract run)
  std::array<int64_t, 3> instructions{};  // per queue
};

TokenReport check_tokens(std::span<const isa::Operands> code);
TokenReport check_schedule(std::span<const isa::Operands> code, const HwConfig& hw);
void check_token_depth(const TokenReport& report, const HwConfig& hw);

}  // namespace bpusim::compiler
