#include "tools/report/cosim.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "isa/assembler.h"

namespace bpusim::report {
namespace {

std::string hex_byte(std::byte b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(b));
  return buf;
}

// How tensor `a` differs from `b` ("" when they are equal).
std::string tensor_difference(const Tensor& a, const Tensor& b,
                              const std::array<std::string, 2>& names) {
  if (a.dtype() != b.dtype())
    return cat("element type ", dtype_name(a.dtype()), " on ", names[0], ", ",
               dtype_name(b.dtype()), " on ", names[1]);
  if (a.shape() != b.shape())
    return cat("shape ", shape_str(a.shape()), " on ", names[0], ", ", shape_str(b.shape()), " on ",
               names[1]);
  const auto x = a.bytes(), y = b.bytes();
  int64_t first = -1, differ = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] != y[i]) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++differ;
    }
  if (first < 0) return "";
  return cat("byte ", first, " (element ", first / static_cast<int64_t>(dtype_size(a.dtype())),
             ") is ", hex_byte(x[first]), " on ", names[0], ", ", hex_byte(y[first]), " on ",
             names[1], "; ", differ, " of ", x.size(), " bytes differ");
}

bool same_timing(const runtime::InstrRecord& a, const runtime::InstrRecord& b) {
  return a.dispatch == b.dispatch && a.issue == b.issue && a.start == b.start && a.end == b.end;
}

// Instruction records in program order (CODE index, then dispatch for an index run twice).
std::vector<const runtime::InstrRecord*> in_program_order(const runtime::PerfCounters& c) {
  std::vector<const runtime::InstrRecord*> out;
  for (const runtime::InstrRecord& r : c.instrs) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const auto* x, const auto* y) {
    return std::pair(x->index, x->dispatch) < std::pair(y->index, y->dispatch);
  });
  return out;
}

void compare_outputs(const runtime::ProgramResult& a, const runtime::ProgramResult& b,
                     CosimComparison& c) {
  auto note = [&](std::string what) {
    if (c.outputs_equal) c.output_difference = std::move(what);
    c.outputs_equal = false;
  };
  for (const runtime::NamedTensor& x : a.outputs) {
    const auto y = std::find_if(b.outputs.begin(), b.outputs.end(),
                                [&](const runtime::NamedTensor& t) { return t.name == x.name; });
    if (y == b.outputs.end()) {
      note(cat("output '", x.name, "' only on ", c.backends[0]));
      continue;
    }
    ++c.outputs_compared;
    const std::string d = tensor_difference(x.tensor, y->tensor, c.backends);
    if (!d.empty()) note(cat("output '", x.name, "': ", d));
  }
  for (const runtime::NamedTensor& y : b.outputs)
    if (std::none_of(a.outputs.begin(), a.outputs.end(),
                     [&](const runtime::NamedTensor& t) { return t.name == y.name; }))
      note(cat("output '", y.name, "' only on ", c.backends[1]));
}

void compare_instrs(const runtime::ProgramResult& a, const runtime::ProgramResult& b,
                    CosimComparison& c) {
  const auto x = in_program_order(a.counters), y = in_program_order(b.counters);
  auto differ = [&](const runtime::InstrRecord* p, const runtime::InstrRecord* q) {
    if (c.first_difference) {
      ++c.further_differences;
      return;
    }
    const runtime::InstrRecord& any = p ? *p : *q;
    CosimInstrDifference d{any.index, any.op, any.queue, {}};
    if (p) d.records[0] = *p;
    if (q) d.records[1] = *q;
    c.first_difference = d;
  };
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i]->index < y[j]->index)) {
      differ(x[i++], nullptr);
    } else if (i == x.size() || y[j]->index < x[i]->index) {
      differ(nullptr, y[j++]);
    } else {
      ++c.instrs_compared;
      if (!same_timing(*x[i], *y[j])) differ(x[i], y[j]);
      ++i;
      ++j;
    }
  }
}

std::string count_text(int64_t n, const char* what) {
  return cat(n, " ", what, n == 1 ? "" : "s");
}

}  // namespace

