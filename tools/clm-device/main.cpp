// clm-device: the operator's view of the fleet (/SWCLM/DeviceInfo with the admin
// license key): look devices up, disable, enable, delete and update them in bulk, group
// them, and list what expires or is due.
#include "common_options.hpp"
#include "device_session.hpp"
#include "tool_main.hpp"

#include <clm/device_admin_api.hpp>
#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/keylist_api.hpp>
#include <clm/text.hpp>
#include <clm/util/iso8601.hpp>
#include <clm/validate.hpp>

#include <functional>
#include <iostream>
#include <iterator>
#include <unistd.h>

namespace {

struct Options {
  clm::ConnectionFlags conn;
  bool pretty = false;
  std::vector<std::string> names;
  std::optional<std::string> prefix;
  std::optional<std::string> state;
  std::optional<std::string> group;
  bool no_group = false;
  std::optional<long> expiring_within;
  std::optional<std::size_t> limit;
  std::size_t page_size = clm::k_max_page_items;
  std::optional<std::string> ip;
  std::optional<std::string> mac;
  std::vector<std::string> ext;
  std::optional<std::string> expires;
  std::optional<long> rotate_days;
  bool no_rotate = false;
  std::optional<long> renew_days;
  bool no_renew = false;
  std::optional<long> within;
  std::optional<std::string> format;
};

// The exit code of a run that printed every device but some of them failed.
int g_partial_failure = 0;

// Print one result on stdout; stop when nobody reads it any more (a closed pipe).
void print(const Options& o, const clm::json& j)
{
  clm::write_json(std::cout, j, o.pretty ? clm::Pretty::yes : clm::Pretty::no);
  if (!std::cout) {
    throw clm::Error(clm::ExitCode::file_write, "stdout: cannot write (closed pipe?)");
  }
}

// Print the answer of a request refused as a whole, then fail as clm-key does.
[[noreturn]] void refused(const Options& o, const clm::ApiResult& r, const std::string& what)
{
  print(o, clm::api_output(r));
  clm::throw_admin_failure(r, what);
}

struct Session {
  clm::Settings settings;
  clm::ApiCaller call;

  explicit Session(const Options& o) : settings(clm::admin_tool_settings(o.conn)), call(clm::api_caller(settings.connection)) {}

  // Send one request; print its answer and fail when it is refused.
  clm::ApiResult request(const Options& o, const clm::json& req, const std::string& what) const
  {
    clm::ApiResult r = call(clm::k_deviceinfo_path, req);
    if (!r.ok()) {
      refused(o, r, what);
    }
    return r;
  }

