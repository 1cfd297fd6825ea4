`default_nettype none
// requant_lane: the requantizer datapath of one output channel (docs/requantizer.md
// semantics, docs/microarch.md timing). Seven combinational steps:
//   1 bias      acc_b = wrap32(acc + bias)
//   2 scale     fixed: p = acc_b * mult (64-bit)        fp32: f = float(acc_b)
//   3 round     fixed: q = sat32(round_half_away(p / 2^shift))   fp32: f = f * scale
//   4 to int    fp32: q = sat32(round_half_even(f))
//   5 output    y1 = clamp(sat32(q + zp), min, max)
//   6 res. mac  s = wrap32(add_const + y1 * add_mult_a + res * add_mult_b)
//   7 res. out  y = wrap32(clamp(round_half_away(s / 2^add_shift),
//                                add_min - add_zp, add_max - add_zp) + add_zp)
// (step 7's bounds and sum are exact, 34-bit, like the golden reference's int64.)
// The clamps are also the saturation to uint8/int8: the record's bounds lie in the type's
// range (validated upstream), so the unit needs no separate type saturation and the output
// type (uint8 vs int8) does not change its arithmetic.
// int32 pass-through takes the fixed path with p = acc_b and shift 0 and
// skips the zero point, clamp and stage 2: y = acc_b. Without has_res the output is y1.
// DEPTH registers sit at step boundaries (regs_after); every register shares `en`, so the
// latency is DEPTH enabled cycles whatever the mode. The 448-bit record is the 64-byte
// parameter record (docs/isa.md) without its reserved tail, captured on rec_load.
module requant_lane #(
    parameter integer DEPTH = 4
) (
    input  wire         clk,
    input  wire         en,
    input  wire         rec_load,
    input  wire [447:0] rec_in,
    input  wire         cfg_fixed,       // 1: fixed mode, 0: fp32 mode
    input  wire         cfg_passthru,    // int32 pass-through (out_type int32)
    input  wire         cfg_has_res,     // run stage 2 with the residual byte
    input  wire         cfg_res_signed,  // residual byte is int8 (else uint8)
    input  wire [ 31:0] acc,
    input  wire [  7:0] res,
    output wire [ 31:0] y
);
  // Registers after step `step`: step 7 (the output) always has one; the other DEPTH - 1
  // go to the internal boundaries in the order 2, 5, 3, 6, 1, 4 (after the wide multiplies
  // first); more than six extra registers lengthen the output into a delay line.
  function integer regs_after(input integer step);
    integer rank;
    begin
      case (step)
        2: rank = 1;
        5: rank = 2;
        3: rank = 3;
        6: rank = 4;
        1: rank = 5;
        4: rank = 6;
        default: rank = 0;
      endcase
      if (step == 7) regs_after = (DEPTH > 7) ? DEPTH - 6 : 1;
      else regs_after = (DEPTH - 1 >= rank) ? 1 : 0;
    end
  endfunction

  // ---- the per-channel record (docs/isa.md byte offsets / 4 = word index)
  reg [447:0] rec;
  always @(posedge clk) if (rec_load) rec <= rec_in;
  wire [31:0] bias = rec[0*32+:32];
  wire [31:0] scale = rec[1*32+:32];
  wire [31:0] mult = rec[2*32+:32];
  wire [31:0] shift = rec[3*32+:32];
  wire [31:0] zp = rec[4*32+:32];
  wire [31:0] min1 = rec[5*32+:32];
  wire [31:0] max1 = rec[6*32+:32];
  wire [31:0] add_const = rec[7*32+:32];
  wire [31:0] add_mult_a = rec[8*32+:32];
  wire [31:0] add_mult_b = rec[9*32+:32];
  wire [31:0] add_shift = rec[10*32+:32];
  wire [31:0] add_zp = rec[11*32+:32];
  wire [31:0] add_min = rec[12*32+:32];
  wire [31:0] add_max = rec[13*32+:32];

  wire passthru = cfg_passthru;
  wire use_fixed = cfg_fixed || passthru;
  wire stage2 = cfg_has_res && !passthru;

  // Clamp to [lo, hi] as min(max(v, lo), hi), signed, for any width up to 34 bits.
  function [33:0] clamp(input [33:0] v, input [33:0] lo, input [33:0] hi);
    reg [33:0] m;
    begin
      m = ($signed(v) < $signed(lo)) ? lo : v;
      clamp = ($signed(m) > $signed(hi)) ? hi : m;
    end
  endfunction
  function [33:0] sext34(input [31:0] v);
    sext34 = {{2{v[31]}}, v};
  endfunction

  // ---- step 1: bias
  wire [31:0] s1_accb = acc + bias;
  wire [39:0] b1_q;
  pipe_delay #(
      .W(40),
      .N(regs_after(1))
  ) u_b1 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({res, s1_accb}),
      .q  (b1_q)
  );
  wire [ 7:0] b1_res = b1_q[39:32];
  wire [31:0] b1_accb = b1_q[31:0];

  // ---- step 2: fixed product / int-to-float
  wire [63:0] accb64 = {{32{b1_accb[31]}}, b1_accb};
  wire [63:0] s2_prod = passthru ? accb64 : accb64 * {{32{mult[31]}}, mult};
  wire        s2_fs;
  wire [ 9:0] s2_fe;
  wire [23:0] s2_fm;
  f32_from_int u_i2f (
      .a   (b1_accb),
      .sign(s2_fs),
      .exp (s2_fe),
      .mant(s2_fm)
  );
  wire [106:0] b2_q;
  pipe_delay #(
      .W(107),
      .N(regs_after(2))
  ) u_b2 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({b1_res, s2_prod, s2_fs, s2_fe, s2_fm}),
      .q  (b2_q)
  );
  wire [ 7:0] b2_res = b2_q[106:99];
  wire [63:0] b2_prod = b2_q[98:35];
  wire        b2_fs = b2_q[34];
  wire [ 9:0] b2_fe = b2_q[33:24];
  wire [23:0] b2_fm = b2_q[23:0];

  // ---- step 3: fixed rounding shift + saturation / float multiply by scale
  wire [63:0] s3_rounded;
  round_shift #(
      .W (64),
      .SW(6)
  ) u_rshift64 (
      .v (b2_prod),
      .sh(passthru ? 6'd0 : shift[5:0]),
      .r (s3_rounded)
  );
  wire s3_fits = (s3_rounded[63:31] == {33{1'b0}}) || (s3_rounded[63:31] == {33{1'b1}});
  wire [31:0] s3_q = s3_fits ? s3_rounded[31:0] : (s3_rounded[63] ? 32'h80000000 : 32'h7FFFFFFF);
  wire s3_ms;
  wire [9:0] s3_me;
  wire [23:0] s3_mm;
  f32_mul u_fmul (
      .a_sign(b2_fs),
      .a_exp (b2_fe),
      .a_mant(b2_fm),
      .b     (scale),
      .sign  (s3_ms),
      .exp   (s3_me),
      .mant  (s3_mm)
  );
  wire [74:0] b3_q;
  pipe_delay #(
      .W(75),
      .N(regs_after(3))
  ) u_b3 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({b2_res, s3_q, s3_ms, s3_me, s3_mm}),
      .q  (b3_q)
  );
  wire [ 7:0] b3_res = b3_q[74:67];
  wire [31:0] b3_qfix = b3_q[66:35];
  wire        b3_ms = b3_q[34];
  wire [ 9:0] b3_me = b3_q[33:24];
  wire [23:0] b3_mm = b3_q[23:0];

  // ---- step 4: float to int32
  wire [31:0] s4_qflt;
  f32_to_int u_f2i (
      .sign(b3_ms),
      .exp (b3_me),
      .mant(b3_mm),
      .q   (s4_qflt)
  );
  wire [31:0] s4_q = use_fixed ? b3_qfix : s4_qflt;
  wire [39:0] b4_q;
  pipe_delay #(
      .W(40),
      .N(regs_after(4))
  ) u_b4 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({b3_res, s4_q}),
      .q  (b4_q)
  );
  wire [ 7:0] b4_res = b4_q[39:32];
  wire [31:0] b4_qv = b4_q[31:0];

  // ---- step 5: zero point (saturating), clamp (activation and type range)
  wire [32:0] s5_sum = {b4_qv[31], b4_qv} + {zp[31], zp};
  wire [31:0] s5_zp = (s5_sum[32] == s5_sum[31]) ? s5_sum[31:0] :
                      (s5_sum[32] ? 32'h80000000 : 32'h7FFFFFFF);
  wire [33:0] s5_clamped = clamp(sext34(s5_zp), sext34(min1), sext34(max1));
  wire [31:0] s5_y1 = passthru ? b4_qv : s5_clamped[31:0];
  wire [39:0] b5_q;
  pipe_delay #(
      .W(40),
      .N(regs_after(5))
  ) u_b5 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({b4_res, s5_y1}),
      .q  (b5_q)
  );
  wire [ 7:0] b5_res = b5_q[39:32];
  wire [31:0] b5_y1 = b5_q[31:0];

  // ---- step 6: stage-2 multiply-add (wrapping int32)
  wire [31:0] res_ext = {{24{cfg_res_signed & b5_res[7]}}, b5_res};
  wire [31:0] s6_s = add_const + b5_y1 * add_mult_a + res_ext * add_mult_b;
  wire [63:0] b6_q;
  pipe_delay #(
      .W(64),
      .N(regs_after(6))
  ) u_b6 (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  ({b5_y1, s6_s}),
      .q  (b6_q)
  );
  wire [31:0] b6_y1 = b6_q[63:32];
  wire [31:0] b6_s = b6_q[31:0];

  // ---- step 7: stage-2 rounding shift, clamp, zero point; output select
  wire [31:0] s7_r;
  round_shift #(
      .W (32),
      .SW(5)
  ) u_rshift32 (
      .v (b6_s),
      .sh(add_shift[4:0]),
      .r (s7_r)
  );
  wire [33:0] s7_clamped = clamp(sext34(s7_r), sext34(add_min) - sext34(add_zp),
                                 sext34(add_max) - sext34(add_zp));
  wire [33:0] s7_y2 = s7_clamped + sext34(add_zp);
  pipe_delay #(
      .W(32),
      .N(regs_after(7))
  ) u_out (
      .clk(clk),
      .rst(1'b0),
      .en (en),
      .d  (stage2 ? s7_y2[31:0] : b6_y1),
      .q  (y)
  );

  // Shifts are validated to 0..62 and 0..31 upstream, so only their low bits reach the
  // shifters; step 5's clamp result is a sign-extended int32 and step 7 wraps to 32 bits, so
  // their top two bits are dropped on purpose.
  wire unused_ok = &{1'b0, shift[31:6], add_shift[31:5], s5_clamped[33:32], s7_y2[33:32]};
endmodule
`default_nettype wire
