// Tests of settings resolution: flags > CLM_* environment > configuration file >
// defaults, and the exit code each kind of bad value gives.
//
// Every test names a configuration file (flags.config or CLM_CONFIG), so the
// host's /etc/clm/clm.conf never leaks in.
#include <clm/config.hpp>
#include <clm/error.hpp>
#include <clm/state.hpp>

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace {

namespace fs = std::filesystem;

using clm::ConnectionFlags;
using clm::ExitCode;
using clm::resolve_settings;
using clm::Settings;
using clm::test::error_of;
using clm::test::TempDirTest;
using clm::test::write_plain;

using EnvMap = std::map<std::string, std::string>;

clm::EnvLookup env_of(EnvMap vars)
{
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

class ConfigTest : public TempDirTest {
protected:
  ConfigTest() : TempDirTest("clm-config") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    // An empty config file by default, so nothing comes from /etc.
    m_flags.config = write("empty.conf", "").string();
  }

  // Write a file in the temporary directory and return its path.
  fs::path write(const std::string& name, const std::string& text)
  {
    const fs::path p = dir() / name;
    write_plain(p, text);
    return p;
  }

  // Use a config file holding text via flags.config.
  void use_config(const std::string& text) { m_flags.config = write("clm.conf", text).string(); }

  Settings resolve(const EnvMap& env = {}) { return resolve_settings(m_flags, env_of(env)); }

  // Return the code of the clm::Error resolve throws; fail when it throws nothing.
  std::optional<ExitCode> resolve_error(const EnvMap& env = {})
  {
    const auto err = error_of([&] { resolve(env); });
    if (!err) {
      ADD_FAILURE() << "resolve_settings did not throw";
      return std::nullopt;
    }
    m_last_message = err->what();
    return err->code();
  }

  ConnectionFlags& flags() { return m_flags; }
  const std::string& last_message() const { return m_last_message; }

private:
  ConnectionFlags m_flags;
  std::string m_last_message;
};

// ---- host and defaults -----------------------------------------------------

TEST_F(ConfigTest, defaults_apply_when_only_host_is_given)
{
  flags().host = "server.example";
  const Settings s = resolve();
  EXPECT_EQ(s.connection.endpoints.at(0).host, "server.example");
  EXPECT_EQ(s.connection.endpoints.at(0).port, 8443);
  EXPECT_EQ(s.connection.timeout, 60);
  EXPECT_EQ(s.connection.connect_timeout, 60);
  EXPECT_EQ(s.connection.cacert, "");
  EXPECT_EQ(s.connection.proxy, "");
  EXPECT_FALSE(s.connection.insecure);
  EXPECT_FALSE(s.connection.license_key.has_value());
}

TEST_F(ConfigTest, missing_host_everywhere_is_missing_parameter)
{
  use_config("port = 9000\n");
  EXPECT_EQ(resolve_error({{"CLM_PORT", "9001"}}), ExitCode::missing_parameter);
}

TEST_F(ConfigTest, empty_environment_host_counts_as_unset)
{
  use_config("host = file.example\n");
  EXPECT_EQ(resolve({{"CLM_HOST", ""}}).connection.endpoints.at(0).host, "file.example");
}

TEST_F(ConfigTest, malformed_host_flag_is_bad_parameter)
{
  for (const char* host : {"", "a b", "host/path", "user@host", "host?x", "host#x"}) {
    flags().host = host;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "host '" << host << "'";
  }
}

TEST_F(ConfigTest, malformed_host_in_file_is_bad_config)
{
  use_config("host = a/b\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
}

TEST_F(ConfigTest, ip_addresses_are_hosts)
{
  flags().host = "192.0.2.10";
  EXPECT_EQ(resolve().connection.endpoints.at(0).host, "192.0.2.10");
  flags().host = "2001:db8::1";
  EXPECT_EQ(resolve().connection.endpoints.at(0).host, "2001:db8::1");
}

TEST_F(ConfigTest, host_list_gives_endpoints_in_order_with_their_own_ports)
{
  flags().host = "a.example, 192.0.2.1:9001,[2001:db8::1]:9002,[::1],2001:db8::2";
  flags().port = "9000";
  const auto e = resolve().connection.endpoints;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].text(), "a.example:9000");
  EXPECT_EQ(e[1].text(), "192.0.2.1:9001");
  EXPECT_EQ(e[2].host, "2001:db8::1");
  EXPECT_EQ(e[2].text(), "[2001:db8::1]:9002");
  EXPECT_EQ(e[3].text(), "[::1]:9000");
  EXPECT_EQ(e[4].text(), "[2001:db8::2]:9000");
}

