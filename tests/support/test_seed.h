// Seeds of the randomized tests: fixed by default so that a failure in CI replays exactly,
// overridable to explore (BPUSIM_SEED=<n>), and printed with every test that uses one.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace bpusim::testing {

inline constexpr uint64_t kDefaultSeed = 20261206;

// BPUSIM_SEED when set, else kDefaultSeed; printed once per process.
inline uint64_t test_seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("BPUSIM_SEED");
    const uint64_t s = env ? std::strtoull(env, nullptr, 0) : kDefaultSeed;
    std::cout << "[ seed     ] BPUSIM_SEED=" << s << "\n";
    return s;
  }();
  return seed;
}

// A generator for the running test: test_seed() mixed with the test's full name, so that
// BPUSIM_SEED=<printed seed> --gtest_filter=<test> reproduces a failure alone.
inline std::mt19937_64 test_rng() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name =
      info ? std::string(info->test_suite_name()) + "." + info->name() : std::string();
  std::cout << "[ seed     ] BPUSIM_SEED=" << test_seed() << " for " << name << "\n";
  ::testing::Test::RecordProperty("BPUSIM_SEED", std::to_string(test_seed()));
  return std::mt19937_64(test_seed() ^ std::hash<std::string>{}(name));
}

}  // namespace bpusim::testing
