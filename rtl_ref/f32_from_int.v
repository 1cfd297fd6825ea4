`default_nettype none
// f32_from_int: converts an int32 to IEEE single precision, rounding to nearest even
// (C++ static_cast<float>(int32_t)). The result is unpacked: value = (-1)^sign * mant *
// 2^(exp - 23) with mant in [2^23, 2^24), or mant = 0 for zero. exp is unbiased, signed.
// Combinational: f32_pkg::f32_from_int (f32_pkg.sv) at ports.
module f32_from_int (
    input  wire [31:0] a,
    output wire        sign,
    output wire [ 9:0] exp,
    output wire [23:0] mant
);
  assign {sign, exp, mant} = f32_pkg::f32_from_int(a);
endmodule
`default_nettype wire
