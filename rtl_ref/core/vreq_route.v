`default_nettype none
// vreq_route: VREQ's float rescale routes (docs/requantizer.md 6, record field `route`),
// bit-exact with rescale_route() of sim/requant_math.h, before the output zero point and
// clamp:
//   route 1 mul: q = round_sat32((float(x - zx) * scale) * rescale_k)
//   route 2 fma: q = round_sat32(fmaf(scale, float(x), scale * float(-zx)) * rescale_k)
//   route 3 div: q = round_sat32((float(x - zx) * scale) / rescale_k)
//   (route 0, stage 1 on x - zx + bias, is not computed here: q is then don't-care.)
// Every operation is one IEEE single operation rounded to nearest even, with subnormal
// operands and results computed exactly (x86 SSE without flush-to-zero, as the C++ runs);
// round_sat32 rounds half to even and saturates to int32 (infinity included).
//
// Domain: x and zx are int32 (the vector unit feeds 8-bit values and zero points,
// -128..255; any int32 with x - zx and -zx free of overflow converts as C++ does), scale
// and rescale_k finite and > 0 (validated upstream). Then no operation ever sees a NaN
// operand or produces NaN: products of finite floats are finite or +-inf; +-inf times or
// divided by the finite nonzero rescale_k stays +-inf; the fma's a and b are finite, so an
// infinite offset (scale * -zx overflowing) is simply its result. An infinite t
// saturates like the C++'s !(t < 2^31) and t < -2^31 tests.
// The sign of a zero never reaches q: a +-0 intermediate stays +-0 through * rescale_k and
// / rescale_k and rounds to integer 0 either way. f32_fma still follows IEEE's zero signs.
//
// Route 1 and route 2 share the final multiplier (their last step is the same * rescale_k).
// Combinational.
module vreq_route (
    input  wire [ 1:0] route,      // 1 mul, 2 fma, 3 div (0: unused by this module, q don't-care)
    input  wire [31:0] x,          // the 8-bit input value, sign- or zero-extended to int32
    input  wire [31:0] zx,         // the input zero point (int32)
    input  wire [31:0] scale,      // IEEE single bits (finite, > 0; may be subnormal)
    input  wire [31:0] rescale_k,  // IEEE single bits (finite, > 0)
    output wire [31:0] q
);
  // int32 -> packed IEEE single, rounded like static_cast<float>(int32_t) (exact for
  // |v| <= 2^24, so for every 8-bit difference and zero point).
  function [31:0] pack(input s, input [7:0] e, input [23:0] m);
    pack = (m == 24'd0) ? {s, 31'd0} : {s, e + 8'd127, m[22:0]};
  endfunction

  wire [31:0] d = x - zx;
  wire [31:0] neg_zx = 32'd0 - zx;
  wire d_s, x_s, nz_s;
  wire [9:0] d_e, x_e, nz_e;
  wire [23:0] d_m, x_m, nz_m;
  f32_from_int u_d (
      .a   (d),
      .sign(d_s),
      .exp (d_e),
      .mant(d_m)
  );
  f32_from_int u_x (
      .a   (x),
      .sign(x_s),
      .exp (x_e),
      .mant(x_m)
  );
  f32_from_int u_nz (
      .a   (neg_zx),
      .sign(nz_s),
      .exp (nz_e),
      .mant(nz_m)
  );
  wire [31:0] f_d = pack(d_s, d_e[7:0], d_m);
  wire [31:0] f_x = pack(x_s, x_e[7:0], x_m);
  wire [31:0] f_nz = pack(nz_s, nz_e[7:0], nz_m);

  // routes 1 and 3: v = float(x - zx) * scale
  wire [31:0] v;
  f32_mul_ieee u_v (
      .a(f_d),
      .b(scale),
      .p(v)
  );

  // route 2: w = fmaf(scale, float(x), scale * float(-zx))
  wire [31:0] offset;
  f32_mul_ieee u_offset (
      .a(scale),
      .b(f_nz),
      .p(offset)
  );
  wire [31:0] w;
  f32_fma u_fma (
      .a(scale),
      .b(f_x),
      .c(offset),
      .r(w)
  );

  // t = v * k (route 1), w * k (route 2), v / k (route 3)
  wire [31:0] t_mul;
  f32_mul_ieee u_k (
      .a(route == 2'd2 ? w : v),
      .b(rescale_k),
      .p(t_mul)
  );
  wire [31:0] t_div;
  f32_div u_div (
      .a(v),
      .b(rescale_k),
      .q(t_div)
  );
  wire [31:0] t = (route == 2'd3) ? t_div : t_mul;

  // round_sat32(t): f32_to_int takes value = mant * 2^(exp - 23). A subnormal t (below
  // 2^-126, so rounding to 0) goes in unnormalized with exp = -126, which f32_to_int
  // rounds to 0 as well; infinity (exp = 128) saturates like any |t| >= 2^31.
  wire [ 7:0] t_be = t[30:23];
  wire [ 9:0] t_e = (t_be == 8'd0) ? -10'd126 : {2'b00, t_be} - 10'd127;
  wire [23:0] t_m = {t_be != 8'd0, t[22:0]};
  f32_to_int u_q (
      .sign(t[31]),
      .exp (t_e),
      .mant(t_m),
      .q   (q)
  );

  // f32_from_int's exponent is 0..31 for a nonzero int32: its low 8 bits are the value.
  wire unused_ok = &{1'b0, d_e[9:8], x_e[9:8], nz_e[9:8]};
endmodule
`default_nettype wire
