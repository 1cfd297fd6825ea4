; tests/isa/sample.s — a small program that uses every opcode. It is in canonical form (what
; `bpusim disasm --code-only` prints), so assembling and disassembling it reproduces its
; instruction lines exactly; tests/isa checks that.

; load the 8x8x16 uint8 input tile (rows of 128 bytes) into FEATURE
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x10000 n0=128 n1=8 n2=1 dram_stride1=0x80 dram_stride2=0x400
; load 16 output channels x 3x3 x 16 input channels of int8 weights
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x20000 n0=2304 n1=1 n2=1 dram_stride1=0x900 dram_stride2=0x900
; load 16 parameter records, then hand the buffers to the compute queue
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x30000 n0=1024 n1=1 n2=1 dram_stride1=0x400 dram_stride2=0x400 +push_next
; 3x3 convolution, stride 1, padding 1, input zero point 128: ACC = int32 sums
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=8 in_w=8 in_c=16 out_h=8 out_w=8 out_c=16 k_h=3 k_w=3 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=128 wgt_zp=0 +pop_prev
; requantize to uint8 with a fused residual add of the input tile
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=64 n_ch=16 mode=fp32 out_type=u8 has_res=1 res_signed=0 a_signed=0
; a standalone rescaled elementwise add
VADD a_addr=0x0 b_addr=0x400 out_addr=0x400 prm_addr=0x40 n=1024 a_signed=0 b_signed=0 out_signed=0
; requantize an int8 vector (zero point -3) to another scale, fixed-point mode
VREQ in_addr=0x800 out_addr=0x800 prm_addr=0x80 n=1024 in_zp=-3 mode=fixed in_signed=1 out_signed=1
; 2x2 max pooling, stride 2
POOL kind=max in_addr=0x0 out_addr=0xc00 prm_addr=0x0 in_h=8 in_w=8 c=16 out_h=4 out_w=4 k_h=2 k_w=2 stride_h=2 stride_w=2 pad_t=0 pad_l=0 in_signed=0 in_zp=0
; global average pooling (kernel fields unused)
POOL kind=global_avg in_addr=0x0 out_addr=0xd00 prm_addr=0xc0 in_h=8 in_w=8 c=16 out_h=1 out_w=1 k_h=0 k_w=0 stride_h=0 stride_w=0 pad_t=0 pad_l=0 in_signed=0 in_zp=5
; per-position argmax over 16 channels
ARGMAX in_addr=0x0 out_addr=0xe00 n=64 c=16 in_signed=0
; map 64 bytes through the 256-byte table at PARAM 0x100 (an activation function)
VLUT in_addr=0x0 out_addr=0xf00 prm_addr=0x100 n=64 in_signed=0 out_signed=0
; multiply 64 bytes by a 16-channel gate repeating every 16 bytes, requantized (fp32)
VBLEND in_addr=0x0 out_addr=0xf80 prm_addr=0x40 n=24 c=8 n_vec=8 contraction=fma in_zp=5 in_signed=0 out_signed=0
VMUL a_addr=0x0 b_addr=0x400 out_addr=0xf40 prm_addr=0x0 n=64 b_period=16 a_zp=3 b_zp=-4 mode=fp32 a_signed=0 b_signed=1 out_signed=0
VFADD a_addr=0x0 b_addr=0x400 out_addr=0xf00 prm_addr=0x0 n=64 b_period=16 a_zp=3 b_zp=-4 contraction=fma group=16 n_vec=8 a_signed=0 b_signed=1 out_signed=0
; copy 256 accumulator bytes to OUTPUT; free the load buffers, wake the store queue
COPY src_buf=ACC src_addr=0x0 dst_addr=0x1000 n=256 +push_prev +push_next
; write OUTPUT back to DDR; tell compute the output buffer is free
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x40000 n0=1024 n1=1 n2=1 dram_stride1=0x400 dram_stride2=0x400 +pop_prev +push_prev
; wait for the store queue to finish
NOP +pop_next
FINISH