TEST_F(ConfigTest, malformed_host_list_is_bad_parameter)
{
  for (const char* host : {"a,", ",a", "a,,b", "a:0", "a:65536", "a:x", "a:", "[::1", "[::1]x", "[::1]:", "x]",
                           "a b,c"}) {
    flags().host = host;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "host '" << host << "'";
  }
}

TEST_F(ConfigTest, host_list_in_file_is_read)
{
  use_config("host = one.example:1, two.example\nport = 2\n");
  const auto e = resolve().connection.endpoints;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].text(), "one.example:1");
  EXPECT_EQ(e[1].text(), "two.example:2");
}

TEST_F(ConfigTest, retry_defaults_to_two_and_follows_precedence)
{
  flags().host = "h";
  EXPECT_EQ(resolve().connection.retry, 2);
  use_config("retry = 5\n");
  EXPECT_EQ(resolve().connection.retry, 5);
  EXPECT_EQ(resolve({{"CLM_RETRY", "0"}}).connection.retry, 0);
  flags().retry = "10";
  EXPECT_EQ(resolve({{"CLM_RETRY", "0"}}).connection.retry, 10);
}

TEST_F(ConfigTest, retry_out_of_range_is_bad_value_named_by_origin)
{
  flags().host = "h";
  for (const char* v : {"-1", "11", "x", ""}) {
    flags().retry = v;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "--retry '" << v << "'";
  }
  flags().retry.reset();
  EXPECT_EQ(resolve_error({{"CLM_RETRY", "99"}}), ExitCode::bad_parameter);
  use_config("retry = 11\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
}

// ---- precedence ------------------------------------------------------------

TEST_F(ConfigTest, host_flag_beats_environment_and_file)
{
  use_config("host = file.example\n");
  flags().host = "flag.example";
  EXPECT_EQ(resolve({{"CLM_HOST", "env.example"}}).connection.endpoints.at(0).host, "flag.example");
}

TEST_F(ConfigTest, host_environment_beats_file)
{
  use_config("host = file.example\n");
  EXPECT_EQ(resolve({{"CLM_HOST", "env.example"}}).connection.endpoints.at(0).host, "env.example");
}

TEST_F(ConfigTest, host_from_file_when_nothing_else)
{
  use_config("host = file.example\n");
  EXPECT_EQ(resolve().connection.endpoints.at(0).host, "file.example");
}

TEST_F(ConfigTest, port_flag_beats_environment_and_file)
{
  use_config("host = h\nport = 1001\n");
  flags().port = "1003";
  EXPECT_EQ(resolve({{"CLM_PORT", "1002"}}).connection.endpoints.at(0).port, 1003);
}

TEST_F(ConfigTest, port_environment_beats_file)
{
  use_config("host = h\nport = 1001\n");
  EXPECT_EQ(resolve({{"CLM_PORT", "1002"}}).connection.endpoints.at(0).port, 1002);
}

TEST_F(ConfigTest, port_from_file_beats_default)
{
  use_config("host = h\nport = 1001\n");
  EXPECT_EQ(resolve().connection.endpoints.at(0).port, 1001);
}

TEST_F(ConfigTest, cacert_and_timeouts_follow_the_same_precedence)
{
  use_config("host = h\ncacert = /file/ca.pem\ntimeout = 30\nconnect_timeout = 3\n");
  const Settings from_file = resolve();
  EXPECT_EQ(from_file.connection.cacert, "/file/ca.pem");
  EXPECT_EQ(from_file.connection.timeout, 30);
  EXPECT_EQ(from_file.connection.connect_timeout, 3);

  const EnvMap env{{"CLM_CACERT", "/env/ca.pem"}, {"CLM_TIMEOUT", "40"}, {"CLM_CONNECT_TIMEOUT", "4"}};
  const Settings from_env = resolve(env);
  EXPECT_EQ(from_env.connection.cacert, "/env/ca.pem");
  EXPECT_EQ(from_env.connection.timeout, 40);
  EXPECT_EQ(from_env.connection.connect_timeout, 4);

  flags().cacert = "/flag/ca.pem";
  flags().timeout = "50";
  flags().connect_timeout = "5";
  const Settings from_flags = resolve(env);
  EXPECT_EQ(from_flags.connection.cacert, "/flag/ca.pem");
  EXPECT_EQ(from_flags.connection.timeout, 50);
  EXPECT_EQ(from_flags.connection.connect_timeout, 5);
}

TEST_F(ConfigTest, insecure_flag_is_passed_through)
{
  flags().host = "h";
  flags().insecure = true;
  EXPECT_TRUE(resolve().connection.insecure);
}

// ---- which configuration file ----------------------------------------------

TEST_F(ConfigTest, config_file_from_environment)
{
  flags().config.reset();
  const fs::path conf = write("env.conf", "host = env-file.example\n");
  EXPECT_EQ(resolve({{"CLM_CONFIG", conf.string()}}).connection.endpoints.at(0).host, "env-file.example");
}

TEST_F(ConfigTest, config_flag_beats_config_environment)
{
  use_config("host = flag-file.example\n");
  const fs::path other = write("other.conf", "host = env-file.example\n");
  EXPECT_EQ(resolve({{"CLM_CONFIG", other.string()}}).connection.endpoints.at(0).host, "flag-file.example");
}

TEST_F(ConfigTest, config_flag_beats_missing_config_environment)
{
  use_config("host = flag-file.example\n");
  const Settings s = resolve({{"CLM_CONFIG", (dir() / "missing.conf").string()}});
  EXPECT_EQ(s.connection.endpoints.at(0).host, "flag-file.example");
}

TEST_F(ConfigTest, missing_config_flag_file_is_file_read)
{
  flags().config = (dir() / "missing.conf").string();
  flags().host = "h";
  EXPECT_EQ(resolve_error(), ExitCode::file_read);
  EXPECT_NE(last_message().find("missing.conf"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, missing_config_environment_file_is_file_read)
{
  flags().config.reset();
  flags().host = "h";
  EXPECT_EQ(resolve_error({{"CLM_CONFIG", (dir() / "missing.conf").string()}}), ExitCode::file_read);
}

// ---- configuration file syntax ---------------------------------------------

TEST_F(ConfigTest, comments_blank_lines_spaces_and_quotes_are_accepted)
{
  use_config("# clm settings\n"
             "\n"
             "   \n"
             "; another comment\n"
             "  host   =   \"quoted.example\"  \n"
             "port='9000'\n"
             "cacert = /etc/ssl/a=b.pem\r\n"
             "\t# indented comment\n");
  const Settings s = resolve();
  EXPECT_EQ(s.connection.endpoints.at(0).host, "quoted.example");
  EXPECT_EQ(s.connection.endpoints.at(0).port, 9000);
  EXPECT_EQ(s.connection.cacert, "/etc/ssl/a=b.pem");
}

TEST_F(ConfigTest, read_config_file_returns_trimmed_pairs)
{
  const fs::path p = write("pairs.conf", "# c\n a = 1 \nb=\"two words\"\nc = 'x'\nd =\n");
  const auto pairs = clm::read_config_file(p);
  EXPECT_EQ(pairs, (std::map<std::string, std::string>{{"a", "1"}, {"b", "two words"}, {"c", "x"}, {"d", ""}}));
}

TEST_F(ConfigTest, line_without_equals_is_bad_config)
{
  use_config("host = h\njust some words\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
  EXPECT_NE(last_message().find("clm.conf"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, line_without_key_is_bad_config)
{
  use_config("host = h\n= value\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
}

TEST_F(ConfigTest, unknown_key_in_the_config_file_is_bad_config)
{
  use_config("host = h\nhots = typo\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
  EXPECT_NE(last_message().find("hots"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, every_documented_key_is_accepted_in_the_config_file)
{
  const fs::path key = write("license.key", "KEY\n");
  use_config("host = h\nport = 1\ncacert = /ca.pem\nproxy_host = p\nproxy_port = 2\ntimeout = 3\n"
             "connect_timeout = 3\nlicense_key_file = " + key.string() + "\nstate_dir = /s\n");
  const Settings s = resolve();
  EXPECT_EQ(s.connection.proxy, "http://p:2");
  use_config("proxy = p:3\n host = h\n");
  EXPECT_EQ(resolve().connection.proxy, "http://p:3");
}

TEST_F(ConfigTest, read_config_file_of_missing_file_is_file_read)
{
  const auto err = error_of([&] { clm::read_config_file(dir() / "missing.conf"); });
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code(), ExitCode::file_read);
}

// ---- port ------------------------------------------------------------------

TEST_F(ConfigTest, port_limits_are_1_and_65535)
{
  flags().host = "h";
  flags().port = "1";
  EXPECT_EQ(resolve().connection.endpoints.at(0).port, 1);
  flags().port = "65535";
  EXPECT_EQ(resolve().connection.endpoints.at(0).port, 65535);
}

TEST_F(ConfigTest, bad_port_flag_is_bad_parameter)
{
  flags().host = "h";
  for (const char* port : {"0", "65536", "-1", "abc", "80x", "", " 80", "8443.0", "99999999999999999999"}) {
    flags().port = port;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "port '" << port << "'";
  }
}

TEST_F(ConfigTest, bad_port_flag_message_names_the_option)
{
  flags().host = "h";
  flags().port = "70000";
  EXPECT_EQ(resolve_error(), ExitCode::bad_parameter);
  EXPECT_NE(last_message().find("--port"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, bad_port_environment_is_bad_parameter)
{
  flags().host = "h";
  EXPECT_EQ(resolve_error({{"CLM_PORT", "http"}}), ExitCode::bad_parameter);
  EXPECT_NE(last_message().find("CLM_PORT"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, bad_port_in_file_is_bad_config)
{
  use_config("host = h\nport = 0\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
  EXPECT_NE(last_message().find("port"), std::string::npos) << last_message();
}

TEST_F(ConfigTest, bad_port_in_file_is_ignored_when_a_flag_wins)
{
  use_config("host = h\nport = nonsense\n");
  flags().port = "9000";
  EXPECT_EQ(resolve().connection.endpoints.at(0).port, 9000);
}

// ---- timeouts --------------------------------------------------------------

TEST_F(ConfigTest, timeout_limits_are_1_and_2147483647)
{
  flags().host = "h";
  flags().timeout = "1";
  EXPECT_EQ(resolve().connection.timeout, 1);
  flags().timeout = "2147483647";
  EXPECT_EQ(resolve().connection.timeout, 2147483647L);
}

TEST_F(ConfigTest, timeout_out_of_range_is_bad_parameter)
{
  flags().host = "h";
  for (const char* t : {"0", "2147483648", "-1", "9223372036854775808", "ten", "1s"}) {
    flags().timeout = t;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "timeout '" << t << "'";
  }
}

TEST_F(ConfigTest, connect_timeout_out_of_range_is_bad_parameter)
{
  flags().host = "h";
  for (const char* t : {"0", "2147483648"}) {
    flags().connect_timeout = t;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "connect timeout '" << t << "'";
  }
}

TEST_F(ConfigTest, timeout_out_of_range_in_file_is_bad_config)
{
  use_config("host = h\ntimeout = 0\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
  use_config("host = h\ntimeout = 2147483648\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
}

TEST_F(ConfigTest, connect_timeout_is_capped_to_timeout)
{
  flags().host = "h";
  flags().timeout = "10";
  flags().connect_timeout = "30";
  const Settings s = resolve();
  EXPECT_EQ(s.connection.timeout, 10);
  EXPECT_EQ(s.connection.connect_timeout, 10);
}

TEST_F(ConfigTest, default_connect_timeout_is_capped_to_a_short_timeout)
{
  flags().host = "h";
  flags().timeout = "5";
  EXPECT_EQ(resolve().connection.connect_timeout, 5);
}

TEST_F(ConfigTest, shorter_connect_timeout_is_kept)
{
  flags().host = "h";
  flags().timeout = "100";
  flags().connect_timeout = "7";
  const Settings s = resolve();
  EXPECT_EQ(s.connection.timeout, 100);
  EXPECT_EQ(s.connection.connect_timeout, 7);
}

// ---- proxy -----------------------------------------------------------------

TEST_F(ConfigTest, proxy_host_port_becomes_http_url)
{
  flags().host = "h";
  flags().proxy = "proxy.example:3128";
  EXPECT_EQ(resolve().connection.proxy, "http://proxy.example:3128");
}

TEST_F(ConfigTest, proxy_from_environment_and_file)
{
  use_config("host = h\nproxy = file-proxy:8080\n");
  EXPECT_EQ(resolve().connection.proxy, "http://file-proxy:8080");
  EXPECT_EQ(resolve({{"CLM_PROXY", "env-proxy:8081"}}).connection.proxy, "http://env-proxy:8081");
}

TEST_F(ConfigTest, malformed_proxy_flag_is_bad_parameter)
{
  flags().host = "h";
  for (const char* proxy : {"proxy.example", ":3128", "proxy.example:", "proxy.example:0", "proxy.example:65536",
                            "proxy.example:port", "http://proxy.example:3128", "a b:80"}) {
    flags().proxy = proxy;
    EXPECT_EQ(resolve_error(), ExitCode::bad_parameter) << "proxy '" << proxy << "'";
  }
}

TEST_F(ConfigTest, malformed_proxy_in_file_is_bad_config)
{
  use_config("host = h\nproxy = noport\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
}

TEST_F(ConfigTest, proxy_host_and_proxy_port_combine)
{
  flags().host = "h";
  flags().proxy_host = "proxy.example";
  flags().proxy_port = "8080";
  EXPECT_EQ(resolve().connection.proxy, "http://proxy.example:8080");
}

TEST_F(ConfigTest, proxy_host_without_proxy_port_is_missing_parameter)
{
  flags().host = "h";
  flags().proxy_host = "proxy.example";
  EXPECT_EQ(resolve_error(), ExitCode::missing_parameter);
}

TEST_F(ConfigTest, bad_proxy_port_is_bad_parameter)
{
  flags().host = "h";
  flags().proxy_host = "proxy.example";
  flags().proxy_port = "0";
  EXPECT_EQ(resolve_error(), ExitCode::bad_parameter);
}

TEST_F(ConfigTest, proxy_beats_proxy_host)
{
  flags().host = "h";
  flags().proxy = "one.example:1";
  flags().proxy_host = "two.example";
  flags().proxy_port = "2";
  EXPECT_EQ(resolve().connection.proxy, "http://one.example:1");
}

TEST_F(ConfigTest, proxy_host_flag_beats_proxy_environment)
{
  flags().host = "h";
  flags().proxy_host = "flag-proxy";
  flags().proxy_port = "1111";
  EXPECT_EQ(resolve({{"CLM_PROXY", "env-proxy:2222"}}).connection.proxy, "http://flag-proxy:1111");
}

TEST_F(ConfigTest, proxy_flag_beats_proxy_host_environment)
{
  flags().host = "h";
  flags().proxy = "flag-proxy:1111";
  EXPECT_EQ(resolve({{"CLM_PROXY_HOST", "env-proxy"}, {"CLM_PROXY_PORT", "2222"}}).connection.proxy,
            "http://flag-proxy:1111");
}

TEST_F(ConfigTest, proxy_host_environment_beats_proxy_in_file)
{
  use_config("host = h\nproxy = file-proxy:3333\n");
  EXPECT_EQ(resolve({{"CLM_PROXY_HOST", "env-proxy"}, {"CLM_PROXY_PORT", "2222"}}).connection.proxy,
            "http://env-proxy:2222");
}

TEST_F(ConfigTest, proxy_port_may_come_from_another_level)
{
  use_config("host = h\nproxy_port = 3128\n");
  flags().proxy_host = "flag-proxy";
  EXPECT_EQ(resolve().connection.proxy, "http://flag-proxy:3128");
}

// ---- license key -----------------------------------------------------------

TEST_F(ConfigTest, license_key_is_the_first_line_of_the_file)
{
  flags().host = "h";
  flags().license_key_file = write("license.key", "ABCDE-FGHJK\nsecond line\n").string();
  const Settings s = resolve();
  ASSERT_TRUE(s.connection.license_key.has_value());
  EXPECT_EQ(*s.connection.license_key, "ABCDE-FGHJK");
}

TEST_F(ConfigTest, license_key_file_from_environment_and_config)
{
  const fs::path env_key = write("env.key", "ENV-KEY\n");
  const fs::path file_key = write("file.key", "FILE-KEY\r\n");
  use_config("host = h\nlicense_key_file = " + file_key.string() + "\n");
  EXPECT_EQ(resolve().connection.license_key, "FILE-KEY");
  EXPECT_EQ(resolve({{"CLM_LICENSE_KEY_FILE", env_key.string()}}).connection.license_key, "ENV-KEY");
}

TEST_F(ConfigTest, missing_license_key_file_is_file_read)
{
  flags().host = "h";
  flags().license_key_file = (dir() / "missing.key").string();
  EXPECT_EQ(resolve_error(), ExitCode::file_read);
}

TEST_F(ConfigTest, empty_license_key_file_is_bad_file_format)
{
  flags().host = "h";
  flags().license_key_file = write("empty.key", "\n").string();
  EXPECT_EQ(resolve_error(), ExitCode::bad_file_format);
}

// ---- admin license key file (clm-device) -----------------------------------

TEST_F(ConfigTest, admin_key_file_follows_flag_environment_file_precedence)
{
  use_config("host = h\nadmin_key_file = /file/admin.key\n");
  EXPECT_EQ(resolve().admin_key_file, fs::path("/file/admin.key"));
  EXPECT_EQ(resolve({{"CLM_ADMIN_KEY_FILE", "/env/admin.key"}}).admin_key_file, fs::path("/env/admin.key"));
  flags().admin_key_file = "/flag/admin.key";
  EXPECT_EQ(resolve({{"CLM_ADMIN_KEY_FILE", "/env/admin.key"}}).admin_key_file, fs::path("/flag/admin.key"));
}

TEST_F(ConfigTest, admin_key_file_is_named_not_read)
{
  // The other tools resolve it too: a file they cannot read must not fail them.
  flags().host = "h";
  flags().admin_key_file = (dir() / "missing.key").string();
  const Settings s = resolve();
  EXPECT_EQ(s.admin_key_file, dir() / "missing.key");
  EXPECT_FALSE(s.connection.license_key.has_value());
  flags().admin_key_file.reset();
  EXPECT_FALSE(resolve().admin_key_file.has_value());
}

TEST_F(ConfigTest, empty_admin_key_file_in_the_config_is_bad_config)
{
  use_config("host = h\nadmin_key_file =\n");
  EXPECT_EQ(resolve_error(), ExitCode::bad_config);
  EXPECT_NE(last_message().find("admin_key_file"), std::string::npos) << last_message();
}

// ---- state directory -------------------------------------------------------

TEST_F(ConfigTest, state_dir_follows_flag_environment_file_precedence)
{
  use_config("host = h\nstate_dir = /file/state\n");
  EXPECT_EQ(resolve().state_dir, fs::path("/file/state"));
  EXPECT_EQ(resolve({{"CLM_STATE_DIR", "/env/state"}}).state_dir, fs::path("/env/state"));
  flags().state_dir = "/flag/state";
  EXPECT_EQ(resolve({{"CLM_STATE_DIR", "/env/state"}}).state_dir, fs::path("/flag/state"));
}

TEST_F(ConfigTest, state_dir_defaults_to_the_state_dir_default)
{
  flags().host = "h";
  EXPECT_EQ(resolve().state_dir, clm::StateDir::default_path());
}

TEST_F(ConfigTest, empty_state_dir_flag_is_bad_parameter)
{
  flags().host = "h";
  flags().state_dir = "";
  EXPECT_EQ(resolve_error(), ExitCode::bad_parameter);
}

TEST_F(ConfigTest, resolve_state_dir_needs_no_host)
{
  use_config("state_dir = /file/state\n");
  EXPECT_EQ(clm::resolve_state_dir(flags(), env_of({})), fs::path("/file/state"));
  EXPECT_EQ(clm::resolve_state_dir(flags(), env_of({{"CLM_STATE_DIR", "/env/state"}})), fs::path("/env/state"));
}

}  // namespace
