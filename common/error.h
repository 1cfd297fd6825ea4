// User-facing errors. Anything a user can cause (a bad file, field, value or option)
// is reported by throwing bpusim::Error with a message that names the file, node or
// field and the offending value; the CLI catches it, prints it and exits non-zero.
// A broken internal invariant is an InternalError (check_invariant, checked in release builds
// too), which the CLI reports as an internal error (exit 4); modeled hardware faults are
// results, not errors.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace bpusim {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Concatenates every argument with operator<< into one message.
template <class... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

// Throws Error with the concatenated message.
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw Error(cat(std::forward<Parts>(parts)...));
}

// Throws Error with the message unless `condition` holds.
template <class... Parts>
void require(bool condition, Parts&&... parts) {
  if (!condition) fail(std::forward<Parts>(parts)...);
}

// A broken internal invariant: a bug in bpusim, never the user's input.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& what) : std::logic_error(what) {}
};

// Throws InternalError with the concatenated message unless `condition` holds.
template <class... Parts>
void check_invariant(bool condition, Parts&&... parts) {
  if (!condition)
    throw InternalError(cat("internal invariant violated (a bug in bpusim; please report it): ",
                            std::forward<Parts>(parts)...));
}

}  // namespace bpusim
