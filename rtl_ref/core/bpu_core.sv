`default_nettype none
// bpu_core: the whole BPU (docs/microarch.md "The core"). Fetch reads one instruction per
// cycle from the instruction memory and dispatches it into the LOAD, COMPUTE or STORE queue
// (queue.depth entries each); three engines execute their queues concurrently and meet
// only through the four dependency-token FIFOs (L2C, C2L, C2S, S2C; queue.token_depth
// each), the SRAM bank ports and the shared DDR port. LOAD and STORE drive one DMA channel
// each; COMPUTE drives the MAC array (CONV), the requantizer (REQUANT), the vector unit
// (VADD, VREQ, VMUL, POOL, ARGMAX, COPY, VLUT, VBLEND, VFADD) or takes one cycle (NOP, FINISH).
//
// Verilog parameters are the structure (array, lanes, pipeline depth); every other
// hardware key is a run-time input (`cfg_*`), so one build runs any memory, DDR and queue
// configuration. A run: hold `rst` for a clock, then the core runs the segment from cycle 0
// (`cycle`) until `done` (everything drained), `fault` (an illegal instruction; the core
// halts with its index and code) or `stuck` (no engine can ever proceed: a deadlock).
// The ev_* outputs report what happens in each cycle, for the harness's counters.
module bpu_core #(
    parameter int ROWS = 32,
    parameter int COLS = 32,
    parameter int RQ_DEPTH = 4,
    parameter int VLANES = 32,
    parameter int MAX_QUEUE = 1024
) (
    input  wire logic        clk,
    input  wire logic        rst,
    // segment
    input  wire logic [31:0] n_instr,      // instructions in the segment
    input  wire logic [31:0] first_index,  // CODE index of the first one
    // configuration (docs/hardware.md)
    input  wire logic [63:0] cfg_sram_bytes_feature,
    input  wire logic [63:0] cfg_sram_bytes_weight,
    input  wire logic [63:0] cfg_sram_bytes_acc,
    input  wire logic [63:0] cfg_sram_bytes_output,
    input  wire logic [63:0] cfg_sram_bytes_param,
    input  wire logic [15:0] cfg_banks_feature,
    input  wire logic [15:0] cfg_banks_weight,
    input  wire logic [15:0] cfg_banks_acc,
    input  wire logic [15:0] cfg_banks_output,
    input  wire logic [ 1:0] cfg_ports,
    input  wire logic [63:0] cfg_ddr_bytes,
    input  wire logic [31:0] cfg_ddr_bytes_per_cycle,
    input  wire logic [31:0] cfg_ddr_latency,
    input  wire logic [31:0] cfg_ddr_burst,
    input  wire logic [31:0] cfg_queue_depth,
    input  wire logic [31:0] cfg_token_depth,
    input  wire logic        cfg_pool_fixed,
    // status
    output logic      [63:0] cycle,
    output logic             done,
    output logic             stuck,
    output logic             fault,
    output logic      [ 7:0] fault_code,
    output logic      [31:0] fault_index,
    output logic      [ 1:0] fault_engine,  // 0 load, 1 compute, 2 store, 3 fetch
    output logic      [31:0] fault_detail,
    output logic      [63:0] fault_addr,     // the access of a range/alignment fault
    output logic      [63:0] fault_bytes,
    // per-cycle events (engine e: bit e; indices are CODE indices)
    output logic             ev_dispatch,
    output logic      [31:0] ev_dispatch_index,
    output logic             ev_fetch_stall,
    output logic      [ 2:0] ev_issue,
    output logic      [ 2:0] ev_start,
    output logic      [ 2:0] ev_end,          // last busy cycle: the instruction ends next cycle
    output logic      [31:0] ev_index_load,   // the instruction the engine issues/starts/ends
    output logic      [31:0] ev_index_compute,
    output logic      [31:0] ev_index_store,
    output logic      [ 2:0] ev_wait_token,
    output logic      [ 2:0] ev_wait_bank,
    output logic             ev_conflict,     // COMPUTE starts with rule 9's doubled beats
    output logic      [63:0] ev_bus_load,     // bus bytes of the transfer LOAD starts
    output logic      [63:0] ev_bus_store,
    output logic      [ 1:0] ev_ddr_transfers,
    output logic      [31:0] q_count_load,
    output logic      [31:0] q_count_compute,
    output logic      [31:0] q_count_store,
    output logic      [31:0] tokens_l2c,
    output logic      [31:0] tokens_c2l,
    output logic      [31:0] tokens_c2s,
    output logic      [31:0] tokens_s2c
);
  import bpu_pkg::*;
  localparam int LD = 0, CP = 1, ST = 2;

  // The configuration and the segment are sampled while `rst` is held: the core runs from
  // registers, not from its input pins.
  cfg_t cfg, cfg_in;
  logic [31:0] n_instr_q, first_index_q;
  always_ff @(posedge clk)
    if (rst) begin
      cfg <= cfg_in;
      n_instr_q <= n_instr;
      first_index_q <= first_index;
    end
  assign cfg_in = '{
          sram_bytes_feature: cfg_sram_bytes_feature,
          sram_bytes_weight: cfg_sram_bytes_weight,
          sram_bytes_acc: cfg_sram_bytes_acc,
          sram_bytes_output: cfg_sram_bytes_output,
          sram_bytes_param: cfg_sram_bytes_param,
          banks_feature: cfg_banks_feature,
          banks_weight: cfg_banks_weight,
          banks_acc: cfg_banks_acc,
          banks_output: cfg_banks_output,
          ports: cfg_ports,
          ddr_bytes: cfg_ddr_bytes,
          ddr_bytes_per_cycle: cfg_ddr_bytes_per_cycle,
          ddr_latency: cfg_ddr_latency,
          ddr_burst: cfg_ddr_burst,
          queue_depth: cfg_queue_depth,
          token_depth: cfg_token_depth,
          pool_fixed: cfg_pool_fixed
      };

  logic halt;
  assign halt = fault;

  always_ff @(posedge clk)
    if (rst) cycle <= '0;
    else if (!halt) cycle <= cycle + 1;

  // ---------------- fetch and dispatch (rule 1) ----------------
  logic [31:0] pc;
  logic fetch_done;
  logic [255:0] fetched;
  always_comb begin
    fetched = '0;
    if (!fetch_done && !halt)
      for (int w = 0; w < 4; w++) fetched[w*64+:64] = 64'(bpu_fetch(int'(pc), w, cycle));
  end
  wire [5:0] fetched_op = `BPU_F_OPCODE(fetched);
  wire [1:0] target = `BPU_QUEUE_OF(fetched_op);
  logic [2:0] q_room, q_valid, q_deq;
  wire fetch_bad = !fetch_done && !halt && target == 2'd3;
  wire fetching = !fetch_done && !halt && n_instr_q != 0 && target != 2'd3;
  wire enq_ok = fetching && q_room[target];
  assign ev_dispatch = enq_ok;
  assign ev_dispatch_index = first_index_q + pc;
  assign ev_fetch_stall = fetching && !q_room[target];
  always_ff @(posedge clk) begin
    if (rst) begin
      pc <= '0;
      fetch_done <= n_instr == 0;
    end else if (enq_ok) begin
      pc <= pc + 1;
      if (fetched_op == `BPU_OP_FINISH || pc + 1 == n_instr_q) fetch_done <= 1'b1;
    end
  end

  // ---------------- queues ----------------
  logic [255:0] q_head[3];
  logic [31:0] q_index[3], q_count[3];
  for (genvar e = 0; e < 3; e++) begin : g_queue
    instr_queue #(
        .MAX_DEPTH(MAX_QUEUE)
    ) queue (
        .clk(clk),
        .rst(rst),
        .depth(cfg.queue_depth),
        .enq(enq_ok && target == 2'(e)),
        .enq_instr(fetched),
        .enq_index(first_index_q + pc),
        .deq(q_deq[e]),
        .valid(q_valid[e]),
        .head(q_head[e]),
        .head_index(q_index[e]),
        .room(q_room[e]),
        .count(q_count[e])
    );
  end
  assign q_count_load = q_count[LD];
  assign q_count_compute = q_count[CP];
  assign q_count_store = q_count[ST];

  // ---------------- tokens (rule 3) ----------------
  logic [2:0] pop_prev, pop_next, push_prev, push_next;
  logic l2c_avail, l2c_room, c2l_avail, c2l_room, c2s_avail, c2s_room, s2c_avail, s2c_room;
  token_fifo l2c (.clk(clk), .rst(rst), .depth(cfg.token_depth), .push(push_next[LD]),
                  .pop(pop_prev[CP]), .avail(l2c_avail), .room(l2c_room), .count(tokens_l2c));
  token_fifo c2l (.clk(clk), .rst(rst), .depth(cfg.token_depth), .push(push_prev[CP]),
                  .pop(pop_next[LD]), .avail(c2l_avail), .room(c2l_room), .count(tokens_c2l));
  token_fifo c2s (.clk(clk), .rst(rst), .depth(cfg.token_depth), .push(push_next[CP]),
                  .pop(pop_prev[ST]), .avail(c2s_avail), .room(c2s_room), .count(tokens_c2s));
  token_fifo s2c (.clk(clk), .rst(rst), .depth(cfg.token_depth), .push(push_prev[ST]),
                  .pop(pop_next[CP]), .avail(s2c_avail), .room(s2c_room), .count(tokens_s2c));
  // token FIFO of engine e toward its previous / next queue (absent: always there, never full)
  wire [2:0] prev_avail = {c2s_avail, l2c_avail, 1'b1};
  wire [2:0] next_avail = {1'b1, s2c_avail, c2l_avail};
  wire [2:0] prev_room = {s2c_room, c2l_room, 1'b1};
  wire [2:0] next_room = {1'b1, c2s_room, l2c_room};

  // ---------------- engines, their checks and bank claims (rule 10) ----------------
  logic [2:0] cand_valid, unit_fin, busy, engine_fault, wait_token, wait_bank;
  // go and banks_ok chain through the engines' priority (LOAD, COMPUTE, STORE): bit by bit.
  logic [2:0] go  /*verilator split_var*/;
  logic [2:0] banks_ok  /*verilator split_var*/;
  logic [255:0] cand[3], run_instr[3];
  logic [31:0] cand_index[3], run_index[3];
  accesses_t cand_acc[3];
  bank_ranges_t want[3], held[3];
  logic [7:0] cand_fault[3];
  for (genvar e = 0; e < 3; e++) begin : g_engine
    queue_engine engine (
        .clk(clk),
        .rst(rst),
        .halt(halt),
        .q_valid(q_valid[e]),
        .q_head(q_head[e]),
        .q_index(q_index[e]),
        .q_deq(q_deq[e]),
        .prev_avail(prev_avail[e]),
        .next_avail(next_avail[e]),
        .prev_room(prev_room[e]),
        .next_room(next_room[e]),
        .pop_prev(pop_prev[e]),
        .pop_next(pop_next[e]),
        .push_prev(push_prev[e]),
        .push_next(push_next[e]),
        .cand_valid(cand_valid[e]),
        .cand(cand[e]),
        .cand_index(cand_index[e]),
        .banks_ok(banks_ok[e]),
        .fault_in(cand_fault[e]),
        .go(go[e]),
        .unit_fin(unit_fin[e]),
        .busy(busy[e]),
        .run_instr(run_instr[e]),
        .run_index(run_index[e]),
        .ev_issue(ev_issue[e]),
        .wait_token(wait_token[e]),
        .wait_bank(wait_bank[e]),
        .fault(engine_fault[e])
    );
    always_comb begin
      cand_acc[e] = decode_accesses(cand[e]);
      cand_fault[e] = operand_fault(cand[e]);
      if (cand_fault[e] == 8'd0) cand_fault[e] = access_fault(cand_acc[e], cfg);
      want[e] = cand_valid[e] ? bank_ranges(cand_acc[e], cfg) : '0;
    end
    always_ff @(posedge clk)
      if (rst) held[e] <= '0;
      else if (!halt) begin
        if (go[e]) held[e] <= want[e];
        else if (unit_fin[e]) held[e] <= '0;
      end
  end
  // What the other engines hold, plus what a higher-priority engine claims in this cycle
  // (LOAD before COMPUTE before STORE).
  bank_ranges_t held_now[3];
  for (genvar e = 0; e < 3; e++) begin : g_held
    assign held_now[e] = busy[e] ? held[e] : '0;
  end
  wire bank_ranges_t load_claim = go[LD] ? want[LD] : held_now[LD];
  wire bank_ranges_t compute_claim = go[CP] ? want[CP] : held_now[CP];
  function automatic logic free_of(input bank_ranges_t mine, input bank_ranges_t x,
                                   input bank_ranges_t y, input logic [1:0] ports);
    return ports == 2'd1 ? !sets_meet(mine, x) && !sets_meet(mine, y) : !sets_meet3(mine, x, y);
  endfunction
  // The DMA order (rule 5): every LOAD and STORE that moves data enters this FIFO at dispatch,
  // in program order, and starts only at its head; the head pops at the start, so from the
  // next cycle the next one may start (one per cycle). Its waits count as bank waits.
  localparam int ORDER_DEPTH = 2 * MAX_QUEUE + 4;
  logic order_store[ORDER_DEPTH];  // 1: STORE, 0: LOAD
  logic [31:0] order_head, order_tail, order_count;
  logic [2:0] moves, order_ok;
  for (genvar e = 0; e < 3; e++) begin : g_moves
    assign moves[e] = e != CP && dma_moves(cand[e]);
  end
  wire order_push = enq_ok && dma_moves(fetched);
  wire order_pop = (go[LD] && moves[LD]) || (go[ST] && moves[ST]);
  assign order_ok[LD] = !moves[LD] || (order_count != 0 && !order_store[order_head]);
  assign order_ok[CP] = 1'b1;
  assign order_ok[ST] = !moves[ST] || (order_count != 0 && order_store[order_head]);
  always_ff @(posedge clk)
    if (rst) begin
      order_head <= '0;
      order_tail <= '0;
      order_count <= '0;
    end else if (!halt) begin
      if (order_push) begin
        order_store[order_tail] <= `BPU_F_OPCODE(fetched) == `BPU_OP_STORE;
        order_tail <= order_tail + 1 == ORDER_DEPTH ? '0 : order_tail + 1;
      end
      if (order_pop) order_head <= order_head + 1 == ORDER_DEPTH ? '0 : order_head + 1;
      order_count <= order_count + 32'(order_push) - 32'(order_pop);
    end
  assign banks_ok[LD] = order_ok[LD] && free_of(want[LD], held_now[CP], held_now[ST], cfg.ports);
  assign banks_ok[CP] = free_of(want[CP], load_claim, held_now[ST], cfg.ports);
  assign banks_ok[ST] = order_ok[ST] && free_of(want[ST], load_claim, compute_claim, cfg.ports);

  assign ev_start = go;
  assign ev_end = unit_fin & (go | busy);
  assign ev_wait_token = wait_token;
  assign ev_wait_bank = wait_bank;
  assign ev_index_load = (go[LD] || busy[LD]) ? run_index[LD] : cand_index[LD];
  assign ev_index_compute = (go[CP] || busy[CP]) ? run_index[CP] : cand_index[CP];
  assign ev_index_store = (go[ST] || busy[ST]) ? run_index[ST] : cand_index[ST];

  // ---------------- LOAD / STORE: DMA channels on the shared DDR port (rules 4, 5) ----------
  logic load_active, store_active;
  logic [63:0] load_rate, store_rate;
  logic load_flight, store_flight;
  ddr_port port (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .bytes_per_cycle(cfg.ddr_bytes_per_cycle),
      .load_go(go[LD] && moves[LD]),
      .store_go(go[ST] && moves[ST]),
      .load_flight(load_flight),
      .store_flight(store_flight),
      .load_active(load_active),
      .store_active(store_active),
      .load_rate(load_rate),
      .store_rate(store_rate),
      .active_transfers(ev_ddr_transfers)
  );
  dma_channel #(
      .STORE(0)
  ) load_dma (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .cfg(cfg),
      .go(go[LD]),
      .instr(run_instr[LD]),
      .rate(load_rate),
      .active(load_active),
      .flight(load_flight),
      .unit_fin(unit_fin[LD]),
      .bus_bytes(ev_bus_load)
  );
  dma_channel #(
      .STORE(1)
  ) store_dma (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .cfg(cfg),
      .go(go[ST]),
      .instr(run_instr[ST]),
      .rate(store_rate),
      .active(store_active),
      .flight(store_flight),
      .unit_fin(unit_fin[ST]),
      .bus_bytes(ev_bus_store)
  );

  // ---------------- COMPUTE: MAC array, requantizer, vector unit, control ----------------
  wire [5:0] cop = `BPU_F_OPCODE(run_instr[CP]);
  wire is_conv = cop == `BPU_OP_CONV, is_requant = cop == `BPU_OP_REQUANT;
  wire is_vector = cop == `BPU_OP_VADD || cop == `BPU_OP_VREQ || cop == `BPU_OP_POOL ||
                   cop == `BPU_OP_ARGMAX || cop == `BPU_OP_COPY || cop == `BPU_OP_VLUT ||
                   cop == `BPU_OP_VMUL || cop == `BPU_OP_VBLEND || cop == `BPU_OP_VFADD;
  logic conv_fin, requant_fin, vector_fin, requant_fault, vector_fault;
  logic [3:0] requant_rule, vector_rule;
  logic [31:0] requant_record;
  wire conflict = intra_conflict(want[CP], cfg);
  assign ev_conflict = go[CP] && is_vector && conflict;
  conv_unit #(
      .ROWS(ROWS),
      .COLS(COLS)
  ) conv (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .cycle(cycle),
      .go(go[CP] && is_conv),
      .instr(run_instr[CP]),
      .unit_fin(conv_fin)
  );
  requant_unit #(
      .LANES(ROWS),
      .DEPTH(RQ_DEPTH)
  ) requant (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .cycle(cycle),
      .go(go[CP] && is_requant),
      .instr(run_instr[CP]),
      .unit_fin(requant_fin),
      .fault(requant_fault),
      .fault_rule(requant_rule),
      .fault_record(requant_record)
  );
  vector_unit #(
      .VLANES(VLANES),
      .DEPTH (RQ_DEPTH)
  ) vector (
      .clk(clk),
      .rst(rst),
      .halt(halt),
      .cycle(cycle),
      .cfg(cfg),
      .go(go[CP] && is_vector),
      .instr(run_instr[CP]),
      .conflict(conflict),
      .unit_fin(vector_fin),
      .fault(vector_fault),
      .fault_rule(vector_rule)
  );
  assign unit_fin[CP] = is_conv ? conv_fin : is_requant ? requant_fin : is_vector ? vector_fin :
                        go[CP];  // NOP, FINISH: one cycle

  // ---------------- faults, completion, deadlock ----------------
  logic fault_now;
  logic [7:0] code_now;
  logic [31:0] index_now, detail_now;
  logic [63:0] addr_now, bytes_now;
  logic [1:0] engine_now;
  // The access behind a range or alignment fault of engine e's candidate.
  function automatic logic [127:0] faulting_access(input accesses_t a, input logic [3:0] which);
    for (int k = 0; k < MAX_ACCESSES; k++)
      if (4'(k) == which) return {a[k].addr, a[k].bytes};
    return '0;
  endfunction
  always_comb begin
    fault_now = 1'b1;
    code_now = '0;
    index_now = '0;
    detail_now = '0;
    engine_now = 2'd3;
    {addr_now, bytes_now} = '0;
    if (fetch_bad) begin
      code_now = {FAULT_OPERAND, 4'hf};
      index_now = first_index_q + pc;
      detail_now = 32'(fetched_op);
    end else if (engine_fault[LD]) begin
      code_now = cand_fault[LD];
      index_now = cand_index[LD];
      {addr_now, bytes_now} = faulting_access(cand_acc[LD], cand_fault[LD][3:0]);
      engine_now = 2'd0;
    end else if (engine_fault[CP]) begin
      code_now = cand_fault[CP];
      index_now = cand_index[CP];
      {addr_now, bytes_now} = faulting_access(cand_acc[CP], cand_fault[CP][3:0]);
      engine_now = 2'd1;
    end else if (engine_fault[ST]) begin
      code_now = cand_fault[ST];
      index_now = cand_index[ST];
      {addr_now, bytes_now} = faulting_access(cand_acc[ST], cand_fault[ST][3:0]);
      engine_now = 2'd2;
    end else if (requant_fault && busy[CP] | go[CP]) begin
      code_now = {FAULT_RECORD, requant_rule};
      index_now = run_index[CP];
      detail_now = requant_record;
      engine_now = 2'd1;
    end else if (vector_fault && busy[CP] | go[CP]) begin
      code_now = {FAULT_RECORD, vector_rule};
      index_now = run_index[CP];
      engine_now = 2'd1;
    end else fault_now = 1'b0;
  end
  always_ff @(posedge clk) begin
    if (rst) begin
      fault <= 1'b0;
      fault_code <= '0;
      fault_index <= '0;
      fault_engine <= '0;
      fault_detail <= '0;
      fault_addr <= '0;
      fault_bytes <= '0;
    end else if (!fault && fault_now) begin
      fault <= 1'b1;
      fault_code <= code_now;
      fault_index <= index_now;
      fault_engine <= engine_now;
      fault_detail <= detail_now;
      fault_addr <= addr_now;
      fault_bytes <= bytes_now;
    end
  end
  assign done = fetch_done && busy == 3'b0 && cand_valid == 3'b0 && !halt;
  assign stuck = !done && !halt && !fault_now && busy == 3'b0 && go == 3'b0 && !enq_ok;
endmodule
