// Little-endian byte order helpers for the binary formats of isa/ (instructions, the .bpu
// container, parameter records). Internal to isa/.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace bpusim::isa {

// Writes `value` to p[0 .. sizeof(T)), least significant byte first.
template <std::unsigned_integral T>
void put_le(uint8_t* p, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// Reads a T from p[0 .. sizeof(T)), least significant byte first.
template <std::unsigned_integral T>
T get_le(const uint8_t* p) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<T>(T{p[i]} << (8 * i));
  return value;
}

}  // namespace bpusim::isa
