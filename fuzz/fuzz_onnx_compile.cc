// ONNX import (ir/onnx_import.h) and the whole compiler (compiler/compile.h) on a fuzzed
// model: a serialized onnx.ModelProto. Bytes that protobuf cannot parse are rejected before
// bpusim sees them (the CLI reports that as bad input). A compiled program must disassemble
// and survive its own container format.
#include <onnx/onnx_pb.h>

#include "compiler/compile.h"
#include "fuzz/fuzz_util.h"
#include "ir/onnx_import.h"
#include "isa/assembler.h"
#include "isa/container.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto proto;
  // What import_onnx(path) rejects before the proto import (ir/onnx_import.cc).
  if (!proto.ParseFromArray(data, static_cast<int>(size)) || proto.ir_version() <= 0) return 0;
  static const bpusim::HwConfig hw = bpusim::fuzz::small_hw();
  bpusim::fuzz::expect_user_error_or_success([&] {
    bpusim::ir::OnnxModel model = bpusim::ir::import_onnx(proto, "fuzz.onnx");
    bpusim::ir::folded_bias_warning(model);
    const bpusim::compiler::CompileResult r =
        bpusim::compiler::compile_graph(std::move(model.graph), hw, model.source);
    bpusim::isa::disassemble(r.program.code);
    const bpusim::isa::Program back =
        bpusim::isa::read_program(bpusim::isa::write_program(r.program), "round trip");
    bpusim::check_invariant(back == r.program, "a compiled program changes through .bpu bytes");
  });
  return 0;
}
