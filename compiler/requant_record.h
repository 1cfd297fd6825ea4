// The one conversion from the IR's requantizer channel (ir::RequantChannel, ir/op_set.h) to
// the ISA's 64-byte parameter record (isa::ParamRecord, isa/param_record.h): the fields the
// compiler writes into PARAMS, and the records the co-simulation tests hand to each backend.
//
// Why here: ir/ may not see isa/ (the reference interpreter links ir/ and must stay free of the
// ISA), and isa/ may not see ir/ (the ISA is the contract the runtime and every hardware model
// link, without the compiler's IR). The compiler is the one component that turns IR into records,
// so the header lives in compiler/; it is header-only and has its own target,
// bpusim::requant_record (bpusim::ir + bpusim::isa), so that the tests converting channels
// need not link the compiler (ONNX, protobuf) to use it.
#pragma once

#include "ir/op_set.h"
#include "isa/param_record.h"

namespace bpusim::compiler {

// Stage-1 and stage-2 fields as the channel has them; route and rescale_k (VREQ's float
// rescale, not part of a channel) stay 0.
inline isa::ParamRecord param_record(const ir::RequantChannel& c) {
  isa::ParamRecord r;
  r.bias = c.bias;
  r.scale = c.scale;
  r.mult = c.mult;
  r.shift = c.shift;
  r.zp = c.zp;
  r.min = c.min;
  r.max = c.max;
  r.add_const = c.add.add_const;
  r.add_mult_a = c.add.add_mult_a;
  r.add_mult_b = c.add.add_mult_b;
  r.add_shift = c.add.add_shift;
  r.add_zp = c.add.add_zp;
  r.add_min = c.add.add_min;
  r.add_max = c.add.add_max;
  return r;
}

}  // namespace bpusim::compiler
