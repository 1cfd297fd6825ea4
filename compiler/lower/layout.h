// How tensors lie in DDR, and the DMA descriptors that move boxes of them.
//
// Every tensor has a logical (ONNX) shape and a memory layout:
//   kNhwc     the bytes are the row-major order of [N, H, W, C] of a 4-D [N, C, H, W] tensor
//             `nchw` (the logical shape may be a reshape of `nchw`, e.g. a Flatten alias);
//   kRowMajor the bytes are the row-major order of the logical shape.
// Integer 4-D tensors are NHWC (channels innermost, what CONV/POOL read); everything else is
// row-major. The BPU sees a tensor as an Image [n][h][w][c] of `elem`-byte elements with
// byte strides; a concat input that is stored straight into its channel slice of the concat
// output is an Image whose pixel stride is the concat output's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "ir/graph.h"
#include "isa/isa.h"
#include "isa/program_contract.h"

namespace bpusim::compiler {

// The descriptor of a tensor in DDR is the program contract's (isa/program_contract.h): the
// plan fills one per graph value and the program's TENSORS section carries the placed ones.
using isa::TensorDesc;

// Bytes of the innermost memory dimension group that is contiguous per "pixel": C for NHWC,
// the last dimension for row-major.
struct Image {
  int64_t addr = 0;
  int64_t n = 1, h = 1, w = 1, c = 1;
  int64_t elem = 1;
  int64_t pixel = 0, row = 0, batch = 0;  // byte strides
  int64_t at(int64_t in, int64_t y, int64_t x, int64_t ch) const {
    return addr + in * batch + y * row + x * pixel + ch * elem;
  }
};

// The NHWC image of a 4-D tensor whose memory order is NHWC: layout kNhwc with nchw == shape,
// or row-major with H*W == 1 or C == 1 (both orders coincide). nullopt otherwise.
std::optional<Image> image_4d(const TensorDesc& t);
// The [1][1][pixels][last] image of a tensor whose innermost memory axis is its logical last
// axis (row-major, or NHWC whose logical shape is exactly nchw with H*W == 1).
std::optional<Image> image_rows(const TensorDesc& t);

// Memory order identity: two tensors with equal keys have elements in the same order, so an
// elementwise op can run over their bytes directly.
std::string memory_order_key(const TensorDesc& t);

// A 3-D strided DMA (the LOAD/STORE fields): n0 contiguous bytes per run, n1 runs per plane,
// n2 planes.
struct DmaBox {
  int64_t dram = 0;
  int64_t n0 = 0, n1 = 1, n2 = 1;
  int64_t stride1 = 0, stride2 = 0;
};
// Box [y0,y1) x [x0,x1) x [c0,c1) of batch item `in` of `im`, coalesced.
DmaBox image_box(const Image& im, int64_t in, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                 int64_t c0, int64_t c1);
// Merges contiguous dimensions while the run fits 16 bits; drops unused strides.
DmaBox coalesce(DmaBox b);
// `len` contiguous bytes at `dram` as one box, or two when a 16-bit run cannot hold them
// (whole 32 KiB runs, then the rest); they go to consecutive SRAM bytes.
std::vector<DmaBox> linear_boxes(int64_t dram, int64_t len);
// A LOAD (into `buf` at `sram`) or STORE (from OUTPUT at `sram`) of `box`.
isa::Operands dma(isa::Opcode op, int64_t buf, int64_t sram, const DmaBox& box);
int64_t box_bytes(const DmaBox& b);

}  // namespace bpusim::compiler
