#include "runtime/runtime.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bpusim::runtime {

using nlohmann::json;

const Tensor& ProgramResult::output(const std::string& name) const {
  for (const auto& o : outputs)
    if (o.name == name) return o.tensor;
  fail("the program has no output '", name, "'");
}

void check_hw_hash(const isa::Program& p, const HwConfig& hw, const std::string& source) {
  if (p.hw_hash == hw.hash()) return;
  std::string diff;
  if (p.hwconfig.is_object()) {
    const json mine = hw.to_json();
    for (auto it = mine.begin(); it != mine.end(); ++it) {
      const json theirs = p.hwconfig.contains(it.key()) ? p.hwconfig[it.key()] : json();
      if (theirs != *it)
        diff += cat("\n  ", it.key(), ": program ", theirs.dump(), ", effective ", it->dump());
    }
  }
  fail(source, ": compiled for hardware config hash 0x", std::hex, p.hw_hash,
       " but the effective configuration hashes to 0x", hw.hash(), std::dec,
       "; run with the configuration it was compiled for (--hw / --set) or recompile",
       diff.empty() ? "" : "; differing keys:", diff);
}

namespace {

// Writes one user input into DDR with its descriptor (quantizing a float32 array when the
// descriptor is quantized).
void write_input(Ddr& ddr, const TensorDesc& d, const Tensor& t, const std::string& source) {
  require(t.shape() == d.shape, source, ": input '", d.name, "' has shape ", shape_str(t.shape()),
          ", the program expects ", shape_str(d.shape));
  if (t.dtype() == d.dtype) {
    write_tensor(ddr, d, t.reshaped(d.shape));
    return;
  }
  const bool integer = d.dtype == DType::kU8 || d.dtype == DType::kI8 || d.dtype == DType::kI32;
  require(t.dtype() == DType::kF32 && d.quantized() && integer, source, ": input '", d.name,
          "' is ", dtype_name(t.dtype()), ", the program expects ", dtype_name(d.dtype),
          d.quantized() ? " (or float32, quantized with its scale)" : "");
  Tensor q(d.dtype, d.shape);
  const auto x = t.values<float>();
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int32_t v = quantize_value(x[i], d.scale_of(i), d.zp_of(i), d.dtype);
    if (d.dtype == DType::kU8)
      q.values<uint8_t>()[i] = static_cast<uint8_t>(v);
    else if (d.dtype == DType::kI8)
      q.values<int8_t>()[i] = static_cast<int8_t>(v);
    else
      q.values<int32_t>()[i] = v;
  }
  write_tensor(ddr, d, q);
}

// A model output as the user sees it: quantized integers dequantized to float32, integers
// stored narrower than the graph's type (ArgMax indices) widened to it.
Tensor read_output(const Ddr& ddr, const TensorDesc& d) {
  const Tensor raw = read_tensor(ddr, d);
  if (d.quantized() && d.dtype != DType::kF32) {
    Tensor f(DType::kF32, d.shape);
    auto o = f.values<float>();
    for (int64_t i = 0; i < f.numel(); ++i)
      o[i] = dequantize_value(raw.as_int(i), d.scale_of(i), d.zp_of(i));
    return f;
  }
  if (d.ir_dtype == DType::kI64 && d.dtype != DType::kI64) {
    Tensor w(DType::kI64, d.shape);
    auto o = w.values<int64_t>();
    for (int64_t i = 0; i < w.numel(); ++i) o[i] = raw.as_int(i);
    return w;
  }
  return raw;
}

std::vector<LayerCycles> layer_cycles(const std::vector<isa::Layer>& layers,
                                      const PerfCounters& c) {
  std::vector<LayerCycles> out;
  for (const isa::Layer& l : layers) {
    LayerCycles lc;
    lc.name = l.name;
    lc.op = l.op;
    lc.macs = l.macs;
    lc.first = l.code.first;
    lc.end = l.code.end;
    bool any = false;
    for (const auto& r : c.instrs) {
      if (r.index < lc.first || r.index >= lc.end) continue;
      lc.start_cycle = any ? std::min(lc.start_cycle, r.start) : r.start;
      lc.end_cycle = any ? std::max(lc.end_cycle, r.end) : r.end;
      any = true;
      if (r.queue == isa::Queue::kCompute) lc.compute_busy += r.end - r.start;
    }
    out.push_back(lc);
  }
  return out;
}

}  // namespace

ProgramResult run_program(const isa::Program& p, const std::map<std::string, Tensor>& inputs,
                          const RunOptions& o, Backend& backend) {
  if (o.check_hash) check_hw_hash(p, o.hw, o.source);
  isa::check_program(p, o.source);
  const std::vector<TensorDesc>& tensors = p.tensors;
  for (const auto& input : inputs) {
    const std::string& name = input.first;
    const bool known = std::any_of(tensors.begin(), tensors.end(), [&](const TensorDesc& d) {
      return d.name == name && d.role == isa::TensorRole::kInput;
    });
    require(known, o.source, ": the program has no input '", name, "'");
  }

  backend.configure(o.hw);
  Ddr& ddr = backend.ddr();
  ddr.write(p.weights.ddr_base, p.weights.bytes, o.source + ": WEIGHTS");
  ddr.write(p.params.ddr_base, p.params.bytes, o.source + ": PARAMS");
  for (const TensorDesc& d : tensors) {
    if (d.role != isa::TensorRole::kInput) continue;
    const auto it = inputs.find(d.name);
    require(it != inputs.end(), o.source, ": input '", d.name, "' was not given");
    write_input(ddr, d, it->second, o.source);
  }

  std::vector<isa::Segment> segments = p.segments;
  if (segments.empty() && !p.code.empty())
    segments.push_back({isa::SegmentKind::kBpu, {0, static_cast<int64_t>(p.code.size())}, {}, {}});

  if (!o.waveform_path.empty()) backend.open_waveform(o.waveform_path);
  struct CloseWaveform {  // also when a host op throws
    Backend& backend;
    ~CloseWaveform() { backend.close_waveform(); }
  } close_waveform{backend};
  ProgramResult result;
  HostExecutor host(ddr, tensors);
  for (size_t i = 0; i < segments.size() && !result.fault; ++i) {
    const isa::Segment& s = segments[i];
    if (s.kind == isa::SegmentKind::kHost) {
      host.run(s.ops, cat(o.source, ": SEGMENTS[", i, "] (host)"));
      continue;
    }
    SegmentResult r = backend.run(p.code, s.code.first, s.code.end);
    result.counters.append(r.counters, result.cycles);
    if (r.fault) {
      r.fault->cycle += result.cycles;
      result.fault = r.fault;
    }
    result.cycles += r.cycles;
  }
  result.counters.cycles = result.cycles;
  result.layers = layer_cycles(p.layers, result.counters);
  if (!result.fault)
    for (const TensorDesc& d : tensors)
      if (d.role == isa::TensorRole::kOutput)
        result.outputs.push_back({d.name, read_output(ddr, d)});
  if (o.keep_tensors)
    for (const TensorDesc& d : tensors)
      if (d.role != isa::TensorRole::kConstant && !d.overwritten)
        result.tensors.push_back({d.name, read_tensor(ddr, d)});
  return result;
}

}  // namespace bpusim::runtime
