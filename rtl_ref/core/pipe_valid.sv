`default_nettype none
// pipe_valid: an N-stage delay line of W bits (N >= 0; N = 0 is a wire). The vector unit's
// result metadata travels beside its datapath through it.
module pipe_valid #(
    parameter int W = 1,
    parameter int N = 1
) (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic [W-1:0] d,
    output logic      [W-1:0] q
);
  if (N == 0) begin : g_wire
    assign q = d;
    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_ok = clk | rst;  // a wire needs no clock
    /* verilator lint_on UNUSEDSIGNAL */
  end else begin : g_regs
    logic [W-1:0] stage[N];
    always_ff @(posedge clk) begin
      if (rst) for (int k = 0; k < N; k++) stage[k] <= '0;
      else begin
        stage[0] <= d;
        for (int k = 1; k < N; k++) stage[k] <= stage[k-1];
      end
    end
    assign q = stage[N-1];
  end
endmodule
