// One background thread that runs the tasks posted to it, in order. Started on first use;
// on destruction it finishes the task in hand and drops the ones still queued (destroyed
// unrun: a task owning a resource releases it in its destructor).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace config_init::publish {

class HelperThread {
public:
  HelperThread() = default;
  HelperThread(const HelperThread&) = delete;
  HelperThread& operator=(const HelperThread&) = delete;
  ~HelperThread();

  void post(std::function<void()> task);

private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace config_init::publish
