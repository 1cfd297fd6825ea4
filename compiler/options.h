// Choices of the compiler that are not hardware: they change the program but not the machine
// it runs on, so they are not HwConfig keys (a key would change the program's hardware hash and
// make the runtime refuse a program that runs fine).
#pragma once

namespace bpusim::compiler {

struct CompileOptions {
  // Tensors whose lifetimes do not overlap share DDR (docs/compiler.md section 3). Off: every
  // tensor keeps its own bytes, so after a run each one still holds its value — what
  // `bpusim verify` needs to compare every layer; the program then needs more DDR.
  bool ddr_reuse = true;
};

}  // namespace bpusim::compiler
