// Many small files made durable together: each is written under its own name into a
// private staging directory inside the target directory, then one sync makes them all
// durable, they are renamed into place, and one fsync of the directory makes the names
// durable. A reader sees each file whole or not at all, N files cost two syncs instead
// of N, and the (possibly huge) target directory is changed once per file, not three
// times as with a temporary name beside the final one.
#pragma once

#include <clm/util/fd.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_set>
#include <vector>

namespace clm {

class BatchWriter {
public:
  // Write into the existing directory dir. Nothing is created there before the first add.
  explicit BatchWriter(std::filesystem::path dir);
  // Remove the staging directory and the files of a batch that was not committed.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Write data for the file name (no '/') with mode into the staging directory
  // (DIR/.clm-batch.XXXXXX, 0700, made by the first add of a batch and removed by
  // commit; the first one a process makes in DIR removes those a killed run left);
  // a name added again in the same batch replaces its data.
  // Error(file_write) naming the final path on failure.
  void add(const std::string& name, std::string_view data, mode_t mode);

  // Sync, rename every added file into place (replacing what is there, a symlink
  // included, without following it), fsync the directory; return the final paths in
  // the order they were first added, and start a new batch.
  std::vector<std::string> commit();

private:
  void open_staging();
  void close_staging() noexcept;

  std::filesystem::path m_dir;
  std::filesystem::path m_stage;        // empty until the first add
  util::UniqueFd m_dirfd;
  util::UniqueFd m_stagefd;
  mode_t m_umask = 0777;                // read when the staging directory is made
  std::vector<std::string> m_pending;   // names in the staging directory, in order
  std::unordered_set<std::string> m_names;  // the names in m_pending
};

}  // namespace clm