bool CosimComparison::layers_equal() const {
  return std::all_of(layers.begin(), layers.end(), [](const CosimLayer& l) { return l.equal(); });
}

bool CosimComparison::faults_equal() const {
  if (!faults[0] || !faults[1]) return !faults[0] && !faults[1];
  return faults[0]->instr_index == faults[1]->instr_index;
}

bool CosimComparison::equal() const {
  return cycles_equal() && layers_equal() && outputs_equal && !first_difference && faults_equal();
}

CosimComparison compare_runs(const runtime::ProgramResult& a, const runtime::ProgramResult& b,
                             const std::array<std::string, 2>& backends) {
  CosimComparison c;
  c.backends = backends;
  c.cycles = {a.cycles, b.cycles};
  c.faults = {a.fault, b.fault};
  for (size_t i = 0; i < std::max(a.layers.size(), b.layers.size()); ++i) {
    const runtime::LayerCycles* x = i < a.layers.size() ? &a.layers[i] : nullptr;
    const runtime::LayerCycles* y = i < b.layers.size() ? &b.layers[i] : nullptr;
    if (x && y && x->name != y->name) {  // not the same layer: two rows
      c.layers.push_back({x->name, {x->cycles(), std::nullopt}});
      c.layers.push_back({y->name, {std::nullopt, y->cycles()}});
      continue;
    }
    CosimLayer l{x ? x->name : y->name, {}};
    if (x) l.cycles[0] = x->cycles();
    if (y) l.cycles[1] = y->cycles();
    c.layers.push_back(l);
  }
  compare_outputs(a, b, c);
  compare_instrs(a, b, c);
  return c;
}

std::string cosim_text(const CosimComparison& c, std::span<const isa::Instruction> code) {
  std::ostringstream out;
  size_t name_w = 12;
  for (const CosimLayer& l : c.layers) name_w = std::max(name_w, l.name.size());
  const int w = static_cast<int>(name_w);
  auto cell = [](const std::optional<int64_t>& v) { return v ? cat(*v) : std::string("-"); };
  auto row = [&](const std::string& name, const std::optional<int64_t>& x,
                 const std::optional<int64_t>& y) {
    out << std::left << std::setw(w) << name << std::right << std::setw(12) << cell(x)
        << std::setw(12) << cell(y) << std::setw(12) << (x && y ? cat(*y - *x) : std::string("-"))
        << "\n";
  };
  auto header = [&](const std::string& first) {
    out << std::left << std::setw(w) << first << std::right << std::setw(12) << c.backends[0]
        << std::setw(12) << c.backends[1] << std::setw(12) << "difference"
        << "\n";
  };
  header("");
  row("total cycles", c.cycles[0], c.cycles[1]);
  if (!c.layers.empty()) {
    out << "\n";
    header("layer");
    for (const CosimLayer& l : c.layers) row(l.name, l.cycles[0], l.cycles[1]);
  }
  out << "\noutputs equal: " << (c.outputs_equal ? "yes" : "no") << " ("
      << count_text(c.outputs_compared, "output") << " compared: element type, shape, bytes)";
  if (!c.outputs_equal) out << "; " << c.output_difference;
  out << "\ninstructions compared: " << c.instrs_compared << " (dispatch, issue, start, end): ";
  if (!c.first_difference) {
    out << "all equal\n";
  } else {
    const CosimInstrDifference& d = *c.first_difference;
    out << count_text(1 + c.further_differences, "instruction")
        << (c.further_differences ? " differ\n" : " differs\n");
    const std::string text = d.index >= 0 && d.index < static_cast<int64_t>(code.size())
                                 ? isa::disassemble(code[d.index])
                                 : std::string("(outside CODE)");
    out << "first difference: instruction " << d.index << " on "
        << runtime::engine_name(runtime::engine_of(d.queue)) << ": " << text << "\n";
    out << std::left << std::setw(12) << "" << std::right;
    for (const char* f : {"dispatch", "issue", "start", "end"}) out << std::setw(10) << f;
    out << "\n";
    for (int k = 0; k < 2; ++k) {
      out << std::left << std::setw(12) << c.backends[k] << std::right;
      if (const auto& r = d.records[k])
        out << std::setw(10) << r->dispatch << std::setw(10) << r->issue << std::setw(10)
            << r->start << std::setw(10) << r->end << "\n";
      else
        out << "  (no record: the instruction did not end)\n";
    }
    if (c.further_differences)
      out << "further instructions that differ (not compared in detail): " << c.further_differences
          << "\n";
  }
  for (int k = 0; k < 2; ++k)
    if (c.faults[k]) out << c.backends[k] << ": modeled fault: " << c.faults[k]->message() << "\n";
  if (c.faults[0] && c.faults[1] && c.faults_equal())
    out << "both backends fault at instruction " << c.faults[0]->instr_index << "\n";

  if (c.equal()) {
    out << "cosim: EQUAL\n";
    return out.str();
  }
  std::vector<std::string> what;
  if (!c.cycles_equal()) what.push_back("total cycles");
  if (!c.layers_equal()) {
    const auto n = std::count_if(c.layers.begin(), c.layers.end(),
                                 [](const CosimLayer& l) { return !l.equal(); });
    what.push_back(cat("cycles of ", count_text(n, "layer")));
  }
  if (!c.outputs_equal) what.push_back("outputs");
  if (c.first_difference)
    what.push_back(cat("timing of ", count_text(1 + c.further_differences, "instruction")));
  if (!c.faults_equal()) what.push_back("faults");
  out << "cosim: DIFFERENT (";
  for (size_t i = 0; i < what.size(); ++i) out << (i ? ", " : "") << what[i];
  out << ")\n";
  return out.str();
}

