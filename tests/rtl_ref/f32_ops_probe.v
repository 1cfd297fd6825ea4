`default_nettype none
// f32_ops_probe: test-only top that exposes vreq_route's IEEE single functions
// (f32_pkg::f32_mul_ieee, f32_fma, f32_div of rtl_ref/f32_pkg.sv) on one set of operands,
// so that test_vreq_route.cc can check each against the host's float arithmetic on
// arbitrary operands, beyond the ones vreq_route ever feeds them. Combinational.
module f32_ops_probe (
    input  wire [31:0] a,
    input  wire [31:0] b,
    input  wire [31:0] c,
    output wire [31:0] mul,  // a * b
    output wire [31:0] fma,  // fmaf(a, b, c)
    output wire [31:0] div   // a / b
);
  assign mul = f32_pkg::f32_mul_ieee(a, b);
  assign fma = f32_pkg::f32_fma(a, b, c);
  assign div = f32_pkg::f32_div(a, b);
endmodule
`default_nettype wire
