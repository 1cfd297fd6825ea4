#include "tools/report/html.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "tools/report/svg.h"

namespace bpusim::report {

std::string grouped_int(int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// True when `text` reads as a number in the page's formats ("1,234", "12.5%", "-3").
bool numeric(const std::string& text) {
  if (text.empty()) return false;
  std::string digits;
  for (char c : text)
    if (c != ',' && c != '%') digits += c;
  char* end = nullptr;
  std::strtod(digits.c_str(), &end);
  return end && *end == '\0' && !digits.empty();
}

// JSON for a <script> element: '<' only occurs inside JSON strings, where \u003c is the
// same character, so "</script>" in a layer name cannot end the element.
std::string script_json(const nlohmann::json& j) {
  const std::string text = j.dump();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

const char* const kCss = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 0 auto; padding: 16px 28px 40px; max-width: 1240px; background: #fff; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
.subtitle { color: #555; margin: 0 0 12px; }
.fault { background: #fde8e8; border: 1px solid #e15759; padding: 8px 12px; border-radius: 4px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .value { font-size: 19px; font-weight: 600; }
.card .label { color: #666; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 7px; border-bottom: 1px solid #eee; }
td { white-space: nowrap; }
th { background: #f5f5f5; text-align: left; vertical-align: bottom; }
th.sortable { cursor: pointer; }
th.sortable:hover { background: #e8e8e8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 1px solid #999; }
tr.hl td, .hl { background: #fff3c4; }
.scroll { overflow-x: auto; }
svg { font-size: 11px; display: block; }
svg .plot { fill: #fcfcfc; stroke: #bbb; }
svg .grid { stroke: #e6e6e6; }
svg .tick, svg .legend, svg .bar-value, svg .track-label { fill: #444; }
svg .axis { fill: #222; font-size: 12px; }
svg .roof { fill: none; stroke: #e15759; stroke-width: 2; }
svg .roof-label { fill: #e15759; }
svg .layer-point { fill: #4e79a7; stroke: #fff; stroke-width: 1.5; opacity: .9; }
svg .point-label { fill: #333; }
svg .layer-mark.hl .layer-point { fill: #f28e2b; r: 8; }
svg .bar.hl .bar-label { font-weight: 700; }
svg .band0 { fill: #e9eef5; } svg .band1 { fill: #d7e0ec; }
svg .layer-band.hl rect { fill: #ffd966; }
svg .band-label { fill: #333; font-size: 10px; }
svg .track-line, svg .axis-line { stroke: #ccc; }
.note { color: #666; font-size: 12px; }
table.confusion td { text-align: center; min-width: 24px; }
details { margin-top: 8px; }
#bpusim-status { color: #999; font-size: 11px; margin-top: 30px; }
)css";

const char* const kScript = R"js(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('bpusim-data').textContent);
  var layers = data.layers;
  function fail(what) { throw new Error('bpusim report: ' + what); }
  // The rendered page must agree with the data it was rendered from.
  var rows = document.querySelectorAll('#layer-table tbody tr');
  if (rows.length !== layers.length)
    fail('the layer table has ' + rows.length + ' rows for ' + layers.length + ' layers');
  var placeable = layers.filter(function (l) {
    return l.macs > 0 && l.ddr_read_bytes + l.ddr_write_bytes > 0 && l.cycles > 0;
  }).length;
  var points = document.querySelectorAll('svg.roofline circle.layer-point').length;
  if (points !== placeable)
    fail('the roofline has ' + points + ' points for ' + placeable + ' layers with MACs');
  function sum(o) { var s = 0; for (var k in o) s += o[k]; return s; }
  layers.forEach(function (l, i) {
    if (sum(l.cycle_breakdown) !== l.cycles)
      fail('layer ' + i + ': the cycle breakdown does not add up to its cycles');
    if (rows[i].getAttribute('data-layer') !== String(i)) fail('row ' + i + ' is out of order');
  });
  if (sum(data.cycle_breakdown) !== data.cycles)
    fail('the program cycle breakdown does not add up to its cycles');
  if (document.querySelectorAll('svg.breakdown g.bar').length !== layers.length + 1)
    fail('the stacked bars do not have one bar per layer plus the program');
  if (document.querySelectorAll('svg.timeline g.layer-band').length !== layers.length)
    fail('the timeline does not have one band per layer');

  // Hovering a layer anywhere (table row, roofline point, bar, timeline band) highlights it
  // everywhere.
  function mark(i, on) {
    document.querySelectorAll('[data-layer="' + i + '"]').forEach(function (e) {
      e.classList.toggle('hl', on);
    });
  }
  document.querySelectorAll('[data-layer]').forEach(function (e) {
    var i = e.getAttribute('data-layer');
    e.addEventListener('mouseenter', function () { mark(i, true); });
    e.addEventListener('mouseleave', function () { mark(i, false); });
  });

  // Click a column header to sort the layer table by it (again to reverse).
  var tbody = document.querySelector('#layer-table tbody');
  document.querySelectorAll('#layer-table th').forEach(function (th, col) {
    th.classList.add('sortable');
    th.title = 'sort by ' + th.textContent;
    var ascending = false;
    th.addEventListener('click', function () {
      ascending = !ascending;
      var list = Array.prototype.slice.call(tbody.rows);
      list.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
        return ascending ? c : -c;
      });
      list.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  var status = document.getElementById('bpusim-status');
  status.textContent = 'rendered: ' + layers.length + ' layers, ' + points + ' roofline points';
  status.setAttribute('data-ready', '1');
})();
)js";

std::string card(const std::string& value, const std::string& label) {
  return "<div class=\"card\"><div class=\"value\">" + xml_escape(value) +
         "</div><div class=\"label\">" + xml_escape(label) + "</div></div>";
}

std::string summary_cards(const Profile& p) {
  const auto& c = p.counters;
  const double us = static_cast<double>(p.cycles) / static_cast<double>(p.hw.clock_mhz);
  std::string s = "<div class=\"cards\">";
  s += card(grouped_int(p.cycles), "cycles");
  s += card(fixed(us, 3) + " µs", "at " + std::to_string(p.hw.clock_mhz) + " MHz");
  s += card(grouped_int(static_cast<int64_t>(p.frames_per_second())), "inferences per second");
  s += card(grouped_int(p.macs), "MACs");
  s += card(
      fixed(100.0 * p.utilisation(), 2) + "%",
      "MAC utilisation of " + std::to_string(p.hw.mac_rows) + "x" + std::to_string(p.hw.mac_cols));
  s += card(grouped_int(c.ddr_read_bytes), "DDR bytes read");
  s += card(grouped_int(c.ddr_write_bytes), "DDR bytes written");
  s += card(grouped_int(c.ddr_bus_bytes), "DDR bus bytes (whole bursts)");
  s += card(grouped_int(static_cast<int64_t>(c.instrs.size())), "instructions executed");
  return s + "</div>\n";
}

// "token_wait" -> "token wait" (lets a narrow header wrap).
std::string header_words(std::string name) {
  for (char& c : name)
    if (c == '_') c = ' ';
  return name;
}

// One <td> with its sort value.
std::string td(const std::string& text, const std::string& sort_value, bool number) {
  return std::string("<td") + (number ? " class=\"num\"" : "") + " data-v=\"" +
         xml_escape(sort_value) + "\">" + xml_escape(text) + "</td>";
}
std::string td_int(int64_t v) {
  return td(grouped_int(v), std::to_string(v), true);
}
std::string td_real(double v, int decimals, const std::string& suffix = "") {
  return td(fixed(v, decimals) + suffix, fixed(v, 6), true);
}

std::string layer_table(const Profile& p) {
  std::ostringstream s;
  s << "<div class=\"scroll\"><table id=\"layer-table\"><thead><tr><th class=\"num\">#</th>"
       "<th>layer</th><th>op</th><th class=\"num\">cycles</th><th class=\"num\">% of run</th>"
       "<th class=\"num\">est. cycles</th><th class=\"num\">MACs</th>"
       "<th class=\"num\">MAC util</th><th class=\"num\">DDR read</th>"
       "<th class=\"num\">DDR written</th><th class=\"num\">MACs/byte</th>";
  for (int st = 0; st < runtime::kNumStalls; ++st)
    s << "<th class=\"num\">" << header_words(runtime::stall_name(static_cast<runtime::Stall>(st)))
      << "</th>";
  s << "</tr></thead><tbody>\n";
  const double peak = static_cast<double>(p.peak_macs_per_cycle());
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    s << "<tr data-layer=\"" << i << "\">" << td_int(static_cast<int64_t>(i))
      << td(l.name, l.name, false) << td(l.op, l.op, false) << td_int(l.cycles())
      << td_real(p.cycles ? 100.0 * l.cycles() / p.cycles : 0.0, 1, "%") << td_int(l.est_cycles)
      << td_int(l.macs) << td_real(100.0 * l.macs_per_cycle() / peak, 2, "%")
      << td_int(l.ddr_read_bytes) << td_int(l.ddr_write_bytes)
      << td_real(l.arithmetic_intensity(), 2);
    for (int st = 0; st < runtime::kNumStalls; ++st) s << td_int(l.stalls[st]);
    s << "</tr>\n";
  }
  s << "</tbody><tfoot><tr class=\"total\"><td></td><td>whole program</td><td></td>"
    << td_int(p.cycles) << td_real(100.0, 1, "%") << "<td></td>" << td_int(p.macs)
    << td_real(100.0 * p.utilisation(), 2, "%") << td_int(p.counters.ddr_read_bytes)
    << td_int(p.counters.ddr_write_bytes) << "<td></td>";
  for (int st = 0; st < runtime::kNumStalls; ++st)
    s << td_int(p.counters.stall_total(static_cast<runtime::Stall>(st)));
  s << "</tr></tfoot></table></div>\n"
       "<p class=\"note\">cycles: from the layer's first instruction start to its last "
       "instruction end. MAC util: MACs / (rows x cols x cycles). DDR: payload bytes of the "
       "layer's LOADs and STOREs. Stall columns: cycles the layer's instructions waited, by "
       "reason (docs/timing.md). Click a header to sort.</p>\n";
  return s.str();
}

std::string engine_table(const Profile& p) {
  std::vector<std::string> header{"engine", "busy cycles"};
  for (int st = 0; st < runtime::kNumStalls; ++st)
    header.push_back(runtime::stall_name(static_cast<runtime::Stall>(st)));
  std::vector<std::vector<std::string>> rows;
  for (int e = 0; e < runtime::kNumEngines; ++e) {
    std::vector<std::string> row{runtime::engine_name(static_cast<runtime::Engine>(e)),
                                 grouped_int(p.counters.engine_busy[e])};
    for (int st = 0; st < runtime::kNumStalls; ++st)
      row.push_back(grouped_int(p.counters.stalls[e][st]));
    rows.push_back(row);
  }
  std::vector<std::vector<std::string>> units;
  for (int u = 0; u < runtime::kNumUnits; ++u)
    units.push_back({runtime::unit_name(static_cast<runtime::UnitId>(u)),
                     grouped_int(p.counters.unit_busy[u]),
                     fixed(p.cycles ? 100.0 * p.counters.unit_busy[u] / p.cycles : 0.0, 1) + "%"});
  return html_table(header, rows, "engines") +
         "<p class=\"note\">Stall cycles by engine (fetch = the controller).</p>\n" +
         html_table({"unit", "busy cycles", "% of run"}, units, "units");
}

std::string hw_table(const Profile& p) {
  std::vector<std::vector<std::string>> rows;
  const nlohmann::json hw = p.hw.to_json();
  for (const auto& [key, value] : hw.items())
    rows.push_back({key, value.is_string() ? value.get<std::string>() : value.dump()});
  return "<details><summary>" + std::to_string(rows.size()) + " keys (docs/hardware.md)</summary>" +
         html_table({"key", "value"}, rows, "hw") + "</details>\n";
}

}  // namespace

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& css_class) {
  std::ostringstream s;
  s << "<table" << (css_class.empty() ? "" : " class=\"" + xml_escape(css_class) + "\"")
    << "><thead><tr>";
  for (const auto& h : header) s << "<th>" << xml_escape(h) << "</th>";
  s << "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    s << "<tr>";
    for (const auto& cell : row)
      s << "<td" << (numeric(cell) ? " class=\"num\"" : "") << ">" << xml_escape(cell) << "</td>";
    s << "</tr>\n";
  }
  s << "</tbody></table>\n";
  return s.str();
}

std::string profile_html(const Profile& p, const HtmlPage& page) {
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << xml_escape(page.title) << "</title>\n<style>" << kCss << "</style>\n"
    << "</head><body>\n<h1>" << xml_escape(page.title) << "</h1>\n";
  if (!page.subtitle.empty())
    s << "<p class=\"subtitle\">" << xml_escape(page.subtitle) << "</p>\n";
  if (p.fault)
    s << "<p class=\"fault\"><b>Modeled fault:</b> " << xml_escape(p.fault->message())
      << " — the counters below stop there.</p>\n";
  for (const HtmlSection& sec : page.sections)
    s << "<section id=\"" << xml_escape(sec.id) << "\"><h2>" << xml_escape(sec.title) << "</h2>\n"
      << sec.html << "</section>\n";
  s << "<section id=\"summary\"><h2>Run</h2>\n"
    << summary_cards(p) << "</section>\n"
    << "<section id=\"layers\"><h2>Layers</h2>\n"
    << layer_table(p) << "</section>\n"
    << "<section id=\"roofline\"><h2>Roofline</h2>\n"
    << "<p class=\"note\">Each layer at its arithmetic intensity (MACs per DDR byte moved) and "
       "the MACs per cycle it achieved. Under the sloped roof a layer is bandwidth-bound, "
       "under the flat one compute-bound; the distance to the roof is what scheduling and "
       "stalls cost.</p>\n"
    << roofline_svg(p) << "</section>\n"
    << "<section id=\"cycles\"><h2>Where the cycles go</h2>\n"
    << "<p class=\"note\">Each cycle goes to the first class that applies: the compute engine "
       "busy on the MAC array, the requantizer, the vector unit or control; else a DMA "
       "transfer in flight with compute idle (dma_only); else idle (fetch, token hand-offs). "
       "Bars share one scale and start at the layer's first cycle.</p>\n"
    << "<div class=\"scroll\">" << breakdown_svg(p) << "</div></section>\n"
    << "<section id=\"timeline\"><h2>Unit timeline</h2>\n"
    << "<p class=\"note\">One rectangle per instruction from start to end (hover for details). "
       "For zooming, write a Perfetto trace with <code>bpusim run --trace T.json</code>.</p>\n"
    << "<div class=\"scroll\">" << timeline_svg(p) << "</div></section>\n"
    << "<section id=\"engines\"><h2>Engines and units</h2>\n"
    << engine_table(p) << "</section>\n"
    << "<section id=\"hardware\"><h2>Hardware configuration</h2>\n"
    << hw_table(p) << "</section>\n"
    << "<p id=\"bpusim-status\">not rendered (the page's script did not finish)</p>\n"
    << "<script type=\"application/json\" id=\"bpusim-data\">"
    << script_json(profile_json(p, false)) << "</script>\n<script>" << kScript
    << "</script>\n</body></html>\n";
  return s.str();
}

}  // namespace bpusim::report
