// Report files are written whole or not at all: a reader (CI, a concurrent run) never
// sees a half-written file.
#pragma once

#include <string>

namespace conformance::reports {

// Writes `content` to a new temporary file in the directory of `path`, flushes it to
// disk (fsync), and renames it over `path` (atomic on POSIX file systems); then
// syncs the directory. The file gets mode 0666 minus the umask. On any failure the
// temporary file is removed and std::runtime_error is thrown, naming `path` and the
// reason; an existing file at `path` is then left as it was.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace conformance::reports
