// libsystemc.so references sc_main; bpusim drives the kernel itself (sc_start from a library),
// so it never calls this. CMake forces this object into every executable that links bpusim_sim
// (--undefined=sc_main) and exports it for the shared library (see sim/CMakeLists.txt).
extern "C" int sc_main(int, char**) {
  return 0;
}
