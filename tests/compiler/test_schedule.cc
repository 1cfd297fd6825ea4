// The LOAD/COMPUTE/STORE token protocol: random instruction streams scheduled by Schedule are
// deadlock-free and race-free (checked by the independent checker); the checker rejects
// hand-made broken streams; compiled programs double-buffer (loads run ahead of compute).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/compile.h"
#include "compiler/lower/footprint.h"
#include "compiler/lower/schedule.h"
#include "compiler/lower/schedule_check.h"
#include "isa/assembler.h"
#include "tests/compiler/graph_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using compiler::Schedule;
using isa::Opcode;
using isa::Operands;
using testing::error_message;

Operands load(int64_t buf, int64_t sram, int64_t dram, int64_t bytes) {
  Operands o;
  o.opcode = static_cast<int64_t>(Opcode::LOAD);
  o.buf = buf, o.sram_addr = sram, o.dram_addr = dram, o.n0 = bytes, o.n1 = 1, o.n2 = 1;
  return o;
}

Operands store(int64_t sram, int64_t dram, int64_t bytes) {
  Operands o = load(3, sram, dram, bytes);
  o.opcode = static_cast<int64_t>(Opcode::STORE);
  return o;
}

// A COPY from `src_buf` to OUTPUT: one compute instruction with one read and one write.
Operands copy(int64_t src_buf, int64_t src, int64_t dst, int64_t bytes) {
  Operands o;
  o.opcode = static_cast<int64_t>(Opcode::COPY);
  o.src_buf = src_buf, o.src_addr = src, o.dst_addr = dst, o.n = bytes;
  return o;
}

// Runs the three queues abstractly, token counts only, always preferring queue `first`;
// returns how many instructions of `first` ran before any instruction of `other` completed.
int64_t run_ahead(const std::vector<Operands>& code, isa::Queue first, isa::Queue other) {
  std::array<std::vector<const Operands*>, 3> q;
  for (const Operands& o : code) q[static_cast<int>(compiler::queue_of(o))].push_back(&o);
  std::array<size_t, 3> head{};
  std::map<std::pair<int, int>, int64_t> tokens;  // (from, to) -> count
  const int f = static_cast<int>(first);
  int64_t ran = 0;
  while (head[f] < q[f].size()) {
    const Operands& o = *q[f][head[f]];
    auto ok = [&](int from) { return tokens[{from, f}] > 0; };
    if ((o.pop_prev && !ok(f - 1)) || (o.pop_next && !ok(f + 1))) break;
    if (o.pop_prev) --tokens[{f - 1, f}];
    if (o.pop_next) --tokens[{f + 1, f}];
    if (o.push_prev) ++tokens[{f, f - 1}];
    if (o.push_next) ++tokens[{f, f + 1}];
    ++head[f], ++ran;
  }
  (void)other;
  return ran;
}

TEST(Schedule, RandomStreamsAreDeadlockFreeAndRaceFree) {
  std::mt19937 rng(42);
  const HwConfig hw;
  auto r = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 300; ++iter) {
    Schedule s;
    std::vector<std::pair<int64_t, int64_t>> stored;  // DDR ranges written so far
    const int n = static_cast<int>(r(1, 60));
    for (int i = 0; i < n; ++i) {
      switch (r(0, 3)) {
        case 0: {  // load from fresh DDR or from bytes an earlier STORE wrote
          int64_t dram = 0x100000 + r(0, 4096);
          if (!stored.empty() && r(0, 1)) dram = stored[r(0, stored.size() - 1)].first;
          s.emit(load(r(0, 1) ? 0 : 4, r(0, 512), dram, r(1, 256)));
          break;
        }
        case 1:
          s.emit(copy(r(0, 1) ? 0 : 4, r(0, 512), r(0, 512), r(1, 256)));
          break;
        case 2: {
          const int64_t dram = 0x200000 + r(0, 4096), bytes = r(1, 256);
          s.emit(store(r(0, 512), dram, bytes));
          stored.emplace_back(dram, bytes);
          break;
        }
        default:
          s.emit(copy(3, r(0, 512), r(0, 512), r(1, 256)));  // OUTPUT -> OUTPUT
      }
    }
    Operands finish;
    finish.opcode = static_cast<int64_t>(Opcode::FINISH);
    s.emit(finish);
    SCOPED_TRACE(isa::disassemble([&] {
      std::vector<isa::Instruction> v;
      for (const auto& o : s.code()) v.push_back(isa::encode(o));
      return v;
    }()));
    const compiler::TokenReport rep = compiler::check_schedule(s.code(), hw);
    // Every pop matched a push (the checker throws otherwise); pushes are counted per FIFO.
    int64_t pops = 0;
    for (const auto& o : s.code()) pops += o.pop_prev + o.pop_next;
    EXPECT_EQ(pops, rep.pushes[0] + rep.pushes[1] + rep.pushes[2] + rep.pushes[3]);
  }
}

