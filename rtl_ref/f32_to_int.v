`default_nettype none
// f32_to_int: rounds an unpacked float (f32_from_int's format) to the nearest integer,
// ties to even (C++ std::nearbyint in the default rounding mode), saturated to int32.
// Combinational: f32_pkg::f32_to_int (f32_pkg.sv) at ports.
module f32_to_int (
    input  wire        sign,
    input  wire [ 9:0] exp,
    input  wire [23:0] mant,
    output wire [31:0] q
);
  assign q = f32_pkg::f32_to_int({sign, exp, mant});
endmodule
`default_nettype wire
