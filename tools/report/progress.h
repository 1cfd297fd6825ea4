// A one-line progress bar on stderr, drawn only when stderr is a terminal (isatty), so logs,
// pipes and tests stay clean. Redraws when the shown percentage changes.
#pragma once

#include <cstdint>
#include <string>

namespace bpusim::report {

class Progress {
 public:
  // Enabled when stderr is a terminal.
  Progress(std::string label, int64_t total);
  Progress(std::string label, int64_t total, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(int64_t done);
  // Erases the bar (also done by the destructor).
  void finish();
  bool enabled() const { return enabled_; }

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  int shown_ = -1;  // percentage last drawn
};

}  // namespace bpusim::report
