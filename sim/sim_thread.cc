#include "sim/sim_thread.h"

namespace bpusim::sim {

SimThread& SimThread::get() {
  static SimThread* thread = new SimThread();  // never destroyed: see the header
  return *thread;
}

SimThread::SimThread() {
  std::thread worker([this] { loop(); });
  id_ = worker.get_id();
  worker.detach();
}

void SimThread::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void SimThread::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();  // a packaged_task: its exceptions reach the caller through the future
  }
}

}  // namespace bpusim::sim
