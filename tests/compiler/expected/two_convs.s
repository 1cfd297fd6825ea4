; segment 0 (bpu): instructions [0, 14)
; layer conv1: conv 3x3 +relu -> uint8 (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x2000 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x0 n0=576 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=8 in_w=8 in_c=8 out_h=8 out_w=8 out_c=8 k_h=3 k_w=3 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x1000 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=64 n_ch=8 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x2200 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev +push_prev
; layer conv2: conv 3x3 +relu -> uint8 (1 tiles)
NOP +pop_next +push_prev
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x2200 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_next
LOAD buf=WEIGHT sram_addr=0x400 dram_addr=0x240 n0=576 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
CONV in_addr=0x800 wgt_addr=0x400 acc_addr=0x800 in_h=8 in_w=8 in_c=8 out_h=8 out_w=8 out_c=8 k_h=3 k_w=3 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=1 pad_l=1 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev
LOAD buf=PARAM sram_addr=0x400 dram_addr=0x1200 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x800 out_addr=0x400 prm_addr=0x400 res_addr=0x0 n_pix=64 n_ch=8 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x400 dram_addr=0x2000 n0=512 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_prev
FINISH