  // Read every page of read, printing each item as convert makes it.
  void pages(const Options& o, const clm::PagedRead& read, const std::string& what,
             const std::function<clm::json(const clm::json&)>& convert) const
  {
    if (auto failed = clm::read_pages(call, read, [&](const clm::json& item) { print(o, convert(item)); })) {
      refused(o, *failed, what);
    }
  }
};

// Return the device names of the arguments, else of stdin (names or JSON lines).
std::vector<std::string> device_names(const Options& o)
{
  if (!o.names.empty()) {
    for (const auto& name : o.names) {
      clm::check_device_name(name, "NAME");
    }
    return o.names;
  }
  if (clm::stdin_is_terminal()) {
    throw clm::Error(clm::ExitCode::missing_parameter,
                     "no device names: give NAME... or pipe names or JSON lines (devicename) on stdin");
  }
  return clm::read_device_names(std::string(std::istreambuf_iterator<char>(std::cin), {}));
}

// Send mode for entries in bulk; print the line outcome makes of each device's answer
// and note the failures (one stderr line each).
void bulk(const Options& o, const std::string& mode, const std::vector<clm::json>& entries, const std::string& what,
          const std::function<clm::ChangeOutcome(const clm::json&)>& outcome)
{
  const Session s(o);
  const auto failed = clm::send_bulk(s.call, mode, entries, clm::k_max_bulk_devices,
                                     [&](const clm::json& entry, const clm::json& answer) {
    clm::ChangeOutcome out = outcome(answer);
    out.line["devicename"] = entry["devicename"];
    print(o, out.line);
    if (out.failed) {
      std::cerr << clm::tool_name() << ": error: "
                << clm::log_safe(clm::device_failure_text(what, entry["devicename"].get<std::string>(),
                                                          clm::answer_int(answer, "errorcode").value_or(-1)))
                << '\n';
      g_partial_failure = static_cast<int>(clm::ExitCode::http_error);
    }
  });
  if (failed) {
    refused(o, *failed, what);
  }
}

// Send a change (mode) for entries in bulk: one line per device with "changed".
void change(const Options& o, const std::string& mode, const std::vector<clm::json>& entries, const std::string& what)
{
  bulk(o, mode, entries, what, [&](const clm::json& answer) { return clm::change_outcome(mode, answer); });
}

std::vector<clm::json> entries_of(const std::vector<std::string>& names, const clm::json& fields = clm::json::object())
{
  std::vector<clm::json> entries;
  entries.reserve(names.size());
  for (const auto& name : names) {
    clm::json entry = fields;
    entry["devicename"] = name;
    entries.push_back(std::move(entry));
  }
  return entries;
}

void run_get(const Options& o)
{
  bulk(o, "get", entries_of(device_names(o)), "get", [](const clm::json& answer) {
    return clm::ChangeOutcome{clm::device_output(answer), clm::answer_int(answer, "errorcode").value_or(-1) != 0};
  });
}

void run_search(const Options& o)
{
  clm::PagedRead read{clm::json{{"mode", "search"}}, "deviceinfo", o.limit, o.page_size};
  clm::put_optional(read.request, "prefix", o.prefix);
  clm::put_optional(read.request, "status", o.state);
  clm::put_optional(read.request, "group", o.group);
  if (o.expiring_within) {
    read.request["expiring_within_days"] = std::to_string(*o.expiring_within);
  }
  const Session s(o);
  s.pages(o, read, "search", clm::device_output);
}

void run_change(const Options& o, const std::string& mode)
{
  change(o, mode, entries_of(device_names(o)), mode);
}

// Return --expires as the wire has it: milliseconds since 1970, or "" for never.
std::string expires_of(const std::string& text)
{
  if (text == "never") {
    return "";
  }
  const auto ms = clm::util::parse_iso8601(text);
  if (!ms) {
    throw clm::Error(clm::ExitCode::bad_parameter,
                     "--expires: '" + text + "' is not a UTC date (2027-01-31 or 2027-01-31T12:00:00Z) or never");
  }
  return std::to_string(*ms);
}

void run_update(const Options& o)
{
  const std::string name = o.names.empty() ? std::string() : o.names.front();
  clm::check_device_name(name, "NAME");
  clm::json req{{"mode", "update"}, {"devicename", name}};
  const std::size_t bare = req.size();
  if (o.ip) {
    clm::check_option(clm::ip_address_problem(*o.ip), "--ip");
  }
  if (o.mac) {
    clm::check_option(clm::mac_address_problem(*o.mac), "--mac");
  }
  clm::put_device_facts(req, {o.ip, o.mac, clm::parse_ext_data(o.ext)});
  if (o.expires) {
    req["expires"] = expires_of(*o.expires);
  }
  if (o.group || o.no_group) {
    req["group"] = o.group.value_or("");
  }
  if (req.size() == bare) {
    throw clm::Error(clm::ExitCode::missing_parameter,
                     "update: nothing to change: give --ip, --mac, --ext, --expires, --group or --no-group");
  }
  const Session s(o);
  const auto r = s.request(o, req, "update " + name);
  clm::json line = clm::device_output(r.body);
  line["changed"] = true;
  print(o, line);
}

// Set field of req to days, or "" when none is set (cleared); leave it out when neither.
void put_days(clm::json& req, const char* field, const std::optional<long>& days, bool none)
{
  if (days) {
    req[field] = std::to_string(*days);
  } else if (none) {
    req[field] = "";
  }
}

void run_group_set(const Options& o)
{
  clm::json req{{"mode", "groupset"}, {"group", *o.group}};
  put_days(req, "rotate_days", o.rotate_days, o.no_rotate);
  put_days(req, "renew_days", o.renew_days, o.no_renew);
  const Session s(o);
  clm::json line = clm::group_output(s.request(o, req, "group set " + *o.group).body);
  line["changed"] = true;
  print(o, line);
}

void run_group_get(const Options& o)
{
  const Session s(o);
  print(o, clm::group_output(s.request(o, {{"mode", "groupget"}, {"group", *o.group}}, "group get " + *o.group).body));
}

void run_group_list(const Options& o)
{
  const Session s(o);
  const auto r = s.request(o, {{"mode", "grouplist"}}, "group list");
  const clm::json* groups = clm::answer_array(r.body, "groups");
  if (!groups) {
    clm::throw_bad_answer("groups", "is missing");
  }
  for (const clm::json& group : *groups) {
    print(o, clm::group_output(group));
  }
}

void run_group_delete(const Options& o)
{
  const Session s(o);
  clm::json line = clm::group_output(
    s.request(o, {{"mode", "groupdelete"}, {"group", *o.group}}, "group delete " + *o.group).body);
  line["changed"] = true;
  print(o, line);
}

void run_group_members(const Options& o, const std::string& group)
{
  const std::string what = group.empty() ? "group remove" : "group add " + group;
  change(o, "update", entries_of(device_names(o), clm::json{{"group", group}}), what);
}

void run_due(const Options& o)
{
  clm::PagedRead read{clm::json{{"mode", "due"}}, "due", std::nullopt, o.page_size};
  clm::put_optional(read.request, "group", o.group);
  const Session s(o);
  s.pages(o, read, "due", clm::due_output);
}

void run_report(const Options& o)
{
  const bool table = o.format ? *o.format == "table" : ::isatty(STDOUT_FILENO) == 1;
  const clm::PagedRead read{clm::json{{"mode", "report"}, {"within_days", std::to_string(*o.within)}}, "credentials",
                            std::nullopt, o.page_size};
  const Session s(o);
  if (!table) {
    s.pages(o, read, "report", clm::credential_output);
    return;
  }
  std::vector<clm::json> items;
  if (auto failed = clm::read_pages(s.call, read, [&](const clm::json& item) {
        items.push_back(clm::credential_output(item));
      })) {
    refused(o, *failed, "report");
  }
  std::cout << clm::report_table(items) << std::flush;
}

void run_summary(const Options& o)
{
  const Session s(o);
  print(o, clm::summary_output(s.request(o, {{"mode", "summary"}}, "summary").body));
}

}  // namespace

