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
//   - check_ddr_lifetimes checks a whole program's DDR map (tensors sharing bytes, DDR reuse)
//     from the TENSORS table and what each step reads and writes: the sequential program
//     keeps every tensor intact while it is used. Together with check_schedule on each BPU
//     segment (whose DDR conflicts, a later layer's STORE over bytes an earlier layer still
//     LOADs included, must be ordered by tokens in CODE order) and segments running one after
//     another, the concurrent program reads what the sequential one does.
// All throw bpusim::Error naming the instruction index, opcode and the FIFO or bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/hw_config.h"
#include "isa/isa.h"
#include "isa/program_contract.h"

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

// One step of a program, in the order the program runs them: a BPU layer (its instructions)
// or a host op (no instructions), with the TENSORS entries it reads and writes by name (names
// without an entry, such as BPU weights, which live in WEIGHTS, are ignored).
struct ProgramStep {
  std::string name;                 // the node's name, for messages
  std::vector<isa::Operands> code;  // a BPU layer's instructions; empty for a host op
  int64_t first = 0;                // the CODE index of code[0], for messages
  std::vector<std::string> reads;
  std::vector<std::string> writes;
};

// Checks that tensors sharing DDR bytes never hold live data at the same time. A tensor and
// its views (view_of: aliases, concat slices) are one root with the root's bytes; a root is
// used from the first step that reads or writes it (or before the first step: a model input)
// to the last (or after the last: a model output). Fails when
//   - a LOAD of a step reads DDR outside [0, constants_end) (WEIGHTS, PARAMS) and outside every
//     tensor the step reads or writes, or a STORE writes outside every tensor the step writes
//     (so the steps' lists describe the instructions);
//   - a tensor is read but never written (and not a model input);
//   - two roots share a byte while their use ranges overlap (one would overwrite the other);
//   - a root is overwritten by a later root but not marked `overwritten` (a caller keeping
//     tensors after the run would take the later tensor's bytes for it).
void check_ddr_lifetimes(std::span<const isa::TensorDesc> tensors,
                         std::span<const ProgramStep> steps, int64_t constants_end);

}  // namespace bpusim::compiler
