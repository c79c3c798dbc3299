// SIGTERM and SIGINT as a request to stop (used by `watch`): the handler only sets a flag
// and wakes an eventfd, so that a poll() loop ends at once and a blocking call that fails
// with EINTR (the destination lock) can give up. Without install_stop_handlers() the
// signals keep their default action and stop_requested() is always false.
#pragma once

namespace config_init {

// Installs the handlers (without SA_RESTART: blocking calls return EINTR). Idempotent.
void install_stop_handlers();
// True once SIGTERM or SIGINT arrived after install_stop_handlers().
bool stop_requested();
// An eventfd that becomes readable when a stop is requested (-1 before installing).
int stop_event_fd();

} // namespace config_init