int main(int argc, char** argv)
{
  Options o;
  const int failed = clm::tool_main(
    "clm-device", "Look up, disable, enable, delete, update and group devices on clm-server (admin license key)", argc,
    argv, [&](CLI::App& app) {
    clm::add_connection_options(app, o.conn, clm::LicenseKey::admin);
    app.add_flag("--pretty", o.pretty, "indent the JSON output")->group("Output");
    auto names = [&](CLI::App* sub, const char* text) { sub->add_option("NAME", o.names, text); };
    auto page_size = [&](CLI::App* sub) {
      sub->add_option("--page-size", o.page_size, "items per request, 1..1000 (default 1000)")
        ->check(CLI::Range(std::size_t{1}, clm::k_max_page_items));
    };

    auto* get = app.add_subcommand("get", "print devices with their audit trail");
    names(get, "device names");
    get->callback([&] { run_get(o); });

    auto* search = app.add_subcommand("search", "list devices by name prefix, state, group or expiry");
    search->add_option("--prefix", o.prefix, "device names starting with P");
    search->add_option("--state", o.state, "valid, disabled or deleted")
      ->check(CLI::IsMember({"valid", "disabled", "deleted"}));
    search->add_option("--group", o.group, "devices of group G");
    search->add_option("--expiring-within", o.expiring_within, "registrations expiring within DAYS, 1..36500")
      ->check(CLI::Range(1L, 36500L));
    search->add_option("--limit", o.limit, "at most N devices in all (default: every one)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
    page_size(search);
    search->callback([&] { run_search(o); });

    for (const char* mode : {"disable", "enable", "delete"}) {
      const std::string m = mode;
      const std::string help = m == "disable"  ? "refuse every request for the devices until enabled (1704)"
                               : m == "enable" ? "let disabled devices work again"
                                               : "revoke the devices' certificates, delete their keys, retire them";
      auto* sub = app.add_subcommand(m, help);
      names(sub, "device names (default: names or JSON lines on stdin)");
      sub->callback([&o, m] { run_change(o, m); });
    }

    auto* update = app.add_subcommand("update", "change a device's facts, registration expiry or group");
    update->add_option("NAME", o.names, "device name")->required()->expected(1);
    update->add_option("--ip", o.ip, "the device's IP address");
    update->add_option("--mac", o.mac, "the device's MAC address (12:34:56:78:90:12, 12-34-... or 1234...)");
    update->add_option("--ext", o.ext, "extra device information KEY=VALUE (repeatable; replaces all of it)");
    update->add_option("--expires", o.expires, "registration expiry: UTC DATE (2027-01-31[T12:00:00Z]) or never");
    auto* update_group = update->add_option("--group", o.group, "put the device in group G");
    update->add_flag("--no-group", o.no_group, "take the device out of its group")->excludes(update_group);
    update->callback([&] { run_update(o); });

    auto* group = app.add_subcommand("group", "manage device groups and their rotation policy");
    group->require_subcommand(1);
    auto group_name = [&](CLI::App* sub) { sub->add_option("GROUP", o.group, "group name")->required(); };
    auto* set = group->add_subcommand("set", "create or replace a group and its policy");
    group_name(set);
    auto* rotate = set->add_option("--rotate-days", o.rotate_days, "keys are due for rotation at N days old, 1..3650")
                     ->check(CLI::Range(1L, 3650L));
    set->add_flag("--no-rotate", o.no_rotate, "no scheduled key rotation")->excludes(rotate);
    auto* renew = set->add_option("--renew-days", o.renew_days,
                                  "certificates are due for renewal N days before they expire, 1..3650")
                    ->check(CLI::Range(1L, 3650L));
    set->add_flag("--no-renew", o.no_renew, "no scheduled certificate renewal")->excludes(renew);
    set->callback([&] { run_group_set(o); });
    auto* gget = group->add_subcommand("get", "print a group");
    group_name(gget);
    gget->callback([&] { run_group_get(o); });
    group->add_subcommand("list", "print every group")->callback([&] { run_group_list(o); });
    auto* gdelete = group->add_subcommand("delete", "delete a group that holds no device");
    group_name(gdelete);
    gdelete->callback([&] { run_group_delete(o); });
    auto* add = group->add_subcommand("add", "put devices in a group");
    group_name(add);
    names(add, "device names (default: names or JSON lines on stdin)");
    add->callback([&] { run_group_members(o, *o.group); });
    auto* remove = group->add_subcommand("remove", "take devices out of their group");
    names(remove, "device names (default: names or JSON lines on stdin)");
    remove->callback([&] { run_group_members(o, ""); });

    auto* due = app.add_subcommand("due", "list the keys and certificates group policies say are due");
    due->add_option("--group", o.group, "of group G only");
    page_size(due);
    due->callback([&] { run_due(o); });

    auto* report = app.add_subcommand("report", "list every valid credential expiring within DAYS");
    report->add_option("--within", o.within, "days from now, 0..36500")->required()->check(CLI::Range(0L, 36500L));
    report->add_option("--format", o.format, "json (JSON lines) or table (default: table on a terminal)")
      ->check(CLI::IsMember({"json", "table"}));
    page_size(report);
    report->callback([&] { run_report(o); });

    app.add_subcommand("summary", "count devices by state and credentials by expiry")->callback([&] { run_summary(o); });
  });
  return failed != 0 ? failed : g_partial_failure;
}