TEST(Schedule, LoadAfterStoreIsRoutedThroughCompute) {
  Schedule s;
  s.emit(copy(0, 0, 0, 16));        // compute writes OUTPUT[0, 16)
  s.emit(store(0, 0x1000, 16));     // store waits for it (C2S)
  s.emit(load(0, 64, 0x1000, 16));  // load reads what the store wrote: via a compute NOP
  EXPECT_EQ(s.routing_nops(), 1);
  compiler::check_schedule(s.code(), HwConfig{});
  EXPECT_EQ(s.code()[2].opcode, static_cast<int64_t>(Opcode::NOP));
  EXPECT_TRUE(s.code()[2].pop_next && s.code()[2].push_prev);
  EXPECT_TRUE(s.code()[3].pop_next);
}

TEST(Schedule, DoubleBufferedHalvesNeedNoWaitUntilTheThirdLoad) {
  Schedule s;
  for (int t = 0; t < 4; ++t) {
    const int64_t half = (t % 2) * 1024;
    s.emit(load(0, half, 0x1000 + t * 64, 64));
    s.emit(copy(0, half, half, 64));
    s.emit(store(half, 0x8000 + t * 64, 64));
  }
  s.flush();
  const auto& c = s.code();
  // Program (and so DDR) order: each tile's LOAD goes ahead of the previous tile's STORE:
  // L0 C0 L1 S0 C1 L2 S1 C2 L3 S2 C3 S3.
  const std::vector<Opcode> order = {Opcode::LOAD, Opcode::COPY,  Opcode::LOAD,  Opcode::STORE,
                                     Opcode::COPY, Opcode::LOAD,  Opcode::STORE, Opcode::COPY,
                                     Opcode::LOAD, Opcode::STORE, Opcode::COPY,  Opcode::STORE};
  ASSERT_EQ(c.size(), order.size());
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i].opcode, static_cast<int64_t>(order[i]));
  // Loads 0 and 1 go to fresh halves; load 2 reuses half 0 and waits for compute 0 (C2L).
  EXPECT_FALSE(c[0].pop_next);
  EXPECT_FALSE(c[2].pop_next);
  EXPECT_TRUE(c[5].pop_next);
  EXPECT_TRUE(c[1].push_prev);
  // Compute 2 overwrites OUTPUT half 0: it waits for store 0 (S2C).
  EXPECT_TRUE(c[7].pop_next);
  EXPECT_TRUE(c[3].push_prev);
  compiler::check_schedule(c, HwConfig{});
}

TEST(ScheduleCheck, RejectsAPopWithoutPush) {
  Operands c = copy(0, 0, 0, 4);
  c.pop_prev = 1;
  EXPECT_THAT(error_message([&] { compiler::check_tokens(std::vector<Operands>{c}); }),
              ::testing::HasSubstr(
                  "deadlock: instruction 0 (COPY) in the compute queue waits for a L2C token"));
}

TEST(ScheduleCheck, RejectsAPushWithoutPop) {
  Operands l = load(0, 0, 0, 4);
  l.push_next = 1;
  EXPECT_THAT(error_message([&] { compiler::check_tokens(std::vector<Operands>{l}); }),
              ::testing::HasSubstr("1 L2C token(s) pushed but never popped"));
}

TEST(ScheduleCheck, RejectsAProducerAfterItsConsumer) {
  Operands c = copy(0, 0, 0, 4);
  c.pop_prev = 1;
  Operands l = load(0, 0, 0, 4);
  l.push_next = 1;
  EXPECT_THAT(error_message([&] {
                compiler::check_tokens(std::vector<Operands>{c, l});
              }),
              ::testing::HasSubstr("which comes later in CODE order"));
}

