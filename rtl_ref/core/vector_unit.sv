`default_nettype none
// vector_unit: VADD, VREQ, VMUL, POOL, ARGMAX, COPY, VLUT, VBLEND and VFADD, VLANES elements
// per beat (docs/timing.md rule 8). A beat reads one group of up to VLANES bytes from its
// source:
//   VADD, VREQ, VMUL, COPY, VLUT, VFADD   ceil(n / VLANES) beats over the elements (VFADD
//                      first reads its two records, then computes f32_pkg::vfadd_value like
//                      VREQ's routes);
//   VBLEND             4 * ceil(n / VLANES) beats, one tap vector each; the fourth beat
//                      of a group computes it (f32_pkg::vblend_value) like VREQ's routes;
//   POOL max / avg     out_h*out_w * ceil(c / VLANES) * k_h*k_w beats (one kernel tap of a
//                      channel group each; padding taps read nothing but take their beat);
//   POOL global_avg    ceil(c / VLANES) * in_h*in_w beats;
//   ARGMAX             n * ceil(c / VLANES) beats (one channel group of one position each).
// VADD, VREQ, VMUL and average pooling first read their parameter record (one cycle) and
// compute with VLANES requantizer lanes (rtl_ref/requant_lane.v, requant.pipeline_depth
// stages): VADD is stage 2 behind an identity stage 1, VREQ route 0, VMUL (on the exact
// product (a - a_zp) * (b - b_zp); b repeats every b_period elements) and average pooling are
// stage 1,
// VREQ routes 1..3 are the float rescale f32_pkg::vreq_route (rtl_ref/f32_pkg.sv), computed
// in a clocked block on their beats only and delayed by DEPTH stages like the lanes. Max
// pooling, ARGMAX and COPY register their result once. VLUT first reads its 256-byte table,
// 64 bytes per cycle (four table cycles), then registers table[x] once per lane. A result is written to OUTPUT when
// it leaves its pipeline; `unit_fin` marks the cycle of the last write. With `conflict`
// (rule 9: two operands in one single-ported bank) every beat takes two cycles.
// Cycles: beats (x2 on conflict) + latency, latency = 1 + DEPTH for the record users, 4 + 1
// for VLUT, else 1.
module vector_unit #(
    parameter int VLANES = 32,
    parameter int DEPTH  = 4
) (
    input  wire logic          clk,
    input  wire logic          rst,
    input  wire logic          halt,
    input  wire logic [  63:0] cycle,
    /* verilator lint_off UNUSEDSIGNAL */  // only the pool mode of the configuration
    input  wire bpu_pkg::cfg_t cfg,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic          go,
    input  wire logic [ 255:0] instr,  // the engine's run_instr: from the go cycle to unit_fin
    input  wire logic          conflict,
    output logic               unit_fin,
    output logic               fault,
    output logic       [  3:0] fault_rule
);
  import bpu_pkg::*;

  logic conflict_q;
  /* verilator lint_off UNUSEDSIGNAL */  // the opcode's fields only
  wire [255:0] I = instr;  // held by the engine from the go cycle to unit_fin
  /* verilator lint_on UNUSEDSIGNAL */
  wire [5:0] op = `BPU_F_OPCODE(I);
  wire is_vadd = op == `BPU_OP_VADD, is_vreq = op == `BPU_OP_VREQ, is_pool = op == `BPU_OP_POOL;
  wire is_argmax = op == `BPU_OP_ARGMAX, is_copy = op == `BPU_OP_COPY, is_vlut = op == `BPU_OP_VLUT;
  wire is_vmul = op == `BPU_OP_VMUL, is_vblend = op == `BPU_OP_VBLEND, is_vfadd = op == `BPU_OP_VFADD;
  wire [1:0] kind = `BPU_F_KIND(I);
  wire uses_record = is_vadd || is_vreq || is_vmul || (is_pool && kind != 2'd0) || is_vlut || is_vblend ||
                     is_vfadd;
  wire elementwise = is_vadd || is_vreq || is_vmul || is_copy || is_vlut || is_vfadd;  // beats over n
  wire [31:0] n = 32'(`BPU_F_N(I)), c = 32'(`BPU_F_C(I));
  wire [31:0] in_h = 32'(`BPU_F_IN_H(I)), in_w = 32'(`BPU_F_IN_W(I));
  wire [31:0] out_h = 32'(`BPU_F_OUT_H(I)), out_w = 32'(`BPU_F_OUT_W(I));
  wire [31:0] k_h = 32'(`BPU_F_K_H(I)), k_w = 32'(`BPU_F_K_W(I));
  wire [31:0] groups = (c + VLANES - 1) / VLANES;
  wire [31:0] elem_beats = (n + VLANES - 1) / VLANES;
  wire [63:0] beats =
      elementwise ? 64'(elem_beats) :
      is_vblend ? 64'(elem_beats) * 4 :
      is_argmax ? 64'(n) * 64'(groups) :
      (is_pool && kind == 2'd2) ? 64'(groups) * 64'(in_h) * 64'(in_w) :
      is_pool ? 64'(out_h) * 64'(out_w) * 64'(groups) * 64'(k_h) * 64'(k_w) : 64'd0;
  wire fixed_stage1 = is_pool ? cfg.pool_fixed : `BPU_F_MODE(I) == 1'b1;
  wire in_signed = `BPU_F_IN_SIGNED(I) == 1'b1;
  wire [31:0] in_zp = 32'(signed'(`BPU_F_IN_ZP(I)));

  // ---- sequencing: the record cycle, then the beats ----
  typedef struct packed {
    logic        record;        // the parameter-record cycle (VLUT: the four table cycles)
    logic [1:0]  tbl;           // VLUT: the table cycle (64 bytes each)
    logic        sub;           // first cycle of a beat that takes two (conflict)
    logic [63:0] k;             // beats done
    logic [31:0] a, b, d, e, t; // beat position: see `advance`
  } seq_t;
  seq_t s_q, s;
  logic active;
  assign s = go ? '{record: uses_record, default: '0} : s_q;
  wire conflict_now = go ? conflict : conflict_q;
  wire running = go || active;
  wire beat_cycle = running && !s.record && s.k < beats;
  wire beat = beat_cycle && !(conflict_now && !s.sub);
  // The record phase ends (VLUT: four table cycles; VFADD: its two records).
  wire record_last = s.record && (is_vlut ? s.tbl == 2'd3 : is_vfadd ? s.tbl == 2'd1 : 1'b1);

  // Beat positions: VADD/VREQ/COPY: k. POOL max/avg: a = oy, b = ox, d = group, e = ky,
  // t = kx (innermost). POOL global: d = group, t = position. ARGMAX: a = position, d = group.
  function automatic seq_t advance(input seq_t x);
    seq_t y = x;
    y.k = x.k + 1;
    if (is_pool && kind != 2'd2) begin
      if (x.t != k_w - 1) y.t = x.t + 1;
      else begin
        y.t = 0;
        if (x.e != k_h - 1) y.e = x.e + 1;
        else begin
          y.e = 0;
          if (x.d != groups - 1) y.d = x.d + 1;
          else begin
            y.d = 0;
            if (x.b != out_w - 1) y.b = x.b + 1;
            else begin
              y.b = 0;
              y.a = x.a + 1;
            end
          end
        end
      end
    end else if (is_pool) begin
      if (x.t != in_h * in_w - 1) y.t = x.t + 1;
      else begin
        y.t = 0;
        y.d = x.d + 1;
      end
    end else if (is_argmax) begin
      if (x.d != groups - 1) y.d = x.d + 1;
      else begin
        y.d = 0;
        y.a = x.a + 1;
      end
    end
    return y;
  endfunction

  // ---- the beat's operands ----
  wire pool_window = is_pool && kind != 2'd2;
  wire first_tap = pool_window ? (s.e == 0 && s.t == 0) : is_pool ? s.t == 0 : s.d == 0;
  wire last_tap = pool_window ? (s.e == k_h - 1 && s.t == k_w - 1) :
                  is_pool ? s.t == in_h * in_w - 1 : s.d == groups - 1;
  wire signed [31:0] iy = $signed(s.a * 32'(`BPU_F_STRIDE_H(I))) - $signed(32'(`BPU_F_PAD_T(I))) + $signed(s.e);
  wire signed [31:0] ix = $signed(s.b * 32'(`BPU_F_STRIDE_W(I))) - $signed(32'(`BPU_F_PAD_L(I))) + $signed(s.t);
  wire tap_inside = !pool_window || (iy >= 0 && iy < $signed(in_h) && ix >= 0 && ix < $signed(in_w));
  wire [31:0] pos = pool_window ? 32'(iy) * in_w + 32'(ix) : is_pool ? s.t : s.a;

  logic [VLANES-1:0] lane_on;       // lane holds an element in this beat
  logic [VLANES*8-1:0] xa, xb;      // operand bytes (a / in / src, b)
  logic [63:0] out_base;            // OUTPUT address of lane 0's result
  always_comb begin
    logic [63:0] e0, addr;
    addr = '0;
    lane_on = '0;
    xa = '0;
    xb = '0;
    out_base = 64'(`BPU_F_OUT_ADDR(I));
    e0 = elementwise ? s.k * VLANES : is_vblend ? (s.k >> 2) * VLANES : 64'(s.d) * VLANES;
    if (is_copy) out_base = 64'(`BPU_F_DST_ADDR(I)) + e0;
    else if (is_vadd || is_vreq || is_vmul || is_vlut || is_vblend || is_vfadd) out_base = out_base + e0;
    else if (pool_window) out_base = out_base + (64'(s.a) * 64'(out_w) + 64'(s.b)) * 64'(c) + e0;
    else if (is_pool) out_base = out_base + e0;
    else out_base = out_base + 64'(s.a) * 4;  // ARGMAX: one int32 per position
    for (int l = 0; l < VLANES; l++) begin
      lane_on[l] = (elementwise || is_vblend) ? e0 + 64'(l) < 64'(n) : e0 + 64'(l) < 64'(c);
      if (beat && lane_on[l] && tap_inside) begin
        if (is_copy) addr = 64'(`BPU_F_SRC_ADDR(I)) + e0 + 64'(l);
        else if (is_vadd || is_vreq || is_vmul || is_vlut || is_vfadd) addr = 64'(`BPU_F_A_ADDR(I)) + e0 + 64'(l);
        else if (is_vblend) addr = 64'(`BPU_F_IN_ADDR(I)) + 64'(tap) * 64'(n) + e0 + 64'(l);
        else addr = 64'(`BPU_F_IN_ADDR(I)) + 64'(pos) * 64'(c) + e0 + 64'(l);
        xa[l*8+:8] = 8'(bpu_rd8(is_copy ? int'(`BPU_F_SRC_BUF(I)) : BUF_FEATURE, addr, cycle));
        if (is_vadd) xb[l*8+:8] = 8'(bpu_rd8(BUF_FEATURE, 64'(`BPU_F_B_ADDR(I)) + e0 + 64'(l), cycle));
        if (is_vmul || is_vfadd)
          xb[l*8+:8] = 8'(bpu_rd8(BUF_FEATURE, 64'(`BPU_F_B_ADDR(I)) + (`BPU_F_B_PERIOD(I) != 0 ?
                           (e0 + 64'(l)) % 64'(`BPU_F_B_PERIOD(I)) : e0 + 64'(l)), cycle));
      end
    end
  end

  // ---- the parameter record (read in the record cycle) and its rules; VLUT's table ----
  logic [511:0] record_rd;
  logic [2047:0] table_q;  // VLUT: PARAM[prm_addr .. prm_addr + 255]
  /* verilator lint_off UNUSEDSIGNAL */  // the route path's fields of the record
  logic [511:0] record_q;
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    record_rd = '0;
    if (running && s.record)
      for (int w = 0; w < 16; w++)
        record_rd[w*32+:32] = 32'(bpu_rd32(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(I)) + 64'(s.tbl) * 64 + 64'(w * 4), cycle));
  end
  wire [31:0] route = `BPU_REC_ROUTE(record_rd);
  wire bad_shift = (is_vreq || is_vmul || is_pool) && fixed_stage1 && `BPU_REC_SHIFT(record_rd) > 62;
  wire bad_add_shift = is_vadd && `BPU_REC_ADD_SHIFT(record_rd) > 31;
  wire bad_route = is_vreq && route > 3;
  wire bad_route_mode = is_vreq && route != 0 && fixed_stage1;
  assign fault = running && s.record && (bad_shift || bad_add_shift || bad_route || bad_route_mode);
  assign fault_rule = bad_shift ? RECF_SHIFT : bad_add_shift ? RECF_ADD_SHIFT :
                      bad_route ? RECF_ROUTE : RECF_ROUTE_MODE;
  // VADD runs stage 2 behind an identity stage 1 (fixed, mult 1, shift 0, zp 0, full clamp).
  /* verilator lint_off UNUSEDSIGNAL */  // requant_lane takes the record without the VREQ route
  logic [511:0] lane_record;
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    lane_record = record_rd;
    if (is_vadd) begin
      `BPU_REC_BIAS(lane_record) = 32'd0;
      `BPU_REC_MULT(lane_record) = 32'd1;
      `BPU_REC_SHIFT(lane_record) = 32'd0;
      `BPU_REC_ZP(lane_record) = 32'd0;
      `BPU_REC_MIN(lane_record) = 32'h8000_0000;
      `BPU_REC_MAX(lane_record) = 32'h7fff_ffff;
    end
  end

  // ---- running window state (pooling, ARGMAX) ----
  logic [VLANES*32-1:0] run_q, run_next;  // max or sum per lane
  logic [31:0] best_q, best_idx_q, best_next, best_idx_next;
  always_comb begin
    logic [31:0] base, v;
    logic found;
    run_next = run_q;
    for (int l = 0; l < VLANES; l++) begin
      v = byte_value(xa[l*8+:8], in_signed);
      if (is_pool && kind == 2'd0) begin
        base = first_tap ? (in_signed ? 32'hffff_ff80 : 32'd0) : run_q[l*32+:32];
        run_next[l*32+:32] = (tap_inside && $signed(v) > $signed(base)) ? v : base;
      end else begin
        base = first_tap ? 32'd0 : run_q[l*32+:32];
        run_next[l*32+:32] = tap_inside ? base + v - in_zp : base;
      end
    end
    best_next = best_q;
    best_idx_next = best_idx_q;
    found = !first_tap;
    for (int l = 0; l < VLANES; l++) begin
      v = byte_value(xa[l*8+:8], in_signed);
      if (lane_on[l] && (!found || $signed(v) > $signed(best_next))) begin
        best_next = v;
        best_idx_next = 32'(s.d) * VLANES + 32'(l);
        found = 1'b1;
      end
    end
  end

  // ---- requantizer lanes (VADD, VREQ route 0, average pooling) ----
  wire lane_path = is_vadd || is_vmul || (is_vreq && `BPU_REC_ROUTE(record_q) == 0) || (is_pool && kind != 2'd0);
  wire route_path = (is_vreq && `BPU_REC_ROUTE(record_q) != 0) || is_vblend || is_vfadd;
  // The route is known from the record cycle on (the record is read in the go cycle).
  wire lane_path_now = s.record ? (is_vadd || is_vmul || (is_vreq && route == 0) || (is_pool && kind != 2'd0)) : lane_path;
  wire route_path_now = s.record ? ((is_vreq && route != 0) || is_vblend || is_vfadd) : route_path;
  // VBLEND: beat k reads tap k % 4 of lane group k / 4; the fourth computes the group.
  wire [1:0] tap = s.k[1:0];
  wire emit = beat && ((is_pool || is_argmax) ? last_tap : is_vblend ? tap == 2'd3 : 1'b1);
  logic [VLANES*32-1:0] lane_y;
  for (genvar l = 0; l < VLANES; l++) begin : g_lane
    wire [31:0] a_val = is_vadd ? byte_value(xa[l*8+:8], `BPU_F_A_SIGNED(I) == 1'b1) :
                        is_vmul ? (byte_value(xa[l*8+:8], `BPU_F_A_SIGNED(I) == 1'b1) - 32'(signed'(`BPU_F_A_ZP(I)))) *
                                  (byte_value(xb[l*8+:8], `BPU_F_B_SIGNED(I) == 1'b1) - 32'(signed'(`BPU_F_B_ZP(I)))) :
                        is_vreq ? byte_value(xa[l*8+:8], in_signed) - in_zp : run_next[l*32+:32];
    requant_lane #(
        .DEPTH(DEPTH)
    ) lane (
        .clk(clk),
        .en(1'b1),
        .rec_load(running && s.record),
        .rec_in(lane_record[447:0]),
        .cfg_fixed(is_vadd ? 1'b1 : fixed_stage1),
        .cfg_passthru(1'b0),
        .cfg_has_res(is_vadd),
        .cfg_res_signed(`BPU_F_B_SIGNED(I) == 1'b1),
        .acc(a_val),
        .res(xb[l*8+:8]),
        .y(lane_y[l*32+:32])
    );
  end

  // ---- VREQ routes 1..3 (the float rescale), VBLEND, VFADD: the float paths ----
  // A float path's result after its zero point and clamp: clamp32(sat32(q + zp), lo, hi).
  function automatic logic [31:0] zp_clamp(input logic [31:0] q, input logic [31:0] zp,
                                           input logic [31:0] lo, input logic [31:0] hi);
    logic [31:0] qs, qlo;
    logic signed [32:0] qz;
    qz = $signed({q[31], q}) + $signed({zp[31], zp});
    qs = qz > 33'sd2147483647 ? 32'h7fff_ffff : qz < -33'sd2147483648 ? 32'h8000_0000 : qz[31:0];
    qlo = $signed(qs) < $signed(lo) ? lo : qs;
    return $signed(qlo) > $signed(hi) ? hi : qlo;
  endfunction
  // A lane's result: clamp32(sat32(q + zp), min, max) of the route's q.
  function automatic logic [31:0] route_result(input logic [7:0] x);
    logic [31:0] q;
    q = f32_pkg::vreq_route(`BPU_REC_ROUTE(record_q) [1:0], byte_value(x, in_signed), in_zp,
                            `BPU_REC_SCALE(record_q), `BPU_REC_RESCALE_K(record_q));
    return zp_clamp(q, `BPU_REC_ZP(record_q), `BPU_REC_MIN(record_q), `BPU_REC_MAX(record_q));
  endfunction
  // The clocked block computes route_q, route_result() of each lane, on a route beat only
  // (so the simulator evaluates the float datapath only then); route_q keeps its value on
  // the other cycles (route_out is off for their results). route_q is the first of DEPTH
  // stages (DEPTH >= 1: requant.pipeline_depth is 1..64): the value of a beat in cycle t
  // reaches the write stage in cycle t + DEPTH, with lane_meta_delay's entry of that beat.
  // VBLEND: a lane's result, sat32(round_sat32(v - zx) + zx) (the store saturates to 8 bits);
  // taps 0..2 come from taps_q (read in the group's first three beats), tap 3 from xa. The
  // weights are the record's words 0, 1 (h0, h1) and the pixel's pair after them in PARAM.
  logic [VLANES*24-1:0] taps_q;
  function automatic logic [31:0] blend_result(input int l);
    logic [31:0] q, w0, w1;
    logic [63:0] pixel, at;
    logic [1:0] contraction;
    pixel = ((s.k >> 2) * VLANES + 64'(l)) / 64'(c);
    at = 64'(`BPU_F_PRM_ADDR(I)) + 8 + 8 * pixel;
    w0 = 32'(bpu_rd32(BUF_PARAM, at, cycle));
    w1 = 32'(bpu_rd32(BUF_PARAM, at + 4, cycle));
    contraction = `BPU_F_CONTRACTION(I) == 1'b0 ? 2'd0 :
                  ((s.k >> 2) * VLANES + 64'(l)) % 64'(c) < 64'(`BPU_F_N_VEC(I)) ? 2'd1 : 2'd2;
    q = f32_pkg::vblend_value(contraction, byte_value(taps_q[l*24+:8], in_signed),
                              byte_value(taps_q[l*24+8+:8], in_signed),
                              byte_value(taps_q[l*24+16+:8], in_signed),
                              byte_value(xa[l*8+:8], in_signed), w0, w1,
                              record_q[31:0], record_q[63:32], in_zp);
    return zp_clamp(q, in_zp, 32'h8000_0000, 32'h7fff_ffff);
  endfunction
  // VFADD: a lane's result, clamp32(sat32(q + zp), min, max) of record a's fields; record a is
  // the first of the two (rec_a_q), record b's scale is record_q's.
  /* verilator lint_off UNUSEDSIGNAL */  // its scale, rescale_k, zp, min and max only
  logic [511:0] rec_a_q;
  /* verilator lint_on UNUSEDSIGNAL */
  function automatic logic [31:0] vfadd_result(input int l);
    logic [31:0] q;
    logic fused;
    fused = `BPU_F_CONTRACTION(I) == 1'b1 &&
            (s.k * VLANES + 64'(l)) % 64'(`BPU_F_GROUP(I)) < 64'(`BPU_F_N_VEC(I));
    q = f32_pkg::vfadd_value(fused, byte_value(xa[l*8+:8], `BPU_F_A_SIGNED(I) == 1'b1),
                             32'(signed'(`BPU_F_A_ZP(I))), `BPU_REC_SCALE(rec_a_q),
                             byte_value(xb[l*8+:8], `BPU_F_B_SIGNED(I) == 1'b1),
                             32'(signed'(`BPU_F_B_ZP(I))), `BPU_REC_SCALE(record_q),
                             `BPU_REC_RESCALE_K(rec_a_q));
    return zp_clamp(q, `BPU_REC_ZP(rec_a_q), `BPU_REC_MIN(rec_a_q), `BPU_REC_MAX(rec_a_q));
  endfunction
  logic [VLANES*32-1:0] route_q, route_d;
  pipe_valid #(
      .W(VLANES * 32),
      .N(DEPTH - 1)
  ) route_delay (
      .clk(clk),
      .rst(rst),
      .d(route_q),
      .q(route_d)
  );

  // ---- write stage ----
  typedef struct packed {
    logic              valid;  // write this result
    logic              last;   // the instruction's last write (or its empty drain)
    logic [63:0]       addr;
    logic [VLANES-1:0] on;
  } meta_t;
  meta_t lane_meta_in, lane_meta, reg_meta_in, reg_meta;
  logic [VLANES*32-1:0] reg_data_in, reg_data;
  wire last_beat = s.k == beats - 1;
  wire empty_drain = running && record_last && beats == 0;  // no beat: drain the latency only
  always_comb begin
    lane_meta_in = '0;
    reg_meta_in = '0;
    reg_data_in = '0;
    if ((lane_path_now || route_path_now) && (emit || empty_drain)) begin
      lane_meta_in.valid = emit;
      lane_meta_in.last = empty_drain || last_beat;
      lane_meta_in.addr = out_base;
      lane_meta_in.on = lane_on;
    end
    if (!(lane_path_now || route_path_now) && (emit || empty_drain)) begin
      reg_meta_in.valid = emit;
      reg_meta_in.last = empty_drain || last_beat;
      reg_meta_in.addr = out_base;
      reg_meta_in.on = lane_on;
      for (int l = 0; l < VLANES; l++)
        reg_data_in[l*32+:32] = is_copy ? {24'd0, xa[l*8+:8]} :
                                is_vlut ? {24'd0, table_q[{xa[l*8+:8] ^ (in_signed ? 8'h80 : 8'h00), 3'b000}+:8]} :
                                run_next[l*32+:32];
      if (is_argmax) reg_data_in[31:0] = best_idx_next;
    end
  end
  logic route_out;  // the result leaving the lane pipeline came from the route path
  pipe_valid #(
      .W($bits(meta_t) + 1),
      .N(DEPTH)
  ) lane_meta_delay (
      .clk(clk),
      .rst(rst),
      .d({lane_meta_in, route_path_now}),
      .q({lane_meta, route_out})
  );
  pipe_valid #(
      .W($bits(meta_t) + VLANES * 32),
      .N(1)
  ) reg_delay (
      .clk(clk),
      .rst(rst),
      .d({reg_meta_in, reg_data_in}),
      .q({reg_meta, reg_data})
  );

  wire out_signed = is_pool ? in_signed : `BPU_F_OUT_SIGNED(I) == 1'b1;
  assign unit_fin = (go && !uses_record && beats == 0) ||
                    (active && ((lane_meta.last) || (reg_meta.last)));

  always_ff @(posedge clk) begin
    // VREQ routes 1..3 (halted or not, like the requantizer lanes and the delay lines)
    if (beat && is_vfadd)
      for (int l = 0; l < VLANES; l++) if (lane_on[l]) route_q[l*32+:32] <= vfadd_result(l);
    if (beat && route_path_now && !is_vblend && !is_vfadd)
      for (int l = 0; l < VLANES; l++) route_q[l*32+:32] <= route_result(xa[l*8+:8]);
    if (beat && is_vblend && tap != 2'd3)
      for (int l = 0; l < VLANES; l++) taps_q[l*24+8*int'(tap)+:8] <= xa[l*8+:8];
    if (emit && is_vblend)
      for (int l = 0; l < VLANES; l++) if (lane_on[l]) route_q[l*32+:32] <= blend_result(l);
    if (rst) begin
      conflict_q <= 1'b0;
      active <= 1'b0;
      s_q <= '0;
      record_q <= '0;
      rec_a_q <= '0;
      table_q <= '0;
      run_q <= '0;
      best_q <= '0;
      best_idx_q <= '0;
    end else if (!halt) begin
      if (go) begin
        conflict_q <= conflict;
        active <= uses_record || beats != 0;
      end
      s_q <= s;
      if (running && s.record) begin
        record_q <= record_rd;
        if (is_vfadd && s.tbl == 2'd0) rec_a_q <= record_rd;
        if (is_vlut) table_q[{s.tbl, 9'd0}+:512] <= record_rd;
        s_q.tbl <= s.tbl + 2'd1;
        s_q.record <= !record_last;
      end else if (beat_cycle) begin
        if (beat) begin
          s_q <= advance(s);
          s_q.sub <= 1'b0;
        end else s_q.sub <= 1'b1;
      end
      if (beat) begin
        run_q <= run_next;
        best_q <= best_next;
        best_idx_q <= best_idx_next;
      end
      if (lane_meta.valid)
        for (int l = 0; l < VLANES; l++)
          if (lane_meta.on[l])
            bpu_wr8(BUF_OUTPUT, lane_meta.addr + 64'(l),
                    int'(sat8(route_out ? route_d[l*32+:32] : lane_y[l*32+:32], out_signed)));
      if (reg_meta.valid) begin
        if (is_argmax) bpu_wr32(BUF_OUTPUT, reg_meta.addr, int'(reg_data[31:0]));
        else
          for (int l = 0; l < VLANES; l++)
            if (reg_meta.on[l]) bpu_wr8(BUF_OUTPUT, reg_meta.addr + 64'(l), int'(reg_data[l*32+:8]));
      end
      if (unit_fin && !go) active <= 1'b0;
    end
  end
endmodule
