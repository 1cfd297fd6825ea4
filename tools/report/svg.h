// The charts of the profile report as inline SVG (no script needed to see them; the page's
// script only adds highlighting): the roofline of the layers against the configured hardware,
// the stacked bars of where each layer's cycles go, and the unit timeline. Every mark carries
// a <title> (the browser's tooltip) and data-layer="i" for the page's cross-highlighting.
#pragma once

#include <string>
#include <string_view>

#include "tools/report/profile.h"

namespace bpusim::report {

// Escapes &, <, >, " and ' for XML/HTML text and attribute values.
std::string xml_escape(std::string_view text);

// Fill colour of a cycle class (the same in the bars, the timeline and the legend).
const char* cycle_class_color(CycleClass c);

// Roofline: log-log axes, x = arithmetic intensity (MACs per DDR byte), y = MACs per cycle;
// the roof min(peak, bandwidth * x) with peak = mac.rows * mac.cols and bandwidth =
// ddr.bytes_per_cycle; one <circle class="layer-point"> per layer with MACs and DDR bytes
// (layers without MACs, such as pooling, cannot be placed and are listed under the chart).
std::string roofline_svg(const Profile& p);

// One horizontal bar for the whole program and one per layer, all on the same scale (the
// program's cycles are the full width), split into the CycleClass segments
// (<rect class="seg" data-class="...">).
std::string breakdown_svg(const Profile& p);

// The unit timeline: a band per layer, then one track per engine/unit (load, mac_array,
// requantizer, vector, control, store) with a <rect class="instr"> per instruction span
// (neighbours closer than half a pixel are merged), cycle ticks on the x axis.
std::string timeline_svg(const Profile& p);

}  // namespace bpusim::report
