// The thread that owns the SystemC kernel. Every call that touches the kernel (building the
// top, sc_start, trace files, signal writes) runs on this one thread, posted with call() and
// awaited by the caller. Why: SystemC switches its processes' stacks inside sc_start, which
// leaves a sanitizer's idea of the calling thread's stack wrong, and any exception thrown on
// that thread afterwards is then misreported (google/sanitizers#189); keeping the kernel on
// its own thread leaves the caller's thread (tests, CLI, error handling) clean. Exceptions
// thrown by the posted function are rethrown in the caller.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>

namespace bpusim::sim {

class SimThread {
 public:
  // The process-wide kernel thread (started on first use, never stopped: it lives as long as
  // the kernel it serves).
  static SimThread& get();

  // Runs `f` on the kernel thread and returns its result (directly when already on it).
  template <class F>
  auto call(F&& f) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (std::this_thread::get_id() == id_) return f();
    std::packaged_task<R()> task(std::forward<F>(f));
    std::future<R> done = task.get_future();
    post([&task] { task(); });
    return done.get();
  }

 private:
  SimThread();
  void post(std::function<void()> job);
  void loop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::thread::id id_;
};

}  // namespace bpusim::sim
