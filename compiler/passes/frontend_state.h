// What the front-end passes (compiler/passes/frontend.h) share while they rewrite one graph.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bpusim::compiler {

struct FrontendState {
  std::string source;  // the model file, for messages
  // QClamp nodes recognised from an ONNX Clip (PyTorch hardtanh/relu6/clamp): refused when
  // PyTorch held their input channels-last (docs/pytorch-recipes.md 2.9).
  std::set<std::string> clip_clamps;
  // Quantized canonical nodes that were already in the graph before the front end ran (a
  // graph built directly in canonical ops): their requantizer (mode included) and their
  // semantics (e.g. QAdd's broadcasting) were chosen by whoever built the graph and are kept.
  std::set<std::string> preexisting;
  // The quantization of each QAdd the front end made from Add(DQ a, DQ b) -> Q: a broadcasting
  // one becomes QAddBroadcast (ATen's float recipe) once the shapes are known.
  struct AddQuant {
    float a_scale = 0, b_scale = 0, y_scale = 0;
    int32_t a_zp = 0, b_zp = 0, y_zp = 0;
    bool relu = false;
  };
  std::map<std::string, AddQuant> add_quant;
  // Nodes whose uint8-labelled output (zero point 0) of int8 inputs was taken as int8: torch
  // 1.13's exporter labels every qint8 op output uint8 (docs/pytorch-recipes.md 4).
  std::vector<std::string> int8_relabelled;
  // Human-readable notes: ops left unfused (and why), float regions placed on the host.
  std::vector<std::string> not_fused;
  std::vector<std::string> host_regions;
};

}  // namespace bpusim::compiler
