#include "tools/report/svg.h"

#include "common/error.h"
#include "tools/report/html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace bpusim::report {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* cycle_class_color(CycleClass c) {
  static const char* const kColors[] = {"#4e79a7", "#f28e2b", "#59a14f",
                                        "#b07aa1", "#76b7b2", "#d9d9d9"};
  return kColors[static_cast<int>(c)];
}

namespace {

// Fixed-point text for coordinates (one decimal) and numbers in labels.
std::string num(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A value on a log axis as text: 0.01, 0.1, 1, 10, 100, 1k, 10k, ...
std::string decade_label(int e) {
  if (e < 0) return num(std::pow(10.0, e), -e);
  if (e < 3) return std::to_string(static_cast<int64_t>(std::pow(10.0, e)));
  if (e < 6) return std::to_string(static_cast<int64_t>(std::pow(10.0, e - 3))) + "k";
  return std::to_string(static_cast<int64_t>(std::pow(10.0, e - 6))) + "M";
}

std::string percent(double part, double whole) {
  return whole > 0 ? num(100.0 * part / whole) + "%" : "0%";
}

// A tick step of 1, 2 or 5 times a power of ten giving at most `max_ticks` ticks over `span`.
int64_t tick_step(int64_t span, int max_ticks) {
  int64_t step = 1;
  while (true) {
    for (int64_t m : {1, 2, 5})
      if (span / (step * m) <= max_ticks) return step * m;
    step *= 10;
  }
}

std::string svg_open(int width, int height, const char* cls, const std::string& label) {
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" << cls << "\" width=\"" << width
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" role=\"img\" aria-label=\"" << xml_escape(label) << "\">\n";
  return s.str();
}

}  // namespace

std::string roofline_svg(const Profile& p) {
  const int width = 680, height = 420, left = 70, right = 30, top = 20, bottom = 56;
  const double peak = static_cast<double>(p.peak_macs_per_cycle());
  const double bw = static_cast<double>(p.hw.ddr_bytes_per_cycle);
  const double ridge = peak / bw;
  std::vector<size_t> placed, unplaced;
  for (size_t i = 0; i < p.layers.size(); ++i)
    (p.layers[i].macs > 0 && p.layers[i].ddr_bytes() > 0 && p.layers[i].cycles() > 0 ? placed
                                                                                     : unplaced)
        .push_back(i);
  double x_lo = ridge, x_hi = ridge, y_lo = peak;
  for (size_t i : placed) {
    x_lo = std::min(x_lo, p.layers[i].arithmetic_intensity());
    x_hi = std::max(x_hi, p.layers[i].arithmetic_intensity());
    y_lo = std::min(y_lo, p.layers[i].macs_per_cycle());
  }
  // Whole decades with at least a factor of 2 of room around every point and the ridge.
  const int ex0 = static_cast<int>(std::floor(std::log10(x_lo / 2)));
  const int ex1 = static_cast<int>(std::ceil(std::log10(x_hi * 2)));
  const int ey0 = static_cast<int>(std::floor(std::log10(y_lo / 2)));
  const int ey1 = static_cast<int>(std::ceil(std::log10(peak * 2)));
  const double pw = width - left - right, ph = height - top - bottom;
  auto x_of = [&](double v) { return left + pw * (std::log10(v) - ex0) / (ex1 - ex0); };
  auto y_of = [&](double v) { return top + ph * (1.0 - (std::log10(v) - ey0) / (ey1 - ey0)); };

  std::ostringstream s;
  s << svg_open(width, height, "roofline", "roofline of the layers");
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" class=\"plot\"/>\n";
  for (int e = ex0; e <= ex1; ++e) {
    const double x = x_of(std::pow(10.0, e));
    s << "<line class=\"grid\" x1=\"" << num(x) << "\" y1=\"" << top << "\" x2=\"" << num(x)
      << "\" y2=\"" << top + ph << "\"/><text class=\"tick\" x=\"" << num(x) << "\" y=\""
      << top + ph + 16 << "\" text-anchor=\"middle\">" << decade_label(e) << "</text>\n";
  }
  for (int e = ey0; e <= ey1; ++e) {
    const double y = y_of(std::pow(10.0, e));
    s << "<line class=\"grid\" x1=\"" << left << "\" y1=\"" << num(y) << "\" x2=\"" << left + pw
      << "\" y2=\"" << num(y) << "\"/><text class=\"tick\" x=\"" << left - 6 << "\" y=\""
      << num(y + 4) << "\" text-anchor=\"end\">" << decade_label(e) << "</text>\n";
  }
  s << "<text class=\"axis\" x=\"" << left + pw / 2 << "\" y=\"" << height - 12
    << "\" text-anchor=\"middle\">arithmetic intensity (MACs per DDR byte)</text>\n"
    << "<text class=\"axis\" transform=\"translate(16," << top + ph / 2
    << ") rotate(-90)\" text-anchor=\"middle\">MACs per cycle</text>\n";
  // The roof: bandwidth-bound slope up to the ridge, then the compute peak.
  const double x_start = std::pow(10.0, ex0), x_end = std::pow(10.0, ex1);
  const double y_start = std::max(bw * x_start, std::pow(10.0, ey0));
  const double x_first = y_start / bw;
  s << "<polyline class=\"roof\" points=\"" << num(x_of(x_first)) << ',' << num(y_of(y_start))
    << ' ' << num(x_of(ridge)) << ',' << num(y_of(peak)) << ' ' << num(x_of(x_end)) << ','
    << num(y_of(peak)) << "\"><title>roof: min(" << num(peak, 0) << " MACs/cycle, " << num(bw, 0)
    << " B/cycle x intensity); ridge at " << num(ridge, 2) << " MACs/byte</title></polyline>\n";
  s << "<text class=\"roof-label\" x=\"" << num(x_of(x_end) - 4) << "\" y=\"" << num(y_of(peak) - 6)
    << "\" text-anchor=\"end\">peak " << num(peak, 0) << " MACs/cycle (" << p.hw.mac_rows << "x"
    << p.hw.mac_cols << ")</text>\n";
  const double x_mid = std::sqrt(x_first * ridge);  // halfway along the slope (log scale)
  s << "<text class=\"roof-label\" x=\"" << num(x_of(x_mid) - 6) << "\" y=\""
    << num(y_of(bw * x_mid) - 6) << "\" text-anchor=\"end\">DDR " << num(bw, 0)
    << " B/cycle</text>\n";
  for (size_t i : placed) {
    const LayerProfile& l = p.layers[i];
    const double x = x_of(l.arithmetic_intensity()), y = y_of(l.macs_per_cycle());
    const double bound = std::min(peak, bw * l.arithmetic_intensity());
    s << "<g class=\"layer-mark\" data-layer=\"" << i << "\"><circle class=\"layer-point\" cx=\""
      << num(x) << "\" cy=\"" << num(y) << "\" r=\"6\" data-layer=\"" << i << "\"><title>#" << i
      << ' ' << xml_escape(l.name) << " (" << xml_escape(l.op) << ")\n"
      << num(l.arithmetic_intensity(), 2) << " MACs/byte, " << num(l.macs_per_cycle(), 2)
      << " MACs/cycle = " << percent(l.macs_per_cycle(), peak) << " of peak, "
      << percent(l.macs_per_cycle(), bound) << " of its roof ("
      << (l.arithmetic_intensity() < ridge ? "bandwidth" : "compute")
      << " bound)</title></circle><text class=\"point-label\" x=\"" << num(x + 8) << "\" y=\""
      << num(y - 6) << "\">" << i << "</text></g>\n";
  }
  s << "</svg>\n";
  if (!unplaced.empty()) {
    s << "<p class=\"note\">Not on the chart (no MACs or no DDR traffic): ";
    for (size_t k = 0; k < unplaced.size(); ++k)
      s << (k ? ", " : "") << '#' << unplaced[k] << ' ' << xml_escape(p.layers[unplaced[k]].name);
    s << ".</p>\n";
  }
  return s.str();
}

std::string breakdown_svg(const Profile& p) {
  const int label_w = 230, bar_w = 560, value_w = 110, row_h = 22, legend_h = 28;
  const int rows = 1 + static_cast<int>(p.layers.size());
  const int width = label_w + bar_w + value_w, height = legend_h + rows * row_h + 8;
  const double scale = p.cycles > 0 ? bar_w / static_cast<double>(p.cycles) : 0.0;
  std::ostringstream s;
  s << svg_open(width, height, "breakdown", "where the cycles go");
  int lx = label_w;
  for (int c = 0; c < kNumCycleClasses; ++c) {
    const auto cls = static_cast<CycleClass>(c);
    s << "<rect x=\"" << lx << "\" y=\"6\" width=\"12\" height=\"12\" fill=\""
      << cycle_class_color(cls) << "\"/><text class=\"legend\" x=\"" << lx + 16 << "\" y=\"16\">"
      << cycle_class_name(cls) << "</text>\n";
    lx += 24 + 8 * static_cast<int>(std::string(cycle_class_name(cls)).size());
  }
  auto bar = [&](int row, const std::string& label, const std::string& title,
                 const CycleBreakdown& b, int64_t cycles, int64_t offset, int layer) {
    const int y = legend_h + row * row_h;
    std::string shown = label;
    if (shown.size() > 34) {  // cut at a UTF-8 character boundary
      size_t cut = 33;
      while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
      shown = shown.substr(0, cut) + "…";
    }
    s << "<g class=\"bar\"" << (layer >= 0 ? " data-layer=\"" + std::to_string(layer) + "\"" : "")
      << "><text class=\"bar-label\" x=\"" << label_w - 8 << "\" y=\"" << y + 15
      << "\" text-anchor=\"end\">" << xml_escape(shown) << "<title>" << xml_escape(title)
      << "</title></text>\n";
    double x = label_w + offset * scale;
    for (int c = 0; c < kNumCycleClasses; ++c) {
      if (b[c] == 0) continue;
      const auto cls = static_cast<CycleClass>(c);
      const double w = b[c] * scale;
      s << "<rect class=\"seg\" data-class=\"" << cycle_class_name(cls) << "\" x=\"" << num(x, 2)
        << "\" y=\"" << y + 3 << "\" width=\"" << num(std::max(w, 0.5), 2) << "\" height=\""
        << row_h - 6 << "\" fill=\"" << cycle_class_color(cls) << "\"><title>" << xml_escape(title)
        << ": " << cycle_class_name(cls) << ' ' << grouped_int(b[c]) << " cycles ("
        << percent(static_cast<double>(b[c]), static_cast<double>(cycles)) << ")</title></rect>\n";
      x += w;
    }
    s << "<text class=\"bar-value\" x=\"" << label_w + bar_w + 6 << "\" y=\"" << y + 15 << "\">"
      << grouped_int(cycles) << "</text></g>\n";
  };
  bar(0, "whole program", "whole program", p.breakdown, p.cycles, 0, -1);
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    const std::string label = cat('#', i, ' ', l.name);
    bar(static_cast<int>(i) + 1, label, cat(label, " (", l.op, ')'), l.breakdown, l.cycles(),
        l.start_cycle, static_cast<int>(i));
  }
  s << "</svg>\n";
  return s.str();
}

