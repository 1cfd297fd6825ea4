// The backends `bpusim` can run a program on (runtime/backend.h), by name: the one place of
// the command line that knows the implementations. `run`, `verify` and `profile` take
// --backend NAME; `demo` and `sweep` use the SystemC model.
#pragma once

#include <memory>
#include <string>

#include "runtime/backend.h"

namespace bpusim::cli {

inline constexpr const char* kDefaultBackend = "systemc";

// A new backend; bpusim::Error "unknown backend 'X'; available: ..." for any other name.
std::unique_ptr<runtime::Backend> make_backend(const std::string& name);

// The help line of a --backend option: every name with what it is.
std::string backend_option_help();

}  // namespace bpusim::cli
