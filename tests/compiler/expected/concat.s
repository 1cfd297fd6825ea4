; segment 0 (bpu): instructions [0, 14)
; layer conv: conv 1x1 -> uint8 (1 tiles)
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x20c0 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0
LOAD buf=WEIGHT sram_addr=0x0 dram_addr=0x0 n0=20 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
CONV in_addr=0x0 wgt_addr=0x0 acc_addr=0x0 in_h=4 in_w=4 in_c=4 out_h=4 out_w=4 out_c=5 k_h=1 k_w=1 stride_h=1 stride_w=1 dil_h=1 dil_w=1 pad_t=0 pad_l=0 depthwise=0 accumulate=0 in_signed=0 wgt_signed=1 in_zp=0 wgt_zp=0 +pop_prev +push_prev
LOAD buf=PARAM sram_addr=0x0 dram_addr=0x1000 n0=320 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
REQUANT acc_addr=0x0 out_addr=0x0 prm_addr=0x0 res_addr=0x0 n_pix=16 n_ch=5 mode=fp32 out_type=u8 has_res=0 res_signed=0 a_signed=0 +pop_prev +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x2000 n0=5 n1=4 n2=4 dram_stride1=0xc dram_stride2=0x30 +pop_prev +push_prev
; layer cat: concat (1 in place, 1 copied, 1 rescaled) (2 tiles)
LOAD buf=FEATURE sram_addr=0x800 dram_addr=0x20c0 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
COPY src_buf=FEATURE src_addr=0x800 dst_addr=0x400 n=64 +pop_prev +push_next
LOAD buf=FEATURE sram_addr=0x0 dram_addr=0x2100 n0=48 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +pop_next
LOAD buf=PARAM sram_addr=0x400 dram_addr=0x1140 n0=64 n1=1 n2=1 dram_stride1=0x0 dram_stride2=0x0 +push_next
STORE buf=OUTPUT sram_addr=0x400 dram_addr=0x2005 n0=4 n1=16 n2=1 dram_stride1=0xc dram_stride2=0x0 +pop_prev
VREQ in_addr=0x0 out_addr=0x0 prm_addr=0x400 n=48 in_zp=7 mode=fp32 in_signed=0 out_signed=0 +pop_prev +pop_next +push_next
STORE buf=OUTPUT sram_addr=0x0 dram_addr=0x2009 n0=3 n1=16 n2=1 dram_stride1=0xc dram_stride2=0x0 +pop_prev
FINISH
