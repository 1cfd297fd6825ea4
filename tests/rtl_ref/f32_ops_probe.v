`default_nettype none
// f32_ops_probe: test-only top that exposes vreq_route's IEEE single units
// (rtl_ref/core/f32_mul_ieee.v, f32_fma.v, f32_div.v) on one set of operands, so that
// test_vreq_route.cc can check each against the host's float arithmetic on arbitrary
// operands, beyond the ones vreq_route ever feeds them. Combinational.
module f32_ops_probe (
    input  wire [31:0] a,
    input  wire [31:0] b,
    input  wire [31:0] c,
    output wire [31:0] mul,  // a * b
    output wire [31:0] fma,  // fmaf(a, b, c)
    output wire [31:0] div   // a / b
);
  f32_mul_ieee u_mul (
      .a(a),
      .b(b),
      .p(mul)
  );
  f32_fma u_fma (
      .a(a),
      .b(b),
      .c(c),
      .r(fma)
  );
  f32_div u_div (
      .a(a),
      .b(b),
      .q(div)
  );
endmodule
`default_nettype wire