TEST(ScheduleCheck, RejectsUnorderedConflicts) {
  // The CONV-like read of FEATURE has no token on the LOAD that fills it.
  EXPECT_THAT(error_message([&] {
                compiler::check_schedule(
                    std::vector<Operands>{load(0, 0, 0, 64), copy(0, 32, 0, 8)}, HwConfig{});
              }),
              ::testing::HasSubstr("instruction 1 (COPY) reads FEATURE bytes [32, 40) that "
                                   "instruction 0 (LOAD) also accesses, and no token orders them"));
  // A LOAD overwrites bytes a compute instruction reads, without waiting for it.
  Operands l0 = load(0, 0, 0, 64);
  l0.push_next = 1;
  Operands c0 = copy(0, 0, 0, 64);
  c0.pop_prev = 1;
  EXPECT_THAT(
      error_message([&] {
        compiler::check_schedule(std::vector<Operands>{l0, c0, load(0, 0, 64, 64)}, HwConfig{});
      }),
      ::testing::AllOf(::testing::HasSubstr("instruction 1 (COPY)"),
                       ::testing::HasSubstr("instruction 2 (LOAD)"),
                       ::testing::HasSubstr("no token orders them")));
}

TEST(ScheduleCheck, RejectsMoreTokensInFlightThanTheFifoHolds) {
  // Three LOADs run ahead of the three COPYs that consume them: three L2C tokens wait at once.
  std::vector<Operands> code;
  for (int k = 0; k < 3; ++k) {
    Operands l = load(0, 64 * k, 0, 64);
    l.push_next = 1;
    code.push_back(l);
  }
  for (int k = 0; k < 3; ++k) {
    Operands c = copy(0, 64 * k, 64 * k, 64);
    c.pop_prev = 1;
    code.push_back(c);
  }
  HwConfig hw;
  const compiler::TokenReport report = compiler::check_schedule(code, hw);
  EXPECT_EQ(report.max_pending[0], 3);
  compiler::check_token_depth(report, hw);
  hw.set("queue.token_depth=2");
  EXPECT_THAT(error_message([&] { compiler::check_token_depth(report, hw); }),
              ::testing::HasSubstr("keeps up to 3 L2C tokens in flight, more than "
                                   "queue.token_depth = 2 holds"));
}

TEST(ScheduleCheck, RejectsAccessesOutsideABuffer) {
  HwConfig hw;
  hw.set("sram.feature.bytes=1024");
  EXPECT_THAT(error_message([&] {
                compiler::check_schedule(std::vector<Operands>{load(0, 1000, 0, 64)}, hw);
              }),
              ::testing::HasSubstr("accesses FEATURE bytes [1000, 1064) outside its 1024 bytes"));
}

// A compiled multi-tile convolution: the load queue runs ahead of compute (the second tile's
// loads do not wait for the first tile's CONV), and the decoded program passes the checker.
TEST(Schedule, CompiledConvolutionOverlapsLoadsWithCompute) {
  std::mt19937 rng(1);
  HwConfig hw;
  for (const char* s :
       {"sram.feature.bytes=4096", "sram.accumulator.bytes=8192", "sram.output.bytes=2048"})
    hw.set(s);
  testing::GraphBuilder b;
  const auto x = b.input("x", DType::kU8, {1, 16, 32, 32});
  const auto y =
      b.node("QConv", "conv",
             {x, b.constant("w", testing::random_tensor(DType::kI8, {16, 16, 3, 3}, rng))},
             {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  ir::set_requant(b.last(), testing::int32_requant(16, rng));
  b.output(y);
  const auto result = compiler::compile_graph(b.g, hw);
  ASSERT_GT(result.layers[0].tiles, 4);
  std::vector<Operands> code;
  for (const auto& inst : result.program.code) code.push_back(isa::operands(inst));
  compiler::check_schedule(code, hw);
  // Without any compute progress the load queue still fills both FEATURE halves.
  int64_t loads_before_compute_0 = 0;
  for (const Operands& o : code) {
    if (o.opcode == static_cast<int64_t>(Opcode::CONV)) break;
    loads_before_compute_0 += o.opcode == static_cast<int64_t>(Opcode::LOAD);
  }
  const int64_t ahead = run_ahead(code, isa::Queue::kLoad, isa::Queue::kCompute);
  EXPECT_GT(ahead, loads_before_compute_0) << "tile 1's loads wait for tile 0's compute";
  // The store queue never runs ahead of compute (it only stores computed tiles).
  EXPECT_EQ(run_ahead(code, isa::Queue::kStore, isa::Queue::kCompute), 0);
}

}  // namespace
}  // namespace bpusim
