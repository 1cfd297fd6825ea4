`default_nettype none
// queue_engine: the execution side of one instruction queue (LOAD, COMPUTE or STORE),
// docs/timing.md rules 3 and 10. One instruction at a time, in queue order:
//   issue  the engine is free and its queue has an instruction: it takes the head (the slot
//          frees in this cycle) and holds it until it can start;
//   start  every token it pops is there, every token FIFO it pushes into has room, its
//          operands and accesses are legal and its SRAM banks are free (`banks_ok`): the
//          tokens are popped, the unit gets `go` with the instruction in this cycle;
//   end    the unit raises `unit_fin` in its last busy cycle; at that edge the tokens are
//          pushed and the engine is free again, so the next instruction may start in the
//          following cycle (start = end of the previous one when nothing else waits).
// An illegal instruction (fault_in != 0 once its tokens are there) raises `fault` instead
// of starting. Absent token FIFOs (LOAD has no previous queue, STORE no next) are tied off
// by the parent with avail = room = 1.
module queue_engine (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic         halt,
    // queue
    input  wire logic         q_valid,
    input  wire logic [255:0] q_head,
    input  wire logic [ 31:0] q_index,
    output logic              q_deq,
    // tokens
    input  wire logic         prev_avail,
    input  wire logic         next_avail,
    input  wire logic         prev_room,
    input  wire logic         next_room,
    output logic              pop_prev,
    output logic              pop_next,
    output logic              push_prev,
    output logic              push_next,
    // the candidate instruction (issued or at the head), for the parent's checks
    output logic              cand_valid,
    output logic      [255:0] cand,
    output logic      [ 31:0] cand_index,
    input  wire logic         banks_ok,
    input  wire logic [  7:0] fault_in,
    // the unit
    output logic              go,
    input  wire logic         unit_fin,
    output logic              busy,
    output logic      [255:0] run_instr,
    output logic      [ 31:0] run_index,
    // events and state for the counters
    output logic              ev_issue,
    output logic              wait_token,
    output logic              wait_bank,
    output logic              fault
);
  logic held;  // issued, not started
  logic [255:0] held_instr;
  logic [31:0] held_index;

  wire free = !busy;
  assign ev_issue = free && !held && q_valid && !halt;
  assign q_deq = ev_issue;
  assign cand_valid = free && (held || q_valid) && !halt;
  assign cand = held ? held_instr : q_head;
  assign cand_index = held ? held_index : q_index;

  wire need_prev = `BPU_F_POP_PREV(cand) == 1'b1;
  wire need_next = `BPU_F_POP_NEXT(cand) == 1'b1;
  wire give_prev = `BPU_F_PUSH_PREV(cand) == 1'b1;
  wire give_next = `BPU_F_PUSH_NEXT(cand) == 1'b1;
  wire tokens_ok = (!need_prev || prev_avail) && (!need_next || next_avail) &&
                   (!give_prev || prev_room) && (!give_next || next_room);
  assign fault = cand_valid && tokens_ok && fault_in != 8'd0;
  assign go = cand_valid && tokens_ok && fault_in == 8'd0 && banks_ok;
  assign wait_token = cand_valid && !tokens_ok;
  assign wait_bank = cand_valid && tokens_ok && fault_in == 8'd0 && !banks_ok;
  assign pop_prev = go && need_prev;
  assign pop_next = go && need_next;

  // The instruction in the unit: the candidate in its start cycle, then the latched copy.
  logic [255:0] running;
  logic [31:0] running_index;
  assign run_instr = go ? cand : running;
  assign run_index = go ? cand_index : running_index;
  wire fin = (go || busy) && unit_fin;
  assign push_prev = fin && `BPU_F_PUSH_PREV(run_instr) == 1'b1;
  assign push_next = fin && `BPU_F_PUSH_NEXT(run_instr) == 1'b1;

  always_ff @(posedge clk) begin
    if (rst) begin
      held <= 1'b0;
      busy <= 1'b0;
      held_instr <= '0;
      held_index <= '0;
      running <= '0;
      running_index <= '0;
    end else if (!halt) begin
      if (go) begin
        held <= 1'b0;
        running <= cand;
        running_index <= cand_index;
        busy <= !unit_fin;
      end else begin
        if (ev_issue) begin
          held <= 1'b1;
          held_instr <= q_head;
          held_index <= q_index;
        end
        if (busy && unit_fin) busy <= 1'b0;
      end
    end
  end
endmodule
