#include "tools/report/progress.h"

#include <unistd.h>

#include <cstdio>
#include <utility>

namespace bpusim::report {

Progress::Progress(std::string label, int64_t total)
    : Progress(std::move(label), total, ::isatty(::fileno(stderr)) != 0) {}

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0) {}

Progress::~Progress() {
  finish();
}

void Progress::update(int64_t done) {
  if (!enabled_) return;
  const int percent = static_cast<int>(100 * done / total_);
  if (percent == shown_) return;
  shown_ = percent;
  constexpr int kWidth = 40;
  const int filled = kWidth * percent / 100;
  std::fprintf(stderr, "\r%s [%s%s] %3d%% %lld/%lld", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), percent,
               static_cast<long long>(done), static_cast<long long>(total_));
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || shown_ < 0) return;
  std::fprintf(stderr, "\r\033[K");  // carriage return, erase the line
  std::fflush(stderr);
  shown_ = -1;
}

}  // namespace bpusim::report
