`default_nettype none
// vreq_route: VREQ's float rescale routes (docs/requantizer.md 6, record field `route`),
// bit-exact with rescale_route() of sim/requant_math.h, before the output zero point and
// clamp: f32_pkg::vreq_route (rtl_ref/f32_pkg.sv, which documents the arithmetic) at
// ports. The vector unit calls the function itself, on the route path's beats only; this
// module is the test top of tests/rtl_ref/test_vreq_route.cc. Combinational.
module vreq_route (
    input  wire [ 1:0] route,      // 1 mul, 2 fma, 3 div (0: unused by this module, q don't-care)
    input  wire [31:0] x,          // the 8-bit input value, sign- or zero-extended to int32
    input  wire [31:0] zx,         // the input zero point (int32)
    input  wire [31:0] scale,      // IEEE single bits (finite, > 0; may be subnormal)
    input  wire [31:0] rescale_k,  // IEEE single bits (finite, > 0)
    output wire [31:0] q
);
  assign q = f32_pkg::vreq_route(route, x, zx, scale, rescale_k);
endmodule
`default_nettype wire
