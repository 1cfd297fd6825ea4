`default_nettype none
// requant: LANES-wide requantizer pipeline (docs/microarch.md, the contract shared with
// the SystemC model; arithmetic per docs/requantizer.md, implemented in requant_lane). A tile:
//   1. LOAD: up to LANES parameter beats on p_* (lane 0 first), each one 64-byte record of
//      docs/isa.md (byte i at p_record[8i +: 8]) plus the tile's mode flags (captured on
//      every beat; the driver holds them constant). The beat with p_last (or lane LANES-1)
//      ends the load: a tile of K channels loads K beats; lanes not loaded keep their old
//      records and their results are meaningless (the driver discards them). p_ready is 1
//      throughout: K cycles.
//   2. STREAM: accumulator vectors on in_* (LANES int32 + LANES residual bytes), one per
//      cycle when in_valid && in_ready. The beat with in_last ends the input.
//   3. DRAIN: waits until the tile's last output is taken (out_valid && out_ready &&
//      out_last), because the parameters are used by every stage; LOAD follows next cycle.
// Each vector leaves on out_* DEPTH enabled cycles after it was accepted, as LANES int32
// values (uint8/int8 results lie in their type's range: the record's clamp bounds do).
// Back pressure: one stall domain, en = !out_valid || out_ready; in_ready = STREAM && en.
module requant #(
    parameter integer LANES = 32,
    parameter integer DEPTH = 4
) (
    input wire clk,
    input wire rst,

    input  wire         p_valid,
    output wire         p_ready,
    input  wire         p_last,        // this beat is the tile's last record
    input  wire [511:0] p_record,
    input  wire         p_fixed,       // 1: fixed mode, 0: fp32 mode
    input  wire         p_passthru,    // int32 pass-through (REQUANT out_type 2)
    input  wire         p_has_res,     // stage 2 (fused residual add) runs
    input  wire         p_res_signed,  // residual bytes are int8 (else uint8)

    input  wire                in_valid,
    output wire                in_ready,
    input  wire [LANES*32-1:0] in_acc,    // word l = accumulator of lane l
    input  wire [ LANES*8-1:0] in_res,    // byte l = residual operand of lane l
    input  wire                in_last,

    output wire                out_valid,
    input  wire                out_ready,
    output wire [LANES*32-1:0] out_data,  // word l = result of lane l
    output wire                out_last
);
  localparam integer LB = (LANES > 1) ? $clog2(LANES) : 1;  // lane counter width
  localparam [1:0] LOAD = 2'd0, STREAM = 2'd1, DRAIN = 2'd2;

  reg [1:0] state;
  reg [LB-1:0] p_lane;
  wire en = !out_valid || out_ready;
  assign p_ready  = (state == LOAD);
  assign in_ready = (state == STREAM) && en;
  wire p_fire = p_valid && p_ready;
  wire in_fire = in_valid && in_ready;
  wire out_fire_last = out_valid && out_ready && out_last;
  wire p_last_lane = p_last || ({{(32 - LB) {1'b0}}, p_lane} == LANES - 1);

  always @(posedge clk) begin
    if (rst) begin
      state  <= LOAD;
      p_lane <= {LB{1'b0}};
    end else begin
      case (state)
        LOAD:
        if (p_fire) begin
          p_lane <= p_last_lane ? {LB{1'b0}} : p_lane + 1'b1;
          if (p_last_lane) state <= STREAM;
        end
        STREAM: if (in_fire && in_last) state <= DRAIN;
        default: if (out_fire_last) state <= LOAD;
      endcase
    end
  end

  // Tile configuration, captured with every parameter beat.
  reg cfg_fixed, cfg_has_res, cfg_res_signed;
  reg cfg_passthru;
  always @(posedge clk)
    if (p_fire) begin
      cfg_fixed      <= p_fixed;
      cfg_passthru   <= p_passthru;
      cfg_has_res    <= p_has_res;
      cfg_res_signed <= p_res_signed;
    end

  wire unused_ok = &{1'b0, p_record[511:448]};  // reserved record bytes 56..63

  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : g_lane
      requant_lane #(
          .DEPTH(DEPTH)
      ) u_lane (
          .clk           (clk),
          .en            (en),
          .rec_load      (p_fire && {{(32 - LB) {1'b0}}, p_lane} == l),
          .rec_in        (p_record[447:0]),
          .cfg_fixed     (cfg_fixed),
          .cfg_passthru  (cfg_passthru),
          .cfg_has_res   (cfg_has_res),
          .cfg_res_signed(cfg_res_signed),
          .acc           (in_acc[l*32+:32]),
          .res           (in_res[l*8+:8]),
          .y             (out_data[l*32+:32])
      );
    end
  endgenerate

  // Valid and last bits travel through the same DEPTH stages.
  wire [1:0] vl;
  pipe_delay #(
      .W(2),
      .N(DEPTH),
      .RESET(1)
  ) u_valid (
      .clk(clk),
      .rst(rst),
      .en (en),
      .d  ({in_fire && in_last, in_fire}),
      .q  (vl)
  );
  assign out_valid = vl[0];
  assign out_last  = vl[1];
endmodule
`default_nettype wire
