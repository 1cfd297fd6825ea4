`default_nettype none
// token_fifo: a dependency-token FIFO between two neighbouring queues (docs/timing.md rule 3):
// only a count matters. `push` at the edge ending a producer's last busy cycle is visible to
// the consumer from the next cycle (it may start then); `pop` when the consumer starts.
// Capacity `depth` (queue.token_depth): the producer only starts an instruction that pushes
// here while count < depth (registered: a pop in the same cycle frees room from the next), so
// a push can never overflow — each FIFO has a single producer with one instruction in flight.
module token_fifo (
    input  wire logic        clk,
    input  wire logic        rst,
    input  wire logic [31:0] depth,
    input  wire logic        push,
    input  wire logic        pop,
    output logic             avail,
    output logic             room,
    output logic      [31:0] count
);
  assign avail = count != 0;
  assign room = count < depth;
  always_ff @(posedge clk)
    if (rst) count <= '0;
    else count <= count + (push ? 32'd1 : 32'd0) - (pop ? 32'd1 : 32'd0);
endmodule
