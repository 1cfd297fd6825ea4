`default_nettype none
// requant_unit: REQUANT on the requantizer pipeline (rtl_ref/requant.v, LANES = ROWS lanes,
// DEPTH stages), docs/timing.md rule 7. The channels are split into tiles of LANES; a tile
// loads the parameter records of its channels from PARAM (one per cycle, the last beat
// flagged p_last: a tile of K channels loads K records, the other lanes' results are not
// written), streams one vector of LANES accumulators (and residual bytes) per pixel, and
// drains before the next tile loads (the records are read by every stage). Results go to
// OUTPUT as int32 (pass-through) or saturated to the 8-bit out_type.
// Cycles: n_ch + ceil(n_ch / LANES) * (n_pix + DEPTH); one cycle when there is nothing.
// A record the mode cannot use (shift outside 0..62 in fixed mode, add_shift outside 0..31
// with the residual add) raises `fault` with the record's channel when it is loaded.
module requant_unit #(
    parameter int LANES = 32,
    parameter int DEPTH = 4
) (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic         halt,
    input  wire logic [ 63:0] cycle,
    input  wire logic         go,
    input  wire logic [255:0] instr,  // the engine's run_instr: from the go cycle to unit_fin
    output logic              unit_fin,
    output logic              fault,
    output logic      [  3:0] fault_rule,
    output logic      [ 31:0] fault_record
);
  import bpu_pkg::*;

  /* verilator lint_off UNUSEDSIGNAL */  // the opcode's fields only
  wire [255:0] I = instr;  // held by the engine from the go cycle to unit_fin
  /* verilator lint_on UNUSEDSIGNAL */
  wire [31:0] n_pix = 32'(`BPU_F_N_PIX(I)), n_ch = 32'(`BPU_F_N_CH(I));
  wire [31:0] tiles = (n_ch + LANES - 1) / LANES;
  wire empty = tiles == 0 || n_pix == 0;
  wire passthru = `BPU_F_OUT_TYPE(I) == 2'd2;
  wire fixed = `BPU_F_MODE(I) == 1'b1;
  wire has_res = `BPU_F_HAS_RES(I) == 1'b1;

  typedef enum logic [1:0] {
    LOAD,
    STREAM,
    DRAIN
  } phase_t;
  phase_t phase_q, phase;
  logic [31:0] tile_q, lane_q, pix_q, tile, lane, pix, out_pix;
  logic active;
  assign phase = go ? LOAD : phase_q;
  assign tile = go ? 32'd0 : tile_q;
  assign lane = go ? 32'd0 : lane_q;
  assign pix = go ? 32'd0 : pix_q;
  wire run = (go || active) && !empty;

  logic p_valid, p_ready, in_valid, in_ready, out_valid, out_last;
  logic [511:0] record;
  logic [LANES*32-1:0] in_acc, out_data;
  logic [LANES*8-1:0] in_res;
  requant #(
      .LANES(LANES),
      .DEPTH(DEPTH)
  ) pipeline (
      .clk(clk),
      .rst(rst),
      .p_valid(p_valid),
      .p_ready(p_ready),
      .p_last(lane == tile_lanes - 1),
      .p_record(record),
      .p_fixed(fixed),
      .p_passthru(passthru),
      .p_has_res(has_res),
      .p_res_signed(`BPU_F_RES_SIGNED(I)),
      .in_valid(in_valid),
      .in_ready(in_ready),
      .in_acc(in_acc),
      .in_res(in_res),
      .in_last(pix == n_pix - 1),
      .out_valid(out_valid),
      .out_ready(1'b1),
      .out_data(out_data),
      .out_last(out_last)
  );

  wire [31:0] rec_ch = tile * LANES + lane;
  // Channels of the current tile: LANES, or what is left of n_ch in the last tile.
  wire [31:0] tile_lanes = n_ch - tile * LANES < LANES ? n_ch - tile * LANES : LANES;
  assign p_valid = run && phase == LOAD;
  assign in_valid = run && phase == STREAM;
  always_comb begin
    record = '0;
    if (p_valid && rec_ch < n_ch)
      for (int w = 0; w < 16; w++)
        record[w*32+:32] = 32'(bpu_rd32(BUF_PARAM, 64'(`BPU_F_PRM_ADDR(I)) + 64'(rec_ch) * 64 +
                                        64'(w * 4), cycle));
  end
  always_comb begin
    logic [31:0] ch;
    logic [63:0] e;
    ch = '0;
    e = '0;
    in_acc = '0;
    in_res = '0;
    if (in_valid)
      for (int l = 0; l < LANES; l++) begin
        ch = tile * LANES + 32'(l);
        e = 64'(pix) * 64'(n_ch) + 64'(ch);
        if (ch < n_ch) begin
          in_acc[l*32+:32] = 32'(bpu_rd32(BUF_ACC, 64'(`BPU_F_ACC_ADDR(I)) + e * 4, cycle));
          if (has_res) in_res[l*8+:8] = 8'(bpu_rd8(BUF_FEATURE, 64'(`BPU_F_RES_ADDR(I)) + e, cycle));
        end
      end
  end

  // Record rules (docs/timing.md memory access rules), checked as each record loads.
  wire [31:0] shift = `BPU_REC_SHIFT(record), add_shift = `BPU_REC_ADD_SHIFT(record);
  wire bad_shift = fixed && !passthru && shift > 62;  // negative values are huge unsigned
  wire bad_add_shift = has_res && !passthru && add_shift > 31;
  assign fault = p_valid && rec_ch < n_ch && (bad_shift || bad_add_shift);
  assign fault_rule = bad_shift ? RECF_SHIFT : RECF_ADD_SHIFT;
  assign fault_record = rec_ch;

  wire last_tile = tile_q == tiles - 1;
  assign unit_fin = (go && empty) || (active && out_valid && out_last && last_tile);

  always_ff @(posedge clk) begin
    if (rst) begin
      active <= 1'b0;
      phase_q <= LOAD;
      tile_q <= '0;
      lane_q <= '0;
      pix_q <= '0;
      out_pix <= '0;
    end else if (!halt) begin
      if (go) begin
        active <= !empty;
        out_pix <= '0;
      end
      phase_q <= phase;
      tile_q <= tile;
      lane_q <= lane;
      pix_q <= pix;
      if (p_valid && p_ready) begin
        if (lane == tile_lanes - 1) begin
          phase_q <= STREAM;
          lane_q <= 0;
        end else lane_q <= lane + 1;
      end
      if (in_valid && in_ready) begin
        if (pix == n_pix - 1) begin
          phase_q <= DRAIN;
          pix_q <= 0;
        end else pix_q <= pix + 1;
      end
      if (active && out_valid) begin
        for (int l = 0; l < LANES; l++) begin
          logic [31:0] ch;
          logic [63:0] e;
          ch = tile_q * LANES + 32'(l);
          e = 64'(out_pix) * 64'(n_ch) + 64'(ch);
          if (ch < n_ch) begin
            if (passthru) bpu_wr32(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(I)) + e * 4, int'(out_data[l*32+:32]));
            else
              bpu_wr8(BUF_OUTPUT, 64'(`BPU_F_OUT_ADDR(I)) + e,
                      int'(sat8(out_data[l*32+:32], `BPU_F_OUT_TYPE(I) == 2'd1)));
          end
        end
        if (out_last) begin
          out_pix <= 0;
          if (last_tile) active <= 1'b0;
          else begin
            tile_q <= tile_q + 1;
            phase_q <= LOAD;
          end
        end else out_pix <= out_pix + 1;
      end
    end
  end
endmodule
