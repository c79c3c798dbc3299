#include "publish/early_writeback.h"

#include "publish/helper_thread.h"
#include "util/fs.h"

#include <fcntl.h>
#include <memory>

namespace config_init::publish {

void start_writeback(int fd) {
  static HelperThread helper; // its own thread: a call that blocks delays only the others
  auto copy = std::make_shared<FileDescriptor>(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy->valid()) return;
  helper.post([copy] { ::sync_file_range(copy->get(), 0, 0, SYNC_FILE_RANGE_WRITE); });
}

} // namespace config_init::publish
