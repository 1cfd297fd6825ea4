`default_nettype none
// f32_from_int: converts an int32 to IEEE single precision, rounding to nearest even
// (C++ static_cast<float>(int32_t)). The result is unpacked: value = (-1)^sign * mant *
// 2^(exp - 23) with mant in [2^23, 2^24), or mant = 0 for zero. exp is unbiased, signed.
// Combinational.
module f32_from_int (
    input  wire [31:0] a,
    output wire        sign,
    output wire [ 9:0] exp,
    output wire [23:0] mant
);
  wire [31:0] mag = a[31] ? -a : a;  // |-2^31| = 2^31 fits as unsigned

  // Leading-zero count of mag (32 when mag = 0).
  reg [5:0] lz;
  integer i;
  always @* begin
    lz = 6'd32;
    for (i = 0; i < 32; i = i + 1) if (mag[i]) lz = 6'd31 - i[5:0];
  end

  wire [31:0] norm = mag << lz[4:0];  // bit 31 set unless mag = 0
  wire guard = norm[7];
  wire sticky = |norm[6:0];
  wire round_up = guard && (sticky || norm[8]);
  wire [24:0] rounded = {1'b0, norm[31:8]} + {24'd0, round_up};
  wire carry_out = rounded[24];  // rounded up to the next power of two

  assign sign = a[31];
  assign exp  = 10'd31 - {4'd0, lz} + {9'd0, carry_out};
  assign mant = carry_out ? 24'h800000 : rounded[23:0];
endmodule
`default_nettype wire
