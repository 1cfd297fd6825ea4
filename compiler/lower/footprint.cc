#include "compiler/lower/footprint.h"

#include "common/error.h"

namespace bpusim::compiler {
namespace {

constexpr int64_t kRecord = 64;  // bytes per requantizer parameter record

// Element size of a REQUANT result: 4 bytes for int32 pass-through, else 1.
int64_t requant_out_bytes(const isa::Operands& o) {
  return o.out_type == 2 ? 4 : 1;
}

}  // namespace

namespace {

// What each Space is, in Space order: its name, and the HwConfig fields of its size and banks
// (PARAM and DDR have no bank count: one bank).
struct SpaceInfo {
  std::string_view name;
  int64_t HwConfig::*bytes;
  int64_t HwConfig::*banks;
};
constexpr SpaceInfo kSpaces[kNumSpaces] = {
    {"FEATURE", &HwConfig::feature_sram_bytes, &HwConfig::feature_sram_banks},
    {"WEIGHT", &HwConfig::weight_sram_bytes, &HwConfig::weight_sram_banks},
    {"ACC", &HwConfig::acc_sram_bytes, &HwConfig::acc_sram_banks},
    {"OUTPUT", &HwConfig::output_sram_bytes, &HwConfig::output_sram_banks},
    {"PARAM", &HwConfig::param_sram_bytes, nullptr},
    {"DDR", &HwConfig::ddr_size_bytes, nullptr},
};

const SpaceInfo& info(Space s) {
  return kSpaces[static_cast<size_t>(s)];
}

}  // namespace

std::string_view space_name(Space s) {
  return info(s).name;
}

int64_t space_bytes(Space s, const HwConfig& hw) {
  return hw.*info(s).bytes;
}

int64_t space_banks(Space s, const HwConfig& hw) {
  return info(s).banks ? hw.*info(s).banks : 1;
}

isa::Queue queue_of(const isa::Operands& op) {
  return isa::def(static_cast<isa::Opcode>(op.opcode)).queue;
}

std::vector<Access> footprint(const isa::Operands& o) {
  std::vector<Access> out;
  auto add = [&](Space s, int64_t addr, int64_t bytes, bool write) {
    if (bytes > 0) out.push_back({s, addr, addr + bytes, write});
  };
  auto buf = [](int64_t b) { return static_cast<Space>(b); };
  switch (static_cast<isa::Opcode>(o.opcode)) {
    case isa::Opcode::NOP:
    case isa::Opcode::FINISH:
      break;
    case isa::Opcode::LOAD:
    case isa::Opcode::STORE: {
      const bool load = o.opcode == static_cast<int64_t>(isa::Opcode::LOAD);
      const int64_t bytes = o.n0 * o.n1 * o.n2;
      if (bytes == 0) break;
      const int64_t span = (o.n2 - 1) * o.dram_stride2 + (o.n1 - 1) * o.dram_stride1 + o.n0;
      add(buf(o.buf), o.sram_addr, bytes, load);
      add(Space::kDdr, o.dram_addr, span, !load);
      break;
    }
    case isa::Opcode::CONV: {
      const int64_t w = o.depthwise ? o.in_c * o.k_h * o.k_w : o.out_c * o.k_h * o.k_w * o.in_c;
      const int64_t acc = o.out_h * o.out_w * o.out_c * 4;
      add(Space::kFeature, o.in_addr, o.in_h * o.in_w * o.in_c, false);
      add(Space::kWeight, o.wgt_addr, w, false);
      if (o.accumulate) add(Space::kAcc, o.acc_addr, acc, false);
      add(Space::kAcc, o.acc_addr, acc, true);
      break;
    }
    case isa::Opcode::REQUANT:
      add(Space::kAcc, o.acc_addr, o.n_pix * o.n_ch * 4, false);
      add(Space::kParam, o.prm_addr, o.n_ch * kRecord, false);
      if (o.has_res) add(Space::kFeature, o.res_addr, o.n_pix * o.n_ch, false);
      add(Space::kOutput, o.out_addr, o.n_pix * o.n_ch * requant_out_bytes(o), true);
      break;
    case isa::Opcode::VADD:
      add(Space::kFeature, o.a_addr, o.n, false);
      add(Space::kFeature, o.b_addr, o.n, false);
      add(Space::kParam, o.prm_addr, kRecord, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::VREQ:
      add(Space::kFeature, o.in_addr, o.n, false);
      add(Space::kParam, o.prm_addr, kRecord, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::VMUL:
      add(Space::kFeature, o.a_addr, o.n, false);
      add(Space::kFeature, o.b_addr, o.b_period > 0 ? o.b_period : o.n, false);
      add(Space::kParam, o.prm_addr, kRecord, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::VLUT:
      add(Space::kFeature, o.in_addr, o.n, false);
      add(Space::kParam, o.prm_addr, 4 * kRecord, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::VFADD:
      add(Space::kFeature, o.a_addr, o.n, false);
      add(Space::kFeature, o.b_addr, o.b_period > 0 ? o.b_period : o.n, false);
      add(Space::kParam, o.prm_addr, 2 * kRecord, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::VBLEND:
      add(Space::kFeature, o.in_addr, 4 * o.n, false);
      add(Space::kParam, o.prm_addr, ((8 + 8 * (o.c > 0 ? o.n / o.c : 0)) + 63) / 64 * 64, false);
      add(Space::kOutput, o.out_addr, o.n, true);
      break;
    case isa::Opcode::POOL:
      add(Space::kFeature, o.in_addr, o.in_h * o.in_w * o.c, false);
      if (o.kind != 0) add(Space::kParam, o.prm_addr, kRecord, false);
      add(Space::kOutput, o.out_addr, o.out_h * o.out_w * o.c, true);
      break;
    case isa::Opcode::ARGMAX:
      add(Space::kFeature, o.in_addr, o.n * o.c, false);
      add(Space::kOutput, o.out_addr, o.n * 4, true);
      break;
    case isa::Opcode::COPY:
      add(buf(o.src_buf), o.src_addr, o.n, false);
      add(Space::kOutput, o.dst_addr, o.n, true);
      break;
  }
  return out;
}

std::vector<DdrRun> ddr_runs(const isa::Operands& o) {
  std::vector<DdrRun> out;
  for (int64_t i2 = 0; i2 < o.n2; ++i2)
    for (int64_t i1 = 0; i1 < o.n1; ++i1)
      out.push_back({o.dram_addr + i2 * o.dram_stride2 + i1 * o.dram_stride1, o.n0});
  return out;
}

}  // namespace bpusim::compiler
