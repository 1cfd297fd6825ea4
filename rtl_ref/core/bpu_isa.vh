// Generated from isa/isa.def by `bpusim asm --verilog`: do not edit. The core's decode
// (rtl_ref/core/) uses these macros only; tests/isa/test_docs.cc fails when this file
// differs from the table (rerun it with BPUSIM_UPDATE_DOCS=1 to regenerate).
`ifndef BPU_ISA_VH
`define BPU_ISA_VH

`define BPU_INSTR_BITS 256

// Opcodes: `BPU_OP_<NAME> (6-bit values) and the queue that executes each one
// (0 LOAD, 1 COMPUTE, 2 STORE).
`define BPU_OP_NOP 6'd0
`define BPU_OP_FINISH 6'd1
`define BPU_OP_LOAD 6'd2
`define BPU_OP_STORE 6'd3
`define BPU_OP_CONV 6'd4
`define BPU_OP_REQUANT 6'd5
`define BPU_OP_VADD 6'd6
`define BPU_OP_VREQ 6'd7
`define BPU_OP_POOL 6'd8
`define BPU_OP_ARGMAX 6'd9
`define BPU_OP_COPY 6'd10
`define BPU_OP_VLUT 6'd11
`define BPU_OP_VMUL 6'd12
`define BPU_OP_VBLEND 6'd13
`define BPU_OP_VFADD 6'd14
`define BPU_QUEUE_NOP 2'd1
`define BPU_QUEUE_FINISH 2'd1
`define BPU_QUEUE_LOAD 2'd0
`define BPU_QUEUE_STORE 2'd2
`define BPU_QUEUE_CONV 2'd1
`define BPU_QUEUE_REQUANT 2'd1
`define BPU_QUEUE_VADD 2'd1
`define BPU_QUEUE_VREQ 2'd1
`define BPU_QUEUE_POOL 2'd1
`define BPU_QUEUE_ARGMAX 2'd1
`define BPU_QUEUE_COPY 2'd1
`define BPU_QUEUE_VLUT 2'd1
`define BPU_QUEUE_VMUL 2'd1
`define BPU_QUEUE_VBLEND 2'd1
`define BPU_QUEUE_VFADD 2'd1
// `BPU_QUEUE_OF(op): the queue of any opcode (2'd3 for a number that is no opcode).
`define BPU_QUEUE_OF(op) ((op) == 0 ? 2'd1 : (op) == 1 ? 2'd1 : (op) == 2 ? 2'd0 : (op) == 3 ? 2'd2 : (op) == 4 ? 2'd1 : (op) == 5 ? 2'd1 : (op) == 6 ? 2'd1 : (op) == 7 ? 2'd1 : (op) == 8 ? 2'd1 : (op) == 9 ? 2'd1 : (op) == 10 ? 2'd1 : (op) == 11 ? 2'd1 : (op) == 12 ? 2'd1 : (op) == 13 ? 2'd1 : (op) == 14 ? 2'd1 : 2'd3)

// Fields: `BPU_F_<NAME>(instr) selects the raw bits (signed fields need $signed).
`define BPU_F_OPCODE(i) i[5:0]  // 6 bits
`define BPU_W_OPCODE 6
`define BPU_F_POP_PREV(i) i[6:6]  // 1 bits
`define BPU_W_POP_PREV 1
`define BPU_F_POP_NEXT(i) i[7:7]  // 1 bits
`define BPU_W_POP_NEXT 1
`define BPU_F_PUSH_PREV(i) i[8:8]  // 1 bits
`define BPU_W_PUSH_PREV 1
`define BPU_F_PUSH_NEXT(i) i[9:9]  // 1 bits
`define BPU_W_PUSH_NEXT 1
`define BPU_F_SRAM_ADDR(i) i[33:10]  // 24 bits
`define BPU_W_SRAM_ADDR 24
`define BPU_F_IN_ADDR(i) i[33:10]  // 24 bits
`define BPU_W_IN_ADDR 24
`define BPU_F_RES_ADDR(i) i[33:10]  // 24 bits
`define BPU_W_RES_ADDR 24
`define BPU_F_A_ADDR(i) i[33:10]  // 24 bits
`define BPU_W_A_ADDR 24
`define BPU_F_SRC_ADDR(i) i[33:10]  // 24 bits
`define BPU_W_SRC_ADDR 24
`define BPU_F_WGT_ADDR(i) i[57:34]  // 24 bits
`define BPU_W_WGT_ADDR 24
`define BPU_F_OUT_ADDR(i) i[57:34]  // 24 bits
`define BPU_W_OUT_ADDR 24
`define BPU_F_DST_ADDR(i) i[57:34]  // 24 bits
`define BPU_W_DST_ADDR 24
`define BPU_F_BUF(i) i[60:58]  // 3 bits
`define BPU_W_BUF 3
`define BPU_F_SRC_BUF(i) i[60:58]  // 3 bits
`define BPU_W_SRC_BUF 3
`define BPU_F_IN_SIGNED(i) i[58:58]  // 1 bits
`define BPU_W_IN_SIGNED 1
`define BPU_F_A_SIGNED(i) i[58:58]  // 1 bits
`define BPU_W_A_SIGNED 1
`define BPU_F_WGT_SIGNED(i) i[59:59]  // 1 bits
`define BPU_W_WGT_SIGNED 1
`define BPU_F_B_SIGNED(i) i[59:59]  // 1 bits
`define BPU_W_B_SIGNED 1
`define BPU_F_RES_SIGNED(i) i[59:59]  // 1 bits
`define BPU_W_RES_SIGNED 1
`define BPU_F_DEPTHWISE(i) i[60:60]  // 1 bits
`define BPU_W_DEPTHWISE 1
`define BPU_F_HAS_RES(i) i[60:60]  // 1 bits
`define BPU_W_HAS_RES 1
`define BPU_F_OUT_SIGNED(i) i[60:60]  // 1 bits
`define BPU_W_OUT_SIGNED 1
`define BPU_F_ACCUMULATE(i) i[61:61]  // 1 bits
`define BPU_W_ACCUMULATE 1
`define BPU_F_MODE(i) i[61:61]  // 1 bits
`define BPU_W_MODE 1
`define BPU_F_OUT_TYPE(i) i[63:62]  // 2 bits
`define BPU_W_OUT_TYPE 2
`define BPU_F_KIND(i) i[63:62]  // 2 bits
`define BPU_W_KIND 2
`define BPU_F_ACC_ADDR(i) i[87:64]  // 24 bits
`define BPU_W_ACC_ADDR 24
`define BPU_F_B_ADDR(i) i[87:64]  // 24 bits
`define BPU_W_B_ADDR 24
`define BPU_F_C(i) i[79:64]  // 16 bits
`define BPU_W_C 16
`define BPU_F_N0(i) i[79:64]  // 16 bits
`define BPU_W_N0 16
`define BPU_F_N1(i) i[95:80]  // 16 bits
`define BPU_W_N1 16
`define BPU_F_N2(i) i[111:96]  // 16 bits
`define BPU_W_N2 16
`define BPU_F_PRM_ADDR(i) i[111:88]  // 24 bits
`define BPU_W_PRM_ADDR 24
`define BPU_F_K_H(i) i[115:112]  // 4 bits
`define BPU_W_K_H 4
`define BPU_F_K_W(i) i[119:116]  // 4 bits
`define BPU_W_K_W 4
`define BPU_F_STRIDE_H(i) i[123:120]  // 4 bits
`define BPU_W_STRIDE_H 4
`define BPU_F_STRIDE_W(i) i[127:124]  // 4 bits
`define BPU_W_STRIDE_W 4
`define BPU_F_IN_H(i) i[139:128]  // 12 bits
`define BPU_W_IN_H 12
`define BPU_F_IN_W(i) i[151:140]  // 12 bits
`define BPU_W_IN_W 12
`define BPU_F_IN_C(i) i[163:152]  // 12 bits
`define BPU_W_IN_C 12
`define BPU_F_OUT_H(i) i[175:164]  // 12 bits
`define BPU_W_OUT_H 12
`define BPU_F_OUT_W(i) i[187:176]  // 12 bits
`define BPU_W_OUT_W 12
`define BPU_F_N(i) i[147:128]  // 20 bits
`define BPU_W_N 20
`define BPU_F_N_PIX(i) i[143:128]  // 16 bits
`define BPU_W_N_PIX 16
`define BPU_F_N_CH(i) i[155:144]  // 12 bits
`define BPU_W_N_CH 12
`define BPU_F_DRAM_ADDR(i) i[159:128]  // 32 bits
`define BPU_W_DRAM_ADDR 32
`define BPU_F_DRAM_STRIDE1(i) i[191:160]  // 32 bits
`define BPU_W_DRAM_STRIDE1 32
`define BPU_F_DRAM_STRIDE2(i) i[223:192]  // 32 bits
`define BPU_W_DRAM_STRIDE2 32
`define BPU_F_OUT_C(i) i[203:192]  // 12 bits
`define BPU_W_OUT_C 12
`define BPU_F_DIL_H(i) i[207:204]  // 4 bits
`define BPU_W_DIL_H 4
`define BPU_F_DIL_W(i) i[211:208]  // 4 bits
`define BPU_W_DIL_W 4
`define BPU_F_PAD_T(i) i[216:212]  // 5 bits
`define BPU_W_PAD_T 5
`define BPU_F_PAD_L(i) i[221:217]  // 5 bits
`define BPU_W_PAD_L 5
`define BPU_F_IN_ZP(i) i[230:222]  // signed 9 bits
`define BPU_W_IN_ZP 9
`define BPU_F_CONTRACTION(i) i[148:148]  // 1 bits
`define BPU_W_CONTRACTION 1
`define BPU_F_N_VEC(i) i[191:176]  // 16 bits
`define BPU_W_N_VEC 16
`define BPU_F_GROUP(i) i[175:160]  // 16 bits
`define BPU_W_GROUP 16
`define BPU_F_WGT_ZP(i) i[239:231]  // signed 9 bits
`define BPU_W_WGT_ZP 9
`define BPU_F_A_ZP(i) i[230:222]  // signed 9 bits
`define BPU_W_A_ZP 9
`define BPU_F_B_ZP(i) i[239:231]  // signed 9 bits
`define BPU_W_B_ZP 9
`define BPU_F_B_PERIOD(i) i[207:192]  // 16 bits
`define BPU_W_B_PERIOD 16

// Parameter record: `BPU_REC_<FIELD>(r) selects one 32-bit field of a 512-bit record.
`define BPU_REC_BIAS(r) r[31:0]
`define BPU_REC_SCALE(r) r[63:32]
`define BPU_REC_MULT(r) r[95:64]
`define BPU_REC_SHIFT(r) r[127:96]
`define BPU_REC_ZP(r) r[159:128]
`define BPU_REC_MIN(r) r[191:160]
`define BPU_REC_MAX(r) r[223:192]
`define BPU_REC_ADD_CONST(r) r[255:224]
`define BPU_REC_ADD_MULT_A(r) r[287:256]
`define BPU_REC_ADD_MULT_B(r) r[319:288]
`define BPU_REC_ADD_SHIFT(r) r[351:320]
`define BPU_REC_ADD_ZP(r) r[383:352]
`define BPU_REC_ADD_MIN(r) r[415:384]
`define BPU_REC_ADD_MAX(r) r[447:416]
`define BPU_REC_ROUTE(r) r[479:448]
`define BPU_REC_RESCALE_K(r) r[511:480]

`endif
