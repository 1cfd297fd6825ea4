`default_nettype none
// pipe_delay: N back-to-back registers sharing one enable. q is d delayed by N enabled
// clock edges; N = 0 is a plain wire. RESET = 1 clears the registers while rst is high
// (for valid bits); data registers use RESET = 0 because valid bits qualify them.
// This is the register primitive of the stall-able pipelines (docs/microarch.md; the MAC
// array's tapped delays are written out because their output stage varies): every stage of a
// unit shares the unit's enable, so the whole pipeline advances or holds.
module pipe_delay #(
    parameter integer W = 1,
    parameter integer N = 1,
    parameter integer RESET = 0
) (
    input  wire         clk,
    input  wire         rst,
    input  wire         en,
    input  wire [W-1:0] d,
    output wire [W-1:0] q
);
  generate
    if (N == 0) begin : g_wire
      wire unused_ok = &{1'b0, clk, rst, en};
      assign q = d;
    end else begin : g_regs
      // Stage k (0 = nearest to d) lives at bits [W*k +: W].
      reg [W*N-1:0] r;
      if (N == 1) begin : g_one
        always @(posedge clk)
          if (RESET != 0 && rst) r <= {W * N{1'b0}};
          else if (en) r <= d;
      end else begin : g_many
        always @(posedge clk)
          if (RESET != 0 && rst) r <= {W * N{1'b0}};
          else if (en) r <= {r[W*(N-1)-1:0], d};
      end
      assign q = r[W*N-1-:W];
    end
  endgenerate
endmodule
`default_nettype wire