namespace {

// Timeline track of an instruction: 0 load, 1 mac, 2 requant, 3 vector, 4 control, 5 store.
int track_of(const runtime::InstrRecord& r) {
  using isa::Opcode;
  switch (r.op) {
    case Opcode::LOAD:
      return 0;
    case Opcode::CONV:
      return 1;
    case Opcode::REQUANT:
      return 2;
    case Opcode::NOP:
    case Opcode::FINISH:
      return 4;
    case Opcode::STORE:
      return 5;
    default:
      return 3;
  }
}

}  // namespace

std::string timeline_svg(const Profile& p) {
  static const char* const kTracks[] = {"load (DMA)",           "compute: mac_array",
                                        "compute: requantizer", "compute: vector",
                                        "compute: control",     "store (DMA)"};
  static const CycleClass kTrackClass[] = {CycleClass::kDmaOnly, CycleClass::kMac,
                                           CycleClass::kRequant, CycleClass::kVector,
                                           CycleClass::kControl, CycleClass::kDmaOnly};
  const int label_w = 150, plot_w = 1000, row_h = 20, axis_h = 24;
  const int tracks = 6, height = (tracks + 1) * row_h + axis_h + 8;
  const int64_t span = std::max<int64_t>(p.cycles, 1);
  const double scale = plot_w / static_cast<double>(span);
  std::ostringstream s;
  s << svg_open(label_w + plot_w + 10, height, "timeline", "unit timeline");
  s << "<text class=\"track-label\" x=\"" << label_w - 8 << "\" y=\"" << 14
    << "\" text-anchor=\"end\">layers</text>\n";
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    const double x = label_w + l.start_cycle * scale, w = std::max(l.cycles() * scale, 0.5);
    s << "<g class=\"layer-band\" data-layer=\"" << i << "\"><rect x=\"" << num(x, 2)
      << "\" y=\"2\" width=\"" << num(w, 2) << "\" height=\"" << row_h - 4 << "\" class=\"band"
      << i % 2 << "\"><title>#" << i << ' ' << xml_escape(l.name) << ": cycles " << l.start_cycle
      << ".." << l.end_cycle << " (" << grouped_int(l.cycles()) << ")</title></rect>";
    if (w > 30)
      s << "<text class=\"band-label\" x=\"" << num(x + 3, 2) << "\" y=\"14\">#" << i << "</text>";
    s << "</g>\n";
  }
  for (int t = 0; t < tracks; ++t) {
    const int y = (t + 1) * row_h;
    s << "<text class=\"track-label\" x=\"" << label_w - 8 << "\" y=\"" << y + 14
      << "\" text-anchor=\"end\">" << kTracks[t] << "</text><line class=\"track-line\" x1=\""
      << label_w << "\" y1=\"" << y + row_h - 1 << "\" x2=\"" << label_w + plot_w << "\" y2=\""
      << y + row_h - 1 << "\"/>\n";
  }
  // Instruction spans per track in start order; a span that starts within half a pixel of
  // the previous one's end extends it (keeps the SVG small for long programs).
  struct Span {
    double x0, x1;
    int64_t start, end, count, first_index;
    std::string op;
  };
  std::vector<std::vector<const runtime::InstrRecord*>> by_track(tracks);
  for (const auto& r : p.counters.instrs)
    if (r.end > r.start) by_track[track_of(r)].push_back(&r);
  for (int t = 0; t < tracks; ++t) {
    auto& recs = by_track[t];
    std::sort(recs.begin(), recs.end(),
              [](const auto* a, const auto* b) { return a->start < b->start; });
    std::vector<Span> spans;
    for (const runtime::InstrRecord* r : recs) {
      const double x0 = label_w + r->start * scale, x1 = label_w + r->end * scale;
      if (!spans.empty() && x0 - spans.back().x1 < 0.5) {
        Span& b = spans.back();
        b.x1 = std::max(b.x1, x1);
        b.end = std::max(b.end, r->end);
        ++b.count;
        continue;
      }
      spans.push_back({x0, x1, r->start, r->end, 1, r->index, std::string(isa::name(r->op))});
    }
    const int y = (t + 1) * row_h + 3;
    for (const Span& b : spans) {
      s << "<rect class=\"instr\" x=\"" << num(b.x0, 2) << "\" y=\"" << y << "\" width=\""
        << num(std::max(b.x1 - b.x0, 0.5), 2) << "\" height=\"" << row_h - 7 << "\" fill=\""
        << cycle_class_color(kTrackClass[t]) << "\"><title>";
      if (b.count == 1)
        s << b.op << " #" << b.first_index;
      else
        s << b.count << " instructions from #" << b.first_index;
      s << ": cycles " << b.start << ".." << b.end << " (" << grouped_int(b.end - b.start)
        << ")</title></rect>\n";
    }
  }
  const int axis_y = (tracks + 1) * row_h + 2;
  s << "<line class=\"axis-line\" x1=\"" << label_w << "\" y1=\"" << axis_y << "\" x2=\""
    << label_w + plot_w << "\" y2=\"" << axis_y << "\"/>\n";
  const int64_t step = tick_step(span, 10);
  for (int64_t c = 0; c <= span; c += step) {
    const double x = label_w + c * scale;
    s << "<line class=\"axis-line\" x1=\"" << num(x) << "\" y1=\"" << axis_y << "\" x2=\"" << num(x)
      << "\" y2=\"" << axis_y + 4 << "\"/><text class=\"tick\" x=\"" << num(x) << "\" y=\""
      << axis_y + 16 << "\" text-anchor=\"middle\">" << grouped_int(c) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace bpusim::report
