// DDR reuse (compiler/lower/ddr_plan.h): the allocator never puts blocks whose lifetimes overlap
// on the same bytes and reaches the largest live set where it can; compiled programs share DDR
// between tensors that are not live together and mark the tensors later ones overwrite; the
// independent checker (check_ddr_lifetimes, check_schedule) rejects broken reuse.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "compiler/compile.h"
#include "compiler/lower/ddr_plan.h"
#include "compiler/lower/plan.h"
#include "compiler/lower/schedule_check.h"
#include "tests/compiler/graph_builder.h"
#include "tests/support/test_util.h"

namespace bpusim {
namespace {

using compiler::LiveRange;
using compiler::ProgramStep;
using isa::Opcode;
using isa::Operands;
using testing::error_message;

constexpr int64_t kAlign = 64;

int64_t rounded(int64_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

// The most bytes live at one step, counted step by step (the definition, without the sweep).
int64_t brute_force_peak(const std::vector<LiveRange>& blocks) {
  int64_t peak = 0;
  for (const LiveRange& at : blocks) {
    int64_t live = 0;
    for (const LiveRange& b : blocks)
      if (b.first <= at.first && at.first <= b.last) live += rounded(b.bytes);
    peak = std::max(peak, live);
  }
  return peak;
}

// Places `blocks` and checks the placement: aligned, no two blocks live together share a byte,
// between the largest live set and the sum of all blocks. Returns its end.
int64_t checked_placement(const std::vector<LiveRange>& blocks) {
  const std::vector<int64_t> at = compiler::place_blocks(blocks, kAlign);
  EXPECT_EQ(at.size(), blocks.size());
  int64_t sum = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_GE(at[i], 0);
    EXPECT_EQ(at[i] % kAlign, 0);
    sum += rounded(blocks[i].bytes);
    for (size_t j = 0; j < i; ++j) {
      if (!compiler::lifetimes_overlap(blocks[i], blocks[j])) continue;
      const bool disjoint =
          at[i] + rounded(blocks[i].bytes) <= at[j] || at[j] + rounded(blocks[j].bytes) <= at[i];
      EXPECT_TRUE(disjoint) << "blocks " << i << " and " << j << " are live together at " << at[i]
                            << " and " << at[j];
    }
  }
  const int64_t end = compiler::placement_end(blocks, at, kAlign);
  const int64_t peak = compiler::peak_live_bytes(blocks, kAlign);
  EXPECT_EQ(peak, brute_force_peak(blocks));
  EXPECT_GE(end, peak);
  EXPECT_LE(end, sum);
  return end;
}

TEST(DdrPlan, BlocksLiveTogetherNeverShareBytes) {
  std::mt19937 rng(7);
  auto r = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int at_peak = 0;
  const int trials = 400;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<LiveRange> blocks(r(1, 40));
    for (LiveRange& b : blocks) {
      b.bytes = r(0, 3) == 0 ? r(0, 100) : r(0, 5000);  // zero-sized and tiny blocks too
      b.first = r(-1, 30);
      b.last = b.first + r(0, 10);
    }
    SCOPED_TRACE(::testing::Message() << "trial " << trial);
    at_peak += checked_placement(blocks) == compiler::peak_live_bytes(blocks, kAlign);
  }
  // The largest live set is a lower bound that random interval sets cannot always reach;
  // the allocator reaches it almost always.
  std::cout << at_peak << " of " << trials << " random sets placed in their largest live set\n";
  EXPECT_GE(at_peak, trials * 9 / 10);
}

TEST(DdrPlan, ChainsNeedOnlyTheirLargestLiveSet) {
  // A chain of layers: tensor i is written by step i and read by step i + 1, so only
  // neighbours are live together. Sizes alternating large and small (10, 1, 9, 10) defeat
  // plain largest-first; the largest adjacent pair is always reachable.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<LiveRange> chain(std::uniform_int_distribution<int64_t>(2, 14)(rng));
    for (size_t i = 0; i < chain.size(); ++i)
      chain[i] = {std::uniform_int_distribution<int64_t>(1, 12)(rng) * kAlign,
                  static_cast<int64_t>(i), static_cast<int64_t>(i) + 1};
    SCOPED_TRACE(::testing::Message() << "trial " << trial);
    EXPECT_EQ(checked_placement(chain), compiler::peak_live_bytes(chain, kAlign));
  }
  const std::vector<LiveRange> hard{{640, 0, 1}, {64, 1, 2}, {576, 2, 3}, {640, 3, 4}};
  EXPECT_EQ(checked_placement(hard), 576 + 640);
}

