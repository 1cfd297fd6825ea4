#include "rtl_ref/core_backend.h"

#include <verilated.h>
#include <verilated_fst_c.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "common/error.h"
#include "isa/assembler.h"
#include "isa/param_record.h"
#include "rtl_core_variants.h"

namespace bpusim::rtl {

using runtime::Engine;
using runtime::Fault;
using runtime::InstrRecord;
using runtime::SegmentResult;
using runtime::Stall;
using runtime::UnitId;

namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

const char* const kEngineNames[] = {"load", "compute", "store", "fetch"};
const char* const kBufNames[] = {"FEATURE", "WEIGHT", "ACC", "OUTPUT", "PARAM", "DDR"};

// The operand behind access k of an opcode, in the order rtl_ref/core/bpu_pkg.sv's
// decode_accesses lists them, and the buffer it addresses.
struct AccessName {
  const char* operand;
  int buf;  // -1: the instruction's `buf` field, -2: its `src_buf` field
  bool write;
};
AccessName access_name(isa::Opcode op, int k) {
  using isa::Opcode;
  static const std::map<Opcode, std::vector<AccessName>> kNames{
      {Opcode::LOAD, {{"sram_addr", -1, true}, {"dram_addr", 5, false}}},
      {Opcode::STORE, {{"sram_addr", -1, false}, {"dram_addr", 5, true}}},
      {Opcode::CONV, {{"in_addr", 0, false}, {"wgt_addr", 1, false}, {"acc_addr", 2, true}}},
      {Opcode::REQUANT,
       {{"acc_addr", 2, false},
        {"prm_addr", 4, false},
        {"out_addr", 3, true},
        {"res_addr", 0, false}}},
      {Opcode::VADD,
       {{"a_addr", 0, false}, {"b_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::VREQ, {{"in_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::POOL, {{"in_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::ARGMAX, {{"in_addr", 0, false}, {"out_addr", 3, true}}},
      {Opcode::COPY, {{"src_addr", -2, false}, {"dst_addr", 3, true}}},
      {Opcode::VLUT, {{"in_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::VMUL,
       {{"a_addr", 0, false}, {"b_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::VBLEND, {{"in_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
      {Opcode::VFADD,
       {{"a_addr", 0, false}, {"b_addr", 0, false}, {"out_addr", 3, true}, {"prm_addr", 4, false}}},
  };
  const auto it = kNames.find(op);
  if (it == kNames.end() || k >= static_cast<int>(it->second.size()))
    return {"an operand", 5, false};
  return it->second[static_cast<size_t>(k)];
}

std::string operand_rule(int rule, const isa::Operands& f) {
  const auto range = [](int64_t zp, int64_t is_signed, const char* name) {
    return cat(name, "=", zp, " is outside the ", is_signed ? "int8" : "uint8", " range");
  };
  switch (rule) {
    case 0:
      return cat("kernel k_h=", f.k_h, " k_w=", f.k_w, " must be >= 1");
    case 1:
      return cat("stride_h=", f.stride_h, " stride_w=", f.stride_w, " must be >= 1");
    case 2:
      return cat("dil_h=", f.dil_h, " dil_w=", f.dil_w, " must be >= 1");
    case 3:
      return cat("depthwise needs in_c == out_c, got in_c=", f.in_c, " out_c=", f.out_c);
    case 4:
      return range(f.in_zp, f.in_signed, "in_zp");
    case 5:
      return range(f.wgt_zp, f.wgt_signed, "wgt_zp");
    case 6:
      return "has_res=1 needs an 8-bit out_type (int32 pass-through has no stage 2)";
    case 7:
      return cat("POOL needs k_h, k_w, stride_h, stride_w >= 1, got ", f.k_h, ", ", f.k_w, ", ",
                 f.stride_h, ", ", f.stride_w);
    case 8:
      return "ARGMAX needs c >= 1";
    case 9:
      return range(f.a_zp, f.a_signed, "a_zp");
    case 10:
      return range(f.b_zp, f.b_signed, "b_zp");
    case 11:
      return cat("VBLEND needs c >= 1 dividing n and n_vec <= c, got n=", f.n, " c=", f.c,
                 " n_vec=", f.n_vec);
    case 12:
      return "VFADD with contraction=fma needs group >= 1";
    default:
      return "the opcode is not in the instruction set";
  }
}

// The reason of a fault the core reported (fault_code: kind << 4 | rule or access).
std::string fault_reason(const isa::Instruction& inst, int code, int64_t detail, uint64_t addr,
                         uint64_t bytes, CoreMemory& memory, const HwConfig& hw) {
  const int kind = code >> 4, low = code & 0xf;
  const isa::Operands f = isa::operands(inst);
  if (kind == 1 || kind == 2) {
    const AccessName a = access_name(inst.opcode(), low);
    const int buf = a.buf == -1   ? static_cast<int>(f.buf)
                    : a.buf == -2 ? static_cast<int>(f.src_buf)
                                  : a.buf;
    const std::array<int64_t, 6> sizes{hw.feature_sram_bytes, hw.weight_sram_bytes,
                                       hw.acc_sram_bytes,     hw.output_sram_bytes,
                                       hw.param_sram_bytes,   hw.ddr_size_bytes};
    const std::string what = cat(kBufNames[buf], a.write ? " write" : " read");
    if (kind == 1)
      return cat(a.operand, ": misaligned ", what, " at 0x", std::hex, addr, std::dec, " of ",
                 bytes, " bytes (ACC needs 4-byte, PARAM 64-byte alignment)");
    return cat(a.operand, ": ", what, " [0x", std::hex, addr, ", 0x", addr + bytes,
               ") is out of range (size 0x", sizes[static_cast<size_t>(buf)], std::dec, ")");
  }
  if (kind == 3) return operand_rule(low, f);
  if (kind == 4) {
    const int64_t at = f.prm_addr + detail * 64;
    isa::ParamRecord r{};
    std::array<uint8_t, isa::kParamRecordBytes> bytes{};
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = memory.read8(4, at + static_cast<int64_t>(i));
    memory.clear_error();
    r = isa::unpack_param_record(bytes);
    const std::string where = cat("PARAM record ", detail, " at 0x", std::hex, at, std::dec);
    switch (low) {
      case 0:
        return cat(where, ": shift = ", r.shift, " is out of range [0, 62]");
      case 1:
        return cat(where, ": add_shift = ", r.add_shift, " is out of range [0, 31]");
      case 2:
        return cat(where, ": route = ", r.route, " is out of range [0, 3]");
      default:
        return cat(where, ": route = ", r.route, " (a float route) needs mode=fp32");
    }
  }
  return cat("fault code ", code);
}

Fault make_fault(const isa::Instruction* inst, int64_t index, int engine, std::string reason,
                 int64_t cycle) {
  Fault f;
  f.instr_index = index;
  if (inst != nullptr) {
    f.opcode = std::string(isa::name(inst->opcode()));
    const std::string text = isa::disassemble(*inst);
    const size_t space = text.find(' ');
    f.fields = space == std::string::npos ? "" : text.substr(space + 1);
  }
  f.unit = kEngineNames[engine];
  f.reason = std::move(reason);
  f.cycle = cycle;
  return f;
}

// Drives one verilated variant V through a segment and counts what happens.
template <class V>
class CoreModelOf : public CoreModel {
 public:
  SegmentResult run(const HwConfig& hw, CoreMemory& memory, std::span<const isa::Instruction> code,
                    int64_t first, int64_t end, const std::string& fst_path) override {
    VerilatedContext context;
    context.traceEverOn(!fst_path.empty());
    V core(&context);
    std::unique_ptr<VerilatedFstC> fst;
    if (!fst_path.empty()) {
      fst = std::make_unique<VerilatedFstC>();
      core.trace(fst.get(), 99);
      fst->open(fst_path.c_str());
      require(fst->isOpen(), fst_path, ": cannot write the waveform");
    }
    uint64_t time = 0;
    const auto step = [&](int clk) {
      core.clk = clk;
      core.eval();
      if (fst)
        fst->dump(time *
                  500);  // half a cycle is 500 ps: one cycle reads as 1 ns, as in the SystemC VCD
      ++time;
    };
    memory.load_code(code, first, end);
    CoreMemory::current() = &memory;
    apply_config(core, hw, first, end);
    core.rst = 1;
    step(0);
    step(1);
    core.rst = 0;
    step(0);

    SegmentResult result;
    runtime::PerfCounters& pc = result.counters;
    std::map<int64_t, InstrRecord> live;  // by CODE index, dispatched and not ended
    std::array<int64_t, 3> free_since{0, 0, 0};
    std::array<uint32_t, 3> depth{0, 0, 0};
    int64_t ddr_busy = 0;
    const auto record = [&](int64_t index) -> InstrRecord& {
      InstrRecord& r = live[index];
      r.index = index;
      r.op = code[static_cast<size_t>(index)].opcode();
      r.queue = code[static_cast<size_t>(index)].def().queue;
      return r;
    };
    for (int64_t c = 0;; ++c) {
      check_invariant(memory.error().empty(), "the RTL core: ", memory.error());
      if (core.fault) {
        const int64_t index = core.fault_index;
        const bool known = index >= first && index < end;
        const isa::Instruction* inst = known ? &code[static_cast<size_t>(index)] : nullptr;
        const std::string reason = inst
                                       ? fault_reason(*inst, core.fault_code, core.fault_detail,
                                                      core.fault_addr, core.fault_bytes, memory, hw)
                                       : cat("fetch read opcode ", core.fault_detail,
                                             ", which is not in the instruction set");
        result.fault = make_fault(inst, index, core.fault_engine, reason, c - 1);
        result.cycles = c - 1;
        break;
      }
      // ---- the events of cycle c ----
      if (core.ev_dispatch) record(core.ev_dispatch_index).dispatch = c + 1;
      if (core.ev_fetch_stall)
        ++pc.stalls[static_cast<int>(Engine::kFetch)][static_cast<int>(Stall::kQueueFull)];
      const std::array<int64_t, 3> index{core.ev_index_load, core.ev_index_compute,
                                         core.ev_index_store};
      const std::array<uint32_t, 3> count{core.q_count_load, core.q_count_compute,
                                          core.q_count_store};
      for (int e = 0; e < 3; ++e) {
        if (count[e] != depth[e]) {
          pc.queue_log.push_back({c, static_cast<Engine>(e), count[e]});
          depth[e] = count[e];
        }
        const uint8_t bit = static_cast<uint8_t>(1u << e);
        if (core.ev_issue & bit) {
          InstrRecord& r = record(index[e]);
          r.issue = c;
          r.stall[static_cast<int>(Stall::kQueueEmpty)] = c - free_since[e];
        }
        if (core.ev_wait_token & bit) ++record(index[e]).stall[static_cast<int>(Stall::kTokenWait)];
        if (core.ev_wait_bank & bit)
          ++record(index[e]).stall[static_cast<int>(Stall::kBankConflict)];
        if (core.ev_start & bit) started(record(index[e]), c, e, code, core, hw);
        if (core.ev_end & bit) {
          InstrRecord r = record(index[e]);
          live.erase(index[e]);
          r.end = c + 1;
          free_since[e] = c + 1;
          ended(r, e, pc, hw);
        }
      }
      if (core.ev_ddr_transfers != 0) ++ddr_busy;
      if (core.done) {
        result.cycles = c;
        break;
      }
      if (core.stuck) {
        result.fault = deadlock(core, code, first, end, c, hw.token_depth);
        result.cycles = c;
        break;
      }
      step(1);
      step(0);
    }
    CoreMemory::current() = nullptr;
    if (fst) fst->close();
    pc.cycles = result.cycles;
    pc.unit_busy[static_cast<int>(UnitId::kDdr)] = ddr_busy;
    if (result.fault) result.fault->cycle = result.cycles;
    return result;
  }

 private:
  static void apply_config(V& core, const HwConfig& hw, int64_t first, int64_t end) {
    core.n_instr = static_cast<uint32_t>(end - first);
    core.first_index = static_cast<uint32_t>(first);
    core.cfg_sram_bytes_feature = static_cast<uint64_t>(hw.feature_sram_bytes);
    core.cfg_sram_bytes_weight = static_cast<uint64_t>(hw.weight_sram_bytes);
    core.cfg_sram_bytes_acc = static_cast<uint64_t>(hw.acc_sram_bytes);
    core.cfg_sram_bytes_output = static_cast<uint64_t>(hw.output_sram_bytes);
    core.cfg_sram_bytes_param = static_cast<uint64_t>(hw.param_sram_bytes);
    core.cfg_banks_feature = static_cast<uint16_t>(hw.feature_sram_banks);
    core.cfg_banks_weight = static_cast<uint16_t>(hw.weight_sram_banks);
    core.cfg_banks_acc = static_cast<uint16_t>(hw.acc_sram_banks);
    core.cfg_banks_output = static_cast<uint16_t>(hw.output_sram_banks);
    core.cfg_ports = static_cast<uint8_t>(hw.sram_ports);
    core.cfg_ddr_bytes = static_cast<uint64_t>(hw.ddr_size_bytes);
    core.cfg_ddr_bytes_per_cycle = static_cast<uint32_t>(hw.ddr_bytes_per_cycle);
    core.cfg_ddr_latency = static_cast<uint32_t>(hw.ddr_latency_cycles);
    core.cfg_ddr_burst = static_cast<uint32_t>(hw.ddr_burst_bytes);
    core.cfg_queue_depth = static_cast<uint32_t>(hw.queue_depth);
    core.cfg_token_depth = static_cast<uint32_t>(hw.token_depth);
    core.cfg_pool_fixed = hw.requant_mode == RequantMode::kFixed;
  }

  void started(InstrRecord& r, int64_t c, int e, std::span<const isa::Instruction> code,
               const V& core, const HwConfig& hw) {
    r.start = c;
    const isa::Operands f = isa::operands(code[static_cast<size_t>(r.index)]);
    if (e == 1 && core.ev_conflict)  // rule 9: the extra beats count as bank conflict
      r.stall[static_cast<int>(Stall::kBankConflict)] += ceil_div(f.n, hw.vector_lanes);
    if (r.op == isa::Opcode::CONV)
      r.macs = f.out_h * f.out_w * f.out_c * f.k_h * f.k_w * (f.depthwise ? 1 : f.in_c);
    if (e != 1) {
      const int64_t bus = static_cast<int64_t>(e == 0 ? core.ev_bus_load : core.ev_bus_store);
      r.ddr_bytes = f.n0 * f.n1 * f.n2;
      bus_bytes_[r.index] = bus;
    }
  }

  void ended(InstrRecord& r, int e, runtime::PerfCounters& pc, const HwConfig& hw) {
    const int64_t busy = r.end - r.start;
    if (e != 1) {
      const int64_t bus = bus_bytes_[r.index];
      bus_bytes_.erase(r.index);
      if (bus > 0) {
        const int64_t alone = hw.ddr_latency_cycles + ceil_div(bus, hw.ddr_bytes_per_cycle);
        r.stall[static_cast<int>(Stall::kDdrBandwidth)] = std::max<int64_t>(0, busy - alone);
        pc.ddr_bus_bytes += bus;
        (e == 2 ? pc.ddr_write_bytes : pc.ddr_read_bytes) += r.ddr_bytes;
        pc.ddr_log.push_back({r.end, pc.ddr_read_bytes, pc.ddr_write_bytes});
      }
    } else {
      using isa::Opcode;
      const UnitId unit = r.op == Opcode::CONV                              ? UnitId::kMac
                          : r.op == Opcode::REQUANT                         ? UnitId::kRequant
                          : (r.op == Opcode::NOP || r.op == Opcode::FINISH) ? UnitId::kControl
                                                                            : UnitId::kVector;
      pc.unit_busy[static_cast<int>(unit)] += busy;
    }
    for (int s = 0; s < runtime::kNumStalls; ++s) pc.stalls[e][s] += r.stall[s];
    pc.engine_busy[e] += busy;
    pc.engine_busy[static_cast<int>(Engine::kFetch)] += 1;  // its fetch cycle
    pc.macs += r.macs;
    pc.instrs.push_back(r);
  }

  static Fault deadlock(const V& core, std::span<const isa::Instruction> code, int64_t first,
                        int64_t end, int64_t c, int64_t token_depth) {
    const std::array<int64_t, 3> index{core.ev_index_load, core.ev_index_compute,
                                       core.ev_index_store};
    // The token FIFOs of each engine: {popped from previous, popped from next, pushed to
    // previous, pushed to next} (nullptr where the queue has no neighbour).
    struct Fifo {
      const char* name;
      uint32_t count;
    };
    const Fifo l2c{"l2c", core.tokens_l2c}, c2l{"c2l", core.tokens_c2l},
        c2s{"c2s", core.tokens_c2s}, s2c{"s2c", core.tokens_s2c};
    const std::array<std::array<const Fifo*, 4>, 3> fifos{
        {{nullptr, &c2l, nullptr, &l2c}, {&l2c, &s2c, &c2l, &c2s}, {&c2s, nullptr, &s2c, nullptr}}};
    for (int e = 0; e < 3; ++e) {
      const uint8_t bit = static_cast<uint8_t>(1u << e);
      if (!((core.ev_wait_token | core.ev_wait_bank) & bit)) continue;
      const bool known = index[e] >= first && index[e] < end;
      std::string what = "an SRAM bank port";
      if ((core.ev_wait_token & bit) && known) {
        const isa::Operands f = isa::operands(code[static_cast<size_t>(index[e])]);
        const std::array<int64_t, 4> flags{f.pop_prev, f.pop_next, f.push_prev, f.push_next};
        for (int k = 0; k < 4; ++k) {
          const Fifo* fifo = fifos[static_cast<size_t>(e)][static_cast<size_t>(k)];
          if (!flags[static_cast<size_t>(k)] || fifo == nullptr) continue;
          if (k < 2 && fifo->count == 0) what = cat("a token on ", fifo->name);
          if (k >= 2 && fifo->count >= token_depth) what = cat("room on ", fifo->name);
          if (k < 2 && fifo->count == 0) break;
        }
      }
      return make_fault(known ? &code[static_cast<size_t>(index[e])] : nullptr, index[e], e,
                        cat("deadlock: the ", kEngineNames[e], " engine waits for ", what,
                            " that no instruction will provide"),
                        c);
    }
    return make_fault(nullptr, -1, 3, "deadlock: the controller cannot dispatch into a full queue",
                      c);
  }

  std::map<int64_t, int64_t> bus_bytes_;
};

}  // namespace

const std::vector<CoreVariant>& core_variants() {
  static const std::vector<CoreVariant> variants{
#define X(cls, name, rows, cols, depth, vlanes) CoreVariant{name, rows, cols, depth, vlanes},
      BPUSIM_RTL_CORE_VARIANTS(X)
#undef X
  };
  return variants;
}

std::vector<std::string> core_config_names() {
  std::vector<std::string> names;
  for (const CoreVariant& v : core_variants()) names.push_back(v.name);
  return names;
}

bool core_variants_are_subset() {
  return BPUSIM_RTL_CORE_SUBSET != 0;
}

void RtlBackend::configure(const HwConfig& hw) {
  model_.reset();
#define X(cls, name, rows, cols, depth, vlanes)                        \
  if (!model_ && hw.mac_rows == rows && hw.mac_cols == cols &&         \
      hw.requant_pipeline_depth == depth && hw.vector_lanes == vlanes) \
    model_ = std::make_unique<CoreModelOf<cls>>();
  BPUSIM_RTL_CORE_VARIANTS(X)
#undef X
  if (!model_) {
    std::string built;
    for (const CoreVariant& v : core_variants())
      built += cat("\n  ", v.name, ": mac.rows=", v.rows, " mac.cols=", v.cols,
                   " requant.pipeline_depth=", v.depth, " vector.lanes=", v.vlanes);
    fail("the RTL backend has no core built for mac.rows=", hw.mac_rows, " mac.cols=", hw.mac_cols,
         " requant.pipeline_depth=", hw.requant_pipeline_depth, " vector.lanes=", hw.vector_lanes,
         "; the cores this build verilated are:", built,
         "\n  (to add one, put its hardware configuration in rtl_ref/configs/NAME.json and rebuild;"
         " every other key is a run-time input of the core)");
  }
  hw_ = hw;
  ddr_.reset(hw.ddr_size_bytes);
  memory_.configure(hw, &ddr_);
}

runtime::SegmentResult RtlBackend::run(std::span<const isa::Instruction> code, int64_t first,
                                       int64_t end) {
  require(model_ != nullptr, "the RTL backend runs a segment before configure()");
  require(first >= 0 && first <= end && end <= static_cast<int64_t>(code.size()), "BPU segment [",
          first, ", ", end, ") is outside CODE (", code.size(), " instructions)");
  std::string fst;
  if (!waveform_.empty()) {
    fst = cat(fst_, segment_ == 0 ? "" : cat(".segment", segment_), ".fst");
    segment_files_.push_back(fst);
    ++segment_;
  }
  return model_->run(hw_, memory_, code, first, end, fst);
}

void RtlBackend::open_waveform(const std::string& path) {
  close_waveform();
  waveform_ = path;
  const std::filesystem::path p(path);
  fst_ = p.extension() == ".fst" || p.extension() == ".vcd" ? (p.parent_path() / p.stem()).string()
                                                            : path;
  segment_ = 0;
  segment_files_.clear();
}

void RtlBackend::close_waveform() {
  if (waveform_.empty()) return;
  const bool vcd = std::filesystem::path(waveform_).extension() == ".vcd";
  for (size_t i = 0; i < segment_files_.size(); ++i) {
    if (!vcd) continue;
    const std::string out = i == 0 ? waveform_ : cat(fst_, ".segment", i, ".vcd");
    const std::string cmd = cat("fst2vcd '", segment_files_[i], "' > '", out, "' 2>/dev/null");
    require(std::system(cmd.c_str()) == 0, waveform_,
            ": converting the core's FST waveform to VCD needs fst2vcd (GTKWave); use a .fst path");
    std::filesystem::remove(segment_files_[i]);
  }
  waveform_.clear();
  segment_files_.clear();
}

RtlBackend::~RtlBackend() {
  try {
    close_waveform();
  } catch (...) {  // a destructor must not throw; the waveform stays as FST
  }
}

}  // namespace bpusim::rtl
