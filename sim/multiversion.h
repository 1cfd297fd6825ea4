// Hot bulk loops are compiled for AVX2 (x86-64-v3) as well as the baseline; the loader picks
// the best version the CPU has. Results are identical: the loops compute exact integers and
// single IEEE float operations, which no instruction set changes.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BPUSIM_MULTIVERSION __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define BPUSIM_MULTIVERSION
#endif
