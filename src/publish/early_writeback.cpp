#include "publish/early_writeback.h"

#include <condition_variable>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace config_init::publish {

namespace {

// One helper thread, started on first use and joined at exit (what is still queued then is
// closed without a writeback: the run is over).
class WritebackQueue {
public:
  ~WritebackQueue() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable()) return;
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void push(int fd) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable()) thread_ = std::thread([this] { work(); });
      fds_.push_back(fd);
    }
    wake_.notify_one();
  }

private:
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !fds_.empty(); });
      if (stop_) { // at exit: the flush, if any, is done; nothing left to start
        for (const int fd : fds_)
          ::close(fd);
        return;
      }
      const int fd = fds_.front();
      fds_.pop_front();
      lock.unlock();
      ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
      ::close(fd);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<int> fds_;
  bool stop_ = false;
  std::thread thread_;
};

WritebackQueue& queue() {
  static WritebackQueue instance;
  return instance;
}

} // namespace

void start_writeback(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy >= 0) queue().push(copy);
}

} // namespace config_init::publish
