#include "open_store.hpp"

#include "postgres_store.hpp"
#include "sqlite_store.hpp"

#include <clm/error.hpp>

namespace clm::server {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

bool is_postgres_location(const std::string& location)
{
  return starts_with(location, "postgresql://") || starts_with(location, "postgres://");
}

void check_store_location(const std::string& location, const std::string& origin)
{
  if (location.empty() || starts_with(location, "sqlite:")) {
    return;
  }
  if (!is_postgres_location(location)) {
    throw Error(ExitCode::bad_config, origin + ": '" + location.substr(0, 64)
                                        + "' is not a store (postgresql://..., sqlite:PATH)");
  }
  // postgresql://user:password@host/...: the user part ends at '@' before the path.
  const std::string rest = location.substr(location.find("//") + 2);
  const std::string authority = rest.substr(0, rest.find_first_of("/?"));
  const auto at = authority.rfind('@');
  const bool password_in_authority = at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
  const auto query = location.find('?');
  const bool password_in_query = query != std::string::npos
                                 && (location.find("?password=", query) != std::string::npos
                                     || location.find("&password=", query) != std::string::npos);
  if (password_in_authority || password_in_query) {
    throw Error(ExitCode::bad_config, origin + ": the store URI carries a password, which would show on command lines "
                                               "and in settings; put it in a passfile (PGPASSFILE, 0600)");
  }
}

std::filesystem::path sqlite_file(const std::string& location, const std::filesystem::path& data_dir)
{
  if (location.empty()) {
    return data_dir / "clm.db";
  }
  std::filesystem::path path = location.substr(std::string_view("sqlite:").size());
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) ? path / "clm.db" : path;
}

std::unique_ptr<Store> open_store(const std::string& location, const std::filesystem::path& data_dir,
                                  std::size_t concurrency)
{
  check_store_location(location, "store");
  if (is_postgres_location(location)) {
    return std::make_unique<PostgresStore>(location, concurrency);
  }
  return std::make_unique<SqliteStore>(sqlite_file(location, data_dir));
}

std::string describe_location(const std::string& location, const std::filesystem::path& data_dir)
{
  if (is_postgres_location(location)) {
    return location;  // check_store_location keeps passwords out of it
  }
  return sqlite_file(location, data_dir).string();
}

}  // namespace clm::server
