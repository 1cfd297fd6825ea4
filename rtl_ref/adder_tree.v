`default_nettype none
// adder_tree: pipelined sum of N signed leaves. Level k (1 .. ceil(log2 N)) registers
// ceil(N / 2^k) partial sums: node j of level k adds nodes 2j and 2j+1 of level k-1, or
// passes node 2j through when it has no partner (odd count). Every level is one register
// stage gated by en, so sum is the leaves of ceil(log2 N) enabled edges ago (N = 1: no
// stage, sum = leaf). All nodes use the output width OW = IW + ceil(log2 N), which cannot
// overflow.
module adder_tree #(
    parameter integer N  = 32,
    parameter integer IW = 18,
    parameter integer OW = IW + $clog2(N)
) (
    input  wire          clk,
    input  wire          en,
    input  wire [N*IW-1:0] leaves,
    output wire [OW-1:0] sum
);
  localparam integer LEVELS = $clog2(N);
  genvar k, j;
  generate
    if (LEVELS == 0) begin : g_no_stage
      wire unused_ok = &{1'b0, clk, en};
    end
    for (k = 0; k <= LEVELS; k = k + 1) begin : g_lvl
      localparam integer NK = (N + (1 << k) - 1) >> k;  // nodes on this level
      wire [NK*OW-1:0] v;
      if (k == 0) begin : g_leaf
        for (j = 0; j < N; j = j + 1) begin : g_ext
          if (OW > IW) begin : g_sext
            assign v[j*OW+:OW] = {{(OW - IW) {leaves[j*IW+IW-1]}}, leaves[j*IW+:IW]};
          end else begin : g_same
            assign v[j*OW+:OW] = leaves[j*IW+:IW];
          end
        end
      end else begin : g_add
        localparam integer NP = (N + (1 << (k - 1)) - 1) >> (k - 1);  // nodes one level down
        for (j = 0; j < NK; j = j + 1) begin : g_node
          reg [OW-1:0] s;
          if (2 * j + 1 < NP) begin : g_pair
            always @(posedge clk)
              if (en) s <= g_lvl[k-1].v[2*j*OW+:OW] + g_lvl[k-1].v[(2*j+1)*OW+:OW];
          end else begin : g_pass
            always @(posedge clk) if (en) s <= g_lvl[k-1].v[2*j*OW+:OW];
          end
          assign v[j*OW+:OW] = s;
        end
      end
    end
  endgenerate
  assign sum = g_lvl[LEVELS].v;
endmodule
`default_nettype wire