// x [1, 8, 16, 16] -> c1 (32 channels) -> c2 (8) -> c3 (32) -> c4 (8, the output): tensors of
// 2, 8, 2, 8, 2 KiB, each live from its producer (step k - 1 for ck) to its reader.
ir::Graph conv_chain() {
  std::mt19937 rng(3);
  testing::GraphBuilder b;
  ir::ValueId x = b.input("x", DType::kU8, {1, 8, 16, 16});
  int64_t c = 8;
  for (int64_t m : {32, 8, 32, 8}) {
    const std::string name = cat("c", b.g.nodes.size() + 1);
    x = b.node("QConv", name,
               {x, b.constant(name + "_w", testing::random_tensor(DType::kI8, {m, c, 1, 1}, rng))});
    ir::Requant rq;
    rq.out_dtype = DType::kU8;
    rq.channels.assign(m, {0, 0.01f, 0, 0, 3, 0, 255, {}});
    ir::set_requant(b.last(), rq);
    c = m;
  }
  b.output(x);
  return b.g;
}

const isa::TensorDesc& tensor(const isa::Program& p, const std::string& name) {
  for (const isa::TensorDesc& t : p.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

bool share_bytes(const isa::TensorDesc& a, const isa::TensorDesc& b) {
  return a.ddr_addr < b.ddr_addr + b.bytes && b.ddr_addr < a.ddr_addr + a.bytes;
}

TEST(DdrPlan, ACompiledChainNeedsItsLargestLiveSetAndMarksWhatItOverwrites) {
  const HwConfig hw;
  const compiler::CompileResult reuse = compiler::compile_graph(conv_chain(), hw);
  const compiler::DdrFootprint& f = reuse.ddr;
  EXPECT_TRUE(f.reuse);
  EXPECT_EQ(f.peak_live, 8192 + 2048);  // a 32-channel tensor and its 8-channel neighbour
  EXPECT_EQ(f.tensors, f.peak_live);
  EXPECT_EQ(f.no_reuse, 3 * 2048 + 2 * 8192);
  EXPECT_EQ(f.ddr_end(), f.tensors_base + f.tensors);
  EXPECT_EQ(reuse.program.weights.bytes.size(), static_cast<size_t>(f.weights));
  // c2's output (written at step 1) takes the bytes of x (last read at step 0), ...
  EXPECT_TRUE(share_bytes(tensor(reuse.program, "x"), tensor(reuse.program, "c2_out")));
  int overwritten = 0;
  for (const isa::TensorDesc& t : reuse.program.tensors) {
    overwritten += t.overwritten;
    if (t.role == isa::TensorRole::kOutput) {
      EXPECT_FALSE(t.overwritten) << t.name;
    }
  }
  // ... so x and the outputs of c1 and c2 are overwritten later (by c2, c3, c4); c3's output
  // (nothing comes after it on its bytes) and the model output are not.
  EXPECT_EQ(overwritten, 3);
  for (const char* name : {"x", "c1_out", "c2_out"})
    EXPECT_TRUE(tensor(reuse.program, name).overwritten) << name;
  EXPECT_FALSE(tensor(reuse.program, "c3_out").overwritten);
  // 1 KiB of weights, 80 parameter records (5 KiB) at 0x1000, the tensors at 0x3000.
  EXPECT_EQ(compiler::ddr_summary(f),
            "DDR tensors: 10240 bytes with reuse (largest live set 10240 bytes; each tensor its "
            "own bytes: 22528) at 0x3000; DDR end 0x5800 (22528 bytes)\n");

  const compiler::CompileResult own =
      compiler::compile_graph(conv_chain(), hw, "graph", {.ddr_reuse = false});
  EXPECT_FALSE(own.ddr.reuse);
  EXPECT_EQ(own.ddr.tensors, 22528);
  EXPECT_EQ(own.ddr.peak_live, 10240);
  for (const isa::TensorDesc& a : own.program.tensors) {
    EXPECT_FALSE(a.overwritten) << a.name;
    for (const isa::TensorDesc& b : own.program.tensors)
      if (&a != &b && a.role != isa::TensorRole::kConstant) {
        EXPECT_FALSE(share_bytes(a, b)) << a.name << " " << b.name;
      }
  }
  EXPECT_EQ(compiler::ddr_summary(own.ddr),
            "DDR tensors: 22528 bytes, no reuse (largest live set 10240 bytes) at 0x3000; DDR end "
            "0x8800 (34816 bytes)\n");
}

// ---- the checker: hand-made steps

Operands dma(Opcode op, int64_t dram, int64_t bytes) {
  Operands o;
  o.opcode = static_cast<int64_t>(op);
  o.buf = op == Opcode::STORE ? 3 : 0;
  o.dram_addr = dram, o.n0 = bytes, o.n1 = 1, o.n2 = 1;
  return o;
}

isa::TensorDesc desc(std::string name, isa::TensorRole role, int64_t addr, int64_t bytes) {
  isa::TensorDesc t;
  t.name = std::move(name);
  t.role = role;
  t.shape = {bytes};
  t.ddr_addr = addr;
  t.bytes = bytes;
  return t;
}

ProgramStep step(std::string name, std::vector<Operands> code, std::vector<std::string> reads,
                 std::vector<std::string> writes) {
  return {std::move(name), std::move(code), 0, std::move(reads), std::move(writes)};
}

// x -> a (step 0) -> b (step 1) -> y (step 2); a and y share 0x2000.
struct Chain {
  std::vector<isa::TensorDesc> tensors{desc("x", isa::TensorRole::kInput, 0x1000, 256),
                                       desc("a", isa::TensorRole::kInternal, 0x2000, 256),
                                       desc("b", isa::TensorRole::kInternal, 0x3000, 256),
                                       desc("y", isa::TensorRole::kOutput, 0x2000, 256)};
  std::vector<ProgramStep> steps{
      step("s0", {dma(Opcode::LOAD, 0x1000, 256), dma(Opcode::STORE, 0x2000, 256)}, {"x"}, {"a"}),
      step("s1", {dma(Opcode::LOAD, 0x2000, 256), dma(Opcode::STORE, 0x3000, 256)}, {"a"}, {"b"}),
      step("s2", {dma(Opcode::LOAD, 0x3000, 256), dma(Opcode::STORE, 0x2000, 256)}, {"b"}, {"y"})};
  Chain() { tensors[1].overwritten = true; }
  void check() const { compiler::check_ddr_lifetimes(tensors, steps, 0x800); }
};

TEST(DdrCheck, AcceptsReuseAfterTheLastRead) {
  EXPECT_NO_THROW(Chain().check());
  // Views share their root: an alias of a read at step 2 keeps a live until then.
  Chain c;
  isa::TensorDesc alias = desc("a_view", isa::TensorRole::kInternal, 0x2000, 256);
  alias.view_of = "a";
  c.tensors.push_back(alias);
  c.steps[2].reads.push_back("a_view");
  EXPECT_THAT(error_message([&] { c.check(); }),
              ::testing::HasSubstr("tensors 'a' and 'y' share DDR bytes [8192, 8448) but 'a' is "
                                   "used until step 2 's2' and 'y' from step 2 's2'"));
}

TEST(DdrCheck, RejectsTensorsSharingBytesWhileLive) {
  Chain c;
  c.tensors[2].ddr_addr = 0x2000;  // b on a's bytes, written at step 1 while step 1 reads a
  c.steps[1].code[1].dram_addr = 0x2000;
  c.steps[2].code[0].dram_addr = 0x2000;
  EXPECT_THAT(error_message([&] { c.check(); }),
              ::testing::HasSubstr("tensors 'a' and 'b' share DDR bytes [8192, 8448) but 'a' is "
                                   "used until step 1 's1' and 'b' from step 1 's1'"));
  // A model output lives until after the last step: z, written at step 3, may not take y's
  // bytes although no step reads y.
  Chain out;
  out.tensors.push_back(desc("z", isa::TensorRole::kInternal, 0x2000, 256));
  out.steps.push_back(
      step("s3", {dma(Opcode::LOAD, 0x3000, 256), dma(Opcode::STORE, 0x2000, 256)}, {"b"}, {"z"}));
  EXPECT_THAT(error_message([&] { out.check(); }),
              ::testing::HasSubstr("tensors 'y' and 'z' share DDR bytes [8192, 8448) but 'y' is "
                                   "used until after the last step (a model output) and 'z' from "
                                   "step 3 's3'"));
}

TEST(DdrCheck, RejectsAccessesOutsideTheStepsTensors) {
  Chain store;
  store.steps[1].code[1].dram_addr = 0x2080;  // b's STORE lands in a
  EXPECT_THAT(error_message([&] { store.check(); }),
              ::testing::HasSubstr("step 1 's1': instruction 1 (STORE) writes DDR bytes [8320, "
                                   "8576) outside every tensor the step writes ('b' [12288, "
                                   "12544))"));
  Chain load;
  load.steps[2].code[0].dram_addr = 0x1000;  // step 2 reads x, which it does not list
  EXPECT_THAT(error_message([&] { load.check(); }),
              ::testing::HasSubstr("(LOAD) reads DDR bytes [4096, 4352) outside every tensor the "
                                   "step reads or writes ('y' [8192, 8448), 'b' [12288, 12544)) "
                                   "and outside the constants [0, 2048)"));
  Chain weights;
  weights.steps[1].code.push_back(dma(Opcode::LOAD, 0x780, 256));  // crosses constants_end
  EXPECT_THAT(error_message([&] { weights.check(); }),
              ::testing::HasSubstr("reads DDR bytes [1920, 2176)"));
}

TEST(DdrCheck, RejectsAReadOfATensorNoStepWrote) {
  Chain c;
  c.steps[0].writes.clear();
  c.steps[0].code.pop_back();
  EXPECT_THAT(error_message([&] { c.check(); }),
              ::testing::HasSubstr("tensor 'a' is read at step 1 's1' but no earlier step writes "
                                   "it and it is not a model input"));
}

TEST(DdrCheck, RejectsAnOverwrittenTensorThatIsNotMarked) {
  Chain c;
  c.tensors[1].overwritten = false;
  EXPECT_THAT(error_message([&] { c.check(); }),
              ::testing::HasSubstr("TENSORS entry 'a' is not marked overwritten, but 'y' (first "
                                   "written at step 2 's2') reuses its DDR bytes [8192, 8448)"));
}

// ---- the checker on a compiled program

TEST(DdrCheck, RejectsABrokenReuseOfACompiledProgram) {
  const HwConfig hw;
  const compiler::CompileResult r = compiler::compile_graph(conv_chain(), hw);
  const compiler::Plan plan = compiler::make_plan(r.graph, hw);
  std::vector<ProgramStep> steps = compiler::program_steps(plan, r.program);
  ASSERT_EQ(steps.size(), 4u);
  const int64_t constants =
      static_cast<int64_t>(r.program.params.ddr_base + r.program.params.bytes.size());
  EXPECT_NO_THROW(compiler::check_ddr_lifetimes(r.program.tensors, steps, constants));
  // An allocator bug: c3's output (written by step 2, which reads c2's output) moved onto the
  // bytes of c2's output, its STOREs and LOADs with it (code and TENSORS agree).
  std::vector<isa::TensorDesc> tensors = r.program.tensors;
  auto entry = [&](const std::string& name) -> isa::TensorDesc& {
    for (isa::TensorDesc& t : tensors)
      if (t.name == name) return t;
    throw std::runtime_error(name);
  };
  isa::TensorDesc& c3 = entry("c3_out");
  const int64_t from = c3.ddr_addr, to = entry("c2_out").ddr_addr;
  for (ProgramStep* s : {&steps[2], &steps[3]})  // c3's writer and reader (c1 had its bytes)
    for (Operands& o : s->code)
      if ((o.opcode == static_cast<int64_t>(Opcode::LOAD) ||
           o.opcode == static_cast<int64_t>(Opcode::STORE)) &&
          o.dram_addr >= from && o.dram_addr < from + c3.bytes)
        o.dram_addr += to - from;
  c3.ddr_addr = to;
  EXPECT_THAT(error_message([&] { compiler::check_ddr_lifetimes(tensors, steps, constants); }),
              ::testing::AllOf(::testing::HasSubstr("tensors 'c2_out' and 'c3_out' share DDR"),
                               ::testing::HasSubstr("one overwrites the other while it is live")));
}

// Inside a BPU segment: a later layer's STORE over bytes an earlier layer's LOAD still reads
// must wait for it; without a token the schedule checker refuses the segment.
TEST(DdrCheck, RejectsAStoreOverBytesALoadMayStillRead) {
  Operands l0 = dma(Opcode::LOAD, 0x2000, 64);  // the last read of tensor a (FEATURE 0)
  Operands c0;                                  // the next layer's compute, not after l0
  c0.opcode = static_cast<int64_t>(Opcode::COPY);
  c0.src_buf = 0, c0.src_addr = 128, c0.dst_addr = 0, c0.n = 64, c0.push_next = 1;
  Operands s0 = dma(Opcode::STORE, 0x2000, 64);  // tensor b on a's bytes
  s0.pop_prev = 1;
  EXPECT_THAT(error_message([&] {
                compiler::check_schedule(std::vector<Operands>{l0, c0, s0}, HwConfig{});
              }),
              ::testing::HasSubstr("instruction 2 (STORE) writes DDR bytes [8192, 8256) that "
                                   "instruction 0 (LOAD) also accesses, and no token orders them"));
  // Ordered (the COPY waits for the LOAD, the STORE for the COPY): accepted.
  l0.push_next = 1;
  c0.pop_prev = 1;
  EXPECT_NO_THROW(compiler::check_schedule(std::vector<Operands>{l0, c0, s0}, HwConfig{}));
}

}  // namespace
}  // namespace bpusim
