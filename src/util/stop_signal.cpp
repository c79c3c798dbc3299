#include "util/stop_signal.h"

#include "util/error.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace config_init {

namespace {

std::atomic<bool> requested{false};
int event_fd = -1;

extern "C" void on_stop_signal(int) {
  const int saved = errno;
  requested.store(true);
  const uint64_t one = 1;
  if (event_fd >= 0) (void)!::write(event_fd, &one, sizeof one);
  errno = saved;
}

} // namespace

void install_stop_handlers() {
  if (event_fd >= 0) return;
  event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd < 0) throw IoError(errno_message("cannot create an eventfd", errno));
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; // no SA_RESTART
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
}

bool stop_requested() {
  return requested.load();
}

int stop_event_fd() {
  return event_fd;
}

} // namespace config_init
