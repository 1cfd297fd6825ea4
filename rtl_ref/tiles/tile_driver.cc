#include "rtl_ref/tiles/tile_driver.h"

#include <algorithm>

#include "common/error.h"

namespace bpusim::tile {
namespace {

bool is_byte_type(DType t) {
  return t == DType::kU8 || t == DType::kI8;
}

void check_byte_operand(const char* what, DType type, int32_t zp) {
  require(is_byte_type(type), "mac tile: ", what, " type ", dtype_name(type),
          " is not uint8 or int8");
  require(zp >= ir::dtype_min(type) && zp <= ir::dtype_max(type), "mac tile: ", what,
          " zero point ", zp, " is outside the ", dtype_name(type), " range [", ir::dtype_min(type),
          ", ", ir::dtype_max(type), "]");
}

void check_ready(const char* what, const ReadyPattern& ready) {
  require(ready.empty() || std::any_of(ready.begin(), ready.end(), [](uint8_t r) { return r; }),
          what, ": output ready pattern of ", ready.size(), " cycles never asserts ready");
}

}  // namespace

void validate(const MacTile& t, const HwConfig& hw) {
  const int64_t rows = hw.mac_rows, cols = hw.mac_cols;
  require(static_cast<int64_t>(t.weights.size()) == rows * cols, "mac tile: ", t.weights.size(),
          " weight bytes, mac.rows x mac.cols = ", rows, " x ", cols, " needs ", rows * cols);
  require(!t.inputs.empty() && static_cast<int64_t>(t.inputs.size()) % cols == 0,
          "mac tile: ", t.inputs.size(),
          " input bytes is not a positive multiple of mac.cols = ", cols);
  const int64_t n = static_cast<int64_t>(t.inputs.size()) / cols;
  require(t.acc_in.empty() || static_cast<int64_t>(t.acc_in.size()) == n * rows,
          "mac tile: ", t.acc_in.size(), " accumulator inputs, expected ", n * rows, " or none");
  check_byte_operand("weight", t.w_type, t.w_zp);
  check_byte_operand("input", t.x_type, t.x_zp);
  check_ready("mac tile", t.out_ready);
}

void validate(const RequantTile& t, const HwConfig& hw) {
  const int64_t lanes = hw.mac_rows;
  require(static_cast<int64_t>(t.rq.channels.size()) == lanes,
          "requant tile: ", t.rq.channels.size(),
          " channel records, the requantizer has mac.rows = ", lanes, " lanes");
  require(!t.accs.empty() && static_cast<int64_t>(t.accs.size()) % lanes == 0,
          "requant tile: ", t.accs.size(), " accumulators is not a positive multiple of the ",
          lanes, " lanes");
  if (t.rq.has_add) {
    require(t.residual.size() == t.accs.size(), "requant tile: ", t.residual.size(),
            " residual bytes for ", t.accs.size(), " accumulators");
    require(is_byte_type(t.res_type), "requant tile: residual type ", dtype_name(t.res_type),
            " is not uint8 or int8");
  } else {
    require(t.residual.empty(), "requant tile: residual bytes without stage 2 (has_add)");
  }
  // The record's documented ranges have one home: ir::get_requant validates them.
  ir::Node node;
  node.name = "requant tile";
  node.op = ir::op::kQConv;
  ir::set_requant(node, t.rq);
  ir::get_requant(node, lanes, t.rq.has_add);
  check_ready("requant tile", t.out_ready);
}

std::vector<std::string> backend_names() {
  return {"golden", "rtl", "systemc", "systemc-rule"};
}

std::unique_ptr<TileBackend> make_backend(const std::string& name, const HwConfig& hw) {
  if (name == "golden") return make_golden_backend(hw);
  if (name == "rtl") return make_rtl_backend(hw);
  if (name == "systemc") return make_systemc_backend(hw);
  if (name == "systemc-rule") return make_systemc_rule_backend(hw);
  fail("tile driver: unknown backend '", name, "'");
}

}  // namespace bpusim::tile
