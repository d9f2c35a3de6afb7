// Many small files made durable together: each is written to a temporary name, then one
// sync makes them all durable, they are renamed into place, and one fsync of the
// directory makes the names durable. A reader sees each file whole or not at all, and
// N files cost two syncs instead of N.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_set>
#include <utility>
#include <vector>

namespace clm {

class BatchWriter {
public:
  // Write into the existing directory dir.
  explicit BatchWriter(std::filesystem::path dir);
  // Remove temporary files of a batch that was not committed.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Write data under a temporary name for the file name (no '/'), with mode; a name
  // added again in the same batch replaces its data.
  // Error(file_write) naming the file on failure.
  void add(const std::string& name, std::string_view data, mode_t mode);

  // Sync, rename every added file into place, fsync the directory; return the final
  // paths in the order they were added, and start a new batch.
  std::vector<std::string> commit();

private:
  std::filesystem::path m_dir;
  std::vector<std::pair<std::string, std::string>> m_pending;  // temporary path, final path
  std::unordered_set<std::string> m_names;                     // the names in m_pending
};

}  // namespace clm
