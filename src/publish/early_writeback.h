// Starts the writeback of large files copied earlier while the next ones are copied, so the
// flush of the phase (publish.cpp: one syncfs) finds less dirty data left and waits less.
// Only a head start: nothing here makes data durable, and nothing is relied on; errors are
// left to the flush, which reports the filesystem's writeback errors (syncfs).
#pragma once

namespace config_init::publish {

// Hands a duplicate of `fd` (a file just written) to a helper thread, which asks the kernel
// to start writing its dirty pages (sync_file_range, SYNC_FILE_RANGE_WRITE: it can block
// while the device's queue is full, which is why it is not done on the copying thread)
// and closes the duplicate. Does nothing when the duplicate cannot be made.
void start_writeback(int fd);

} // namespace config_init::publish
