// The self-contained HTML profile page (inline CSS, SVG and script; no external asset, so
// it opens offline and can be mailed as one file): summary figures, the per-layer table
// (cycles, MACs, utilisation, DDR bytes, stall reasons), the roofline, where the cycles go,
// the unit timeline, the engines' busy and stall cycles, the hardware configuration, and the
// profile JSON embedded as <script type="application/json" id="bpusim-data">. The page's
// script cross-checks the rendered tables and charts against that JSON (throwing on any
// disagreement), adds sorting and highlighting, and finally writes "rendered" into
// <p id="bpusim-status"> — what the headless-browser test looks for.
#pragma once

#include <string>
#include <vector>

#include "tools/report/profile.h"

namespace bpusim::report {

struct HtmlSection {
  std::string id;     // anchor
  std::string title;  // <h2>
  std::string html;   // body (already escaped)
};

struct HtmlPage {
  std::string title;                  // <title> and <h1>
  std::string subtitle;               // a line under the title (escaped here)
  std::vector<HtmlSection> sections;  // shown before the profile's own sections
};

std::string profile_html(const Profile& p, const HtmlPage& page);

// An HTML table: `header` cells, then `rows`; cells are escaped text. A cell whose text
// parses entirely as a number is right-aligned.
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& css_class = "");

// 1234567 -> "1,234,567" (the page's and the demo's number format).
std::string grouped_int(int64_t v);

}  // namespace bpusim::report
