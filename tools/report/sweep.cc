#include "tools/report/sweep.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "tools/report/html.h"

namespace bpusim::report {

std::vector<SweepAxis> parse_sweep_axes(const std::vector<std::string>& sets,
                                        const HwConfig& base) {
  std::vector<SweepAxis> axes;
  std::set<std::string> seen;
  for (const std::string& item : sets) {
    const auto eq = item.find('=');
    require(eq != std::string::npos && eq > 0, "--set '", item,
            "': expected key=value or key=v1,v2,...");
    SweepAxis axis{item.substr(0, eq), {}};
    require(seen.insert(axis.key).second, "--set '", item, "': key '", axis.key,
            "' is given twice (list its values in one --set)");
    std::stringstream values(item.substr(eq + 1));
    std::string v;
    while (std::getline(values, v, ',')) axis.values.push_back(v);
    if (!item.empty() && item.back() == ',') axis.values.push_back("");
    require(!axis.values.empty(), "--set '", item, "': no value for '", axis.key, "'");
    for (const std::string& value : axis.values) {
      require(!value.empty(), "--set '", item, "': empty value in the list for '", axis.key, "'");
      HwConfig probe = base;
      try {
        probe.set(axis.key + "=" + value);
      } catch (const Error& e) {
        fail("--set '", item, "': ", e.what());
      }
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::vector<std::vector<std::string>> sweep_points(const std::vector<SweepAxis>& axes) {
  std::vector<std::vector<std::string>> points{{}};
  for (const SweepAxis& axis : axes) {
    std::vector<std::vector<std::string>> next;
    for (const auto& p : points)
      for (const std::string& v : axis.values) {
        next.push_back(p);
        next.back().push_back(axis.key + "=" + v);
      }
    points = std::move(next);
  }
  return points;
}

const char* sram_name(int buffer) {
  static const char* const kNames[] = {"feature", "weight", "accumulator", "output", "param"};
  return kNames[buffer];
}

std::array<int64_t, kNumSrams> sram_capacity(const HwConfig& hw) {
  return {hw.feature_sram_bytes, hw.weight_sram_bytes, hw.acc_sram_bytes, hw.output_sram_bytes,
          hw.param_sram_bytes};
}

double SweepRow::sram_use() const {
  const int b = sram_fullest();
  return sram_capacity[b] > 0 ? static_cast<double>(sram_peak[b]) / sram_capacity[b] : 0.0;
}

int SweepRow::sram_fullest() const {
  int best = 0;
  double best_use = -1;
  for (int b = 0; b < kNumSrams; ++b) {
    const double use =
        sram_capacity[b] > 0 ? static_cast<double>(sram_peak[b]) / sram_capacity[b] : 0.0;
    if (use > best_use) best_use = use, best = b;
  }
  return best;
}

nlohmann::json sweep_row_json(const SweepRow& r) {
  nlohmann::json sram = nlohmann::json::object();
  for (int b = 0; b < kNumSrams; ++b)
    sram[sram_name(b)] = {{"peak_bytes", r.sram_peak[b]}, {"bytes", r.sram_capacity[b]}};
  nlohmann::json j{{"config", r.assignments},
                   {"status", r.status},
                   {"message", r.message},
                   {"cycles", r.cycles},
                   {"macs", r.macs},
                   {"mac_utilisation", r.utilisation},
                   {"frames_per_second", r.frames_per_second},
                   {"ddr_read_bytes", r.ddr_read_bytes},
                   {"ddr_write_bytes", r.ddr_write_bytes},
                   {"instructions", r.instructions},
                   {"sram", sram},
                   {"sram_use", r.sram_use()}};
  if (!r.model.empty()) j["model"] = r.model;
  return j;
}

SweepRow sweep_row_from_json(const nlohmann::json& j, const std::string& source) {
  SweepRow r;
  try {
    r.model = j.value("model", "");
    r.assignments = j.at("config").get<std::vector<std::string>>();
    r.status = j.at("status").get<std::string>();
    r.message = j.at("message").get<std::string>();
    r.cycles = j.at("cycles").get<int64_t>();
    r.macs = j.at("macs").get<int64_t>();
    r.utilisation = j.at("mac_utilisation").get<double>();
    r.frames_per_second = j.at("frames_per_second").get<double>();
    r.ddr_read_bytes = j.at("ddr_read_bytes").get<int64_t>();
    r.ddr_write_bytes = j.at("ddr_write_bytes").get<int64_t>();
    r.instructions = j.at("instructions").get<int64_t>();
    for (int b = 0; b < kNumSrams; ++b) {
      r.sram_peak[b] = j.at("sram").at(sram_name(b)).at("peak_bytes").get<int64_t>();
      r.sram_capacity[b] = j.at("sram").at(sram_name(b)).at("bytes").get<int64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    fail(source, ": malformed sweep result: ", e.what());
  }
  return r;
}

namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The value of `key` in a row's assignments (the pseudo-key "model": the row's model).
std::string value_of(const SweepRow& r, const std::string& key) {
  if (key == "model") return r.model;
  for (const std::string& a : r.assignments)
    if (a.compare(0, key.size() + 1, key + "=") == 0) return a.substr(key.size() + 1);
  return "";
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

// The row's model, then its assignments.
std::vector<std::string> with_model(const SweepRow& r) {
  std::vector<std::string> out{r.model};
  out.insert(out.end(), r.assignments.begin(), r.assignments.end());
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string sweep_table(const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows) {
  std::vector<std::string> header;
  for (const SweepAxis& a : axes) header.push_back(a.key);
  for (const char* h : {"cycles", "MAC util", "frames/s", "SRAM use", "DDR bytes", "status"})
    header.push_back(h);
  std::vector<std::vector<std::string>> cells;
  for (const SweepRow& r : rows) {
    std::vector<std::string> c;
    for (const SweepAxis& a : axes) c.push_back(value_of(r, a.key));
    if (r.status == "ok") {
      c.push_back(grouped_int(r.cycles));
      c.push_back(fixed(100.0 * r.utilisation, 2) + "%");
      c.push_back(grouped_int(static_cast<int64_t>(r.frames_per_second)));
      c.push_back(fixed(100.0 * r.sram_use(), 1) + "% " + sram_name(r.sram_fullest()));
      c.push_back(grouped_int(r.ddr_read_bytes + r.ddr_write_bytes));
    } else {
      for (int k = 0; k < 5; ++k) c.push_back("-");
    }
    c.push_back(r.status);
    cells.push_back(c);
  }
  std::vector<size_t> width(header.size());
  for (size_t k = 0; k < header.size(); ++k) {
    width[k] = header[k].size();
    for (const auto& c : cells) width[k] = std::max(width[k], c[k].size());
  }
  std::ostringstream s;
  auto line = [&](const std::vector<std::string>& c) {
    for (size_t k = 0; k < c.size(); ++k) {
      const bool left = k < axes.size() || k + 1 == c.size();
      const std::string pad(k + 1 == c.size() ? 0 : width[k] - c[k].size(), ' ');
      s << (k ? "  " : "") << (left ? c[k] + pad : pad + c[k]);
    }
    s << "\n";
  };
  line(header);
  for (const auto& c : cells) line(c);
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].status != "ok")
      s << "config " << i + 1 << " ("
        << join(rows[i].model.empty() ? rows[i].assignments : with_model(rows[i]))
        << "): " << rows[i].status << ": " << rows[i].message << "\n";
  return s.str();
}

std::string sweep_csv(const std::vector<SweepAxis>& axes, const std::vector<SweepRow>& rows) {
  std::ostringstream s;
  for (const SweepAxis& a : axes) s << csv_field(a.key) << ',';
  s << "status,cycles,macs,mac_utilisation,frames_per_second,ddr_read_bytes,ddr_write_bytes,"
       "instructions";
  for (int b = 0; b < kNumSrams; ++b)
    s << ",sram_" << sram_name(b) << "_peak_bytes,sram_" << sram_name(b) << "_bytes";
  s << ",sram_use,message\n";
  for (const SweepRow& r : rows) {
    for (const SweepAxis& a : axes) s << csv_field(value_of(r, a.key)) << ',';
    s << r.status << ',' << r.cycles << ',' << r.macs << ',' << fixed(r.utilisation, 6) << ','
      << fixed(r.frames_per_second, 1) << ',' << r.ddr_read_bytes << ',' << r.ddr_write_bytes << ','
      << r.instructions;
    for (int b = 0; b < kNumSrams; ++b) s << ',' << r.sram_peak[b] << ',' << r.sram_capacity[b];
    s << ',' << fixed(r.sram_use(), 6) << ',' << csv_field(r.message) << "\n";
  }
  return s.str();
}

}  // namespace bpusim::report
