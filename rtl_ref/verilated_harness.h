// Internal to rtl_ref/*.cc: clocking, reset, FST tracing and port bit access for one
// verilated model. Public headers never include this (it pulls in Verilator's headers).
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "common/error.h"
#include "rtl_ref/unit_run.h"

namespace bpusim::rtl {

// Writes the low `width` (<= 64) bits of `value` into bits [lsb, lsb + width) of a port of
// up to 64 bits (Verilator's CData/SData/IData/QData).
template <class P>
requires std::is_integral_v<P>
void put_bits(P& port, unsigned lsb, unsigned width, uint64_t value) {
  const uint64_t mask = (width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1) << lsb;
  port = static_cast<P>((uint64_t{port} & ~mask) | ((value << lsb) & mask));
}

// The same for a wide port (VlWide: 32-bit words, word 0 least significant).
template <std::size_t N>
void put_bits(VlWide<N>& port, unsigned lsb, unsigned width, uint64_t value) {
  for (unsigned done = 0; done < width;) {
    const unsigned bit = lsb + done;
    const unsigned off = bit % 32;
    const unsigned n = std::min(32 - off, width - done);
    const uint32_t mask = (n == 32 ? ~uint32_t{0} : (uint32_t{1} << n) - 1) << off;
    uint32_t& word = port.at(bit / 32);
    word = (word & ~mask) | ((static_cast<uint32_t>(value >> done) << off) & mask);
    done += n;
  }
}

// Reads bits [lsb, lsb + width) (width <= 64) of a port.
template <class P>
requires std::is_integral_v<P> uint64_t get_bits(const P& port, unsigned lsb, unsigned width) {
  const uint64_t v = uint64_t{port} >> lsb;
  return width >= 64 ? v : v & ((uint64_t{1} << width) - 1);
}

template <std::size_t N>
uint64_t get_bits(const VlWide<N>& port, unsigned lsb, unsigned width) {
  uint64_t v = 0;
  for (unsigned done = 0; done < width;) {
    const unsigned bit = lsb + done;
    const unsigned off = bit % 32;
    const unsigned n = std::min(32 - off, width - done);
    const uint64_t chunk = (port.at(bit / 32) >> off) & ((uint64_t{1} << n) - 1);
    v |= chunk << done;
    done += n;
  }
  return v;
}

// Owns one model and its clock. Every cycle is: drive inputs, settle() (combinational
// outputs such as ready now reflect them), sample handshakes, tick() (the rising edge that
// ends the cycle). The model has ports clk and rst (synchronous, active high).
template <class V>
class Harness {
 public:
  static constexpr int kResetCycles = 2;

  Harness() {
    context_.traceEverOn(true);  // must precede the model's construction
    model_ = std::make_unique<V>(&context_, "top");
    model_->rst = 1;
    for (int i = 0; i < kResetCycles; ++i) {
      settle();
      tick();
    }
    model_->rst = 0;
  }
  ~Harness() {
    if (trace_) trace_->close();
    model_->final();
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  V& io() { return *model_; }
  uint64_t cycle() const { return cycle_; }

  void settle() {
    model_->clk = 0;
    model_->eval();
    if (trace_) trace_->dump(kTimePerCycle * cycle_);
  }
  void tick() {
    model_->clk = 1;
    model_->eval();
    if (trace_) trace_->dump(kTimePerCycle * cycle_ + kTimePerCycle / 2);
    ++cycle_;
  }

  // Starts writing every signal to an FST file (GTKWave opens it); one cycle is 10 time
  // units. Throws Error when the file cannot be opened.
  void trace_to(const std::string& path) {
    if (trace_) trace_->close();
    trace_ = std::make_unique<VerilatedFstC>();
    model_->trace(trace_.get(), 99);
    trace_->open(path.c_str());
    require(trace_->isOpen(), path, ": cannot open the waveform file for writing");
  }

 private:
  static constexpr uint64_t kTimePerCycle = 10;
  VerilatedContext context_;  // declared first: outlives the model
  std::unique_ptr<V> model_;
  std::unique_ptr<VerilatedFstC> trace_;
  uint64_t cycle_ = 0;
};

// Drives a sequence of tile operations back to back through a unit with a load channel
// (weights or parameters, `load_beats` beats per tile), an input channel (n[k] vectors for
// tile k, the last one flagged) and an output channel. The sources behave like the
// co-simulation contract of docs/microarch.md: the input source is valid from the first
// cycle until every vector is accepted, and the load source offers tile k's beats from the
// cycle after tile k-1's last input was accepted (tile 0: from cycle 0). The output ready
// follows `ready`. The run ends in the cycle the last output is taken, so the unit is idle
// again afterwards. `Unit` provides:
//   set_load(valid, tile, beat), set_input(valid, tile, index, last), set_out_ready(bool),
//   settle(), tick(), load_ready(), input_ready(), out_valid(), out_last(),
//   read_out(std::vector<int32_t>&) (appends one output vector).
template <class Unit>
UnitRun drive_tiles(Unit& unit, int64_t load_beats, const std::vector<int64_t>& n,
                    const ReadyPattern& ready) {
  require(ready.empty() || std::any_of(ready.begin(), ready.end(), [](uint8_t r) { return r; }),
          "output ready pattern of ", ready.size(), " cycles never asserts ready");
  const int64_t tiles = static_cast<int64_t>(n.size());
  int64_t vectors = 0;
  for (int64_t v : n) vectors += v;
  // Generous bound on the cycles a correct unit needs; exceeding it is an RTL bug.
  const int64_t limit =
      (tiles * (load_beats + 256) + vectors) * static_cast<int64_t>(ready.size() + 1);
  UnitRun run;
  int64_t load_tile = 0, beat = 0;     // next load beat
  int64_t in_tile = 0, sent = 0;       // next input vector
  int64_t out_tile = 0, received = 0;  // next output vector
  int64_t first_accept = -1, last_valid = -1;
  for (int64_t t = 0; out_tile < tiles; ++t) {
    if (t > limit)
      throw std::logic_error(
          cat("rtl unit did not finish ", tiles, " tiles within ", limit, " cycles"));
    const bool load_valid = load_tile < tiles && load_tile <= in_tile;
    const bool in_valid = in_tile < tiles;
    const bool out_ready = ready.empty() || ready[t % ready.size()] != 0;
    unit.set_load(load_valid, load_tile, beat);
    unit.set_input(in_valid, in_tile, sent, in_valid && sent == n[in_tile] - 1);
    unit.set_out_ready(out_ready);
    unit.settle();
    const bool load_fire = load_valid && unit.load_ready();
    const bool in_fire = in_valid && unit.input_ready();
    if ((load_fire || in_fire) && first_accept < 0) first_accept = t;
    if (unit.out_valid()) {
      const bool last = unit.out_last();
      if (last != (received == n[out_tile] - 1))
        throw std::logic_error(cat("rtl unit flagged output ", received, " of tile ", out_tile,
                                   last ? " as last" : " as not last"));
      if (last && out_tile == tiles - 1 && last_valid < 0) last_valid = t;
      if (out_ready) {
        unit.read_out(run.out);
        if (++received == n[out_tile]) ++out_tile, received = 0;
      }
    }
    unit.tick();
    if (load_fire && ++beat == load_beats) ++load_tile, beat = 0;
    if (in_fire && ++sent == n[in_tile]) ++in_tile, sent = 0;
  }
  run.cycles = last_valid - first_accept;
  return run;
}

}  // namespace bpusim::rtl
