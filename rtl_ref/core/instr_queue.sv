`default_nettype none
// instr_queue: one instruction queue between fetch and an engine (docs/timing.md rule 1).
// A FIFO of up to `depth` (run-time, <= MAX_DEPTH) instructions with their CODE index.
// An entry written at the edge ending cycle c is visible (`valid`) from cycle c+1; `room`
// counts a dequeue in the same cycle (the engine takes the head while fetch writes the tail).
module instr_queue #(
    parameter int MAX_DEPTH = 1024
) (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic [ 31:0] depth,
    input  wire logic         enq,
    input  wire logic [255:0] enq_instr,
    input  wire logic [ 31:0] enq_index,
    input  wire logic         deq,
    output logic              valid,
    output logic      [255:0] head,
    output logic      [ 31:0] head_index,
    output logic              room,
    output logic      [ 31:0] count
);
  localparam int AW = $clog2(MAX_DEPTH);
  logic [255:0] instr_mem[MAX_DEPTH];
  logic [31:0] index_mem[MAX_DEPTH];
  logic [AW-1:0] rd, wr;

  assign valid = count != 0;
  assign head = instr_mem[rd];
  assign head_index = index_mem[rd];
  assign room = count < depth || deq;

  always_ff @(posedge clk) begin
    if (rst) begin
      rd <= '0;
      wr <= '0;
      count <= '0;
    end else begin
      if (enq) begin
        instr_mem[wr] <= enq_instr;
        index_mem[wr] <= enq_index;
        wr <= wr + 1'b1;
      end
      if (deq) rd <= rd + 1'b1;
      count <= count + (enq ? 32'd1 : 32'd0) - (deq ? 32'd1 : 32'd0);
    end
  end
endmodule
