#include "compiler/lower/layout.h"

#include "common/error.h"
#include "compiler/lower/tiling.h"

namespace bpusim::compiler {

namespace {

Image dense(int64_t addr, int64_t n, int64_t h, int64_t w, int64_t c, int64_t elem,
            int64_t pixel_stride) {
  Image im{addr, n, h, w, c, elem};
  im.pixel = pixel_stride > 0 ? pixel_stride : c * elem;
  im.row = w * im.pixel;
  im.batch = h * im.row;
  return im;
}

}  // namespace

std::optional<Image> image_4d(const TensorDesc& t) {
  if (t.shape.size() != 4) return std::nullopt;
  const int64_t n = t.shape[0], c = t.shape[1], h = t.shape[2], w = t.shape[3];
  const bool nhwc = t.layout == isa::TensorLayout::kNhwc && t.nchw == t.shape;
  const bool same_order = t.layout == isa::TensorLayout::kRowMajor && (h * w == 1 || c == 1);
  if (!nhwc && !same_order) return std::nullopt;
  return dense(t.ddr_addr, n, h, w, c, dtype_size(t.dtype), t.pixel_stride);
}

std::optional<Image> image_rows(const TensorDesc& t) {
  if (t.shape.empty()) return std::nullopt;
  const int64_t last = t.shape.back();
  const int64_t pixels = last == 0 ? 0 : numel(t.shape) / last;
  if (t.layout == isa::TensorLayout::kNhwc) {
    // NHWC bytes are logical-row-major only when the spatial size is 1.
    if (t.nchw.size() != 4 || t.nchw[2] * t.nchw[3] != 1 || t.nchw[1] != last) return std::nullopt;
  }
  return dense(t.ddr_addr, 1, 1, pixels, last, dtype_size(t.dtype), t.pixel_stride);
}

std::string memory_order_key(const TensorDesc& t) {
  if (t.layout == isa::TensorLayout::kNhwc) {
    const Shape& s = t.nchw;
    // NHWC coincides with NCHW row-major order when H*W == 1 or C == 1.
    if (s[2] * s[3] != 1 && s[1] != 1) return "nhwc" + shape_str(s);
  }
  return "flat" + std::to_string(numel(t.shape));
}

DmaBox coalesce(DmaBox b) {
  for (bool changed = true; changed;) {
    changed = false;
    if (b.n1 == 1 && b.n2 > 1) {  // an empty middle dimension: promote the outer one
      b.n1 = b.n2, b.stride1 = b.stride2, b.n2 = 1, b.stride2 = 0;
      changed = true;
    }
    if (b.n1 > 1 && b.stride1 == b.n0 && b.n0 * b.n1 <= kMaxRun) {
      b.n0 *= b.n1, b.n1 = b.n2, b.stride1 = b.stride2, b.n2 = 1, b.stride2 = 0;
      changed = true;
    }
  }
  if (b.n1 == 1) b.stride1 = 0;
  if (b.n2 == 1) b.stride2 = 0;
  return b;
}

DmaBox image_box(const Image& im, int64_t in, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                 int64_t c0, int64_t c1) {
  DmaBox b;
  b.dram = im.at(in, y0, x0, c0);
  b.n0 = (c1 - c0) * im.elem;
  b.n1 = x1 - x0;
  b.stride1 = im.pixel;
  b.n2 = y1 - y0;
  b.stride2 = im.row;
  return coalesce(b);
}

std::vector<DmaBox> linear_boxes(int64_t dram, int64_t len) {
  if (len <= kMaxRun) return {{dram, len, 1, 1, 0, 0}};
  constexpr int64_t kRun = 32768;
  std::vector<DmaBox> out{{dram, kRun, len / kRun, 1, kRun, 0}};
  if (len % kRun) out.push_back({dram + len / kRun * kRun, len % kRun, 1, 1, 0, 0});
  return out;
}

int64_t box_bytes(const DmaBox& b) {
  return b.n0 * b.n1 * b.n2;
}

isa::Operands dma(isa::Opcode op, int64_t buf, int64_t sram, const DmaBox& box) {
  check_invariant(box.n0 <= kMaxRun && box.n1 <= kMaxRun && box.n2 <= kMaxRun, "DMA dimensions ",
                  box.n0, "x", box.n1, "x", box.n2, " exceed 16 bits");
  isa::Operands o;
  o.opcode = static_cast<int64_t>(op);
  o.buf = buf;
  o.sram_addr = sram;
  o.dram_addr = box.dram;
  o.n0 = box.n0;
  o.n1 = box.n1;
  o.n2 = box.n2;
  o.dram_stride1 = box.stride1;
  o.dram_stride2 = box.stride2;
  return o;
}

}  // namespace bpusim::compiler