nlohmann::json cosim_json(const CosimComparison& c, std::span<const isa::Instruction> code) {
  using nlohmann::json;
  auto value = [](const std::optional<int64_t>& v) { return v ? json(*v) : json(); };
  auto pair = [&](const std::optional<int64_t>& x, const std::optional<int64_t>& y) {
    json j;
    j[c.backends[0]] = value(x);
    j[c.backends[1]] = value(y);
    j["difference"] = x && y ? json(*y - *x) : json();
    return j;
  };
  json j;
  j["backends"] = c.backends;
  j["equal"] = c.equal();
  j["cycles"] = pair(c.cycles[0], c.cycles[1]);
  j["layers"] = json::array();
  for (const CosimLayer& l : c.layers) {
    json row = pair(l.cycles[0], l.cycles[1]);
    row["name"] = l.name;
    j["layers"].push_back(row);
  }
  j["outputs_compared"] = c.outputs_compared;
  j["outputs_equal"] = c.outputs_equal;
  j["output_difference"] = c.outputs_equal ? json() : json(c.output_difference);
  j["instructions_compared"] = c.instrs_compared;
  j["first_difference"] = json();
  if (const auto& d = c.first_difference) {
    json f;
    f["index"] = d->index;
    f["opcode"] = std::string(isa::name(d->op));
    f["engine"] = runtime::engine_name(runtime::engine_of(d->queue));
    f["disassembly"] = d->index >= 0 && d->index < static_cast<int64_t>(code.size())
                           ? json(isa::disassemble(code[d->index]))
                           : json();
    for (int k = 0; k < 2; ++k) {
      const auto& r = d->records[k];
      f[c.backends[k]] = r ? json{{"dispatch", r->dispatch},
                                  {"issue", r->issue},
                                  {"start", r->start},
                                  {"end", r->end}}
                           : json();
    }
    j["first_difference"] = f;
  }
  j["further_differences"] = c.further_differences;
  j["faults"] = json::object();
  for (int k = 0; k < 2; ++k)
    j["faults"][c.backends[k]] = c.faults[k] ? c.faults[k]->to_json() : json();
  j["faults_equal"] = c.faults_equal();
  return j;
}

}  // namespace bpusim::report
