// Fuzz the value checks the tools and the server share (lib validate.hpp) and the
// server's reader of device facts (ipaddress, macaddress, ext_data). Properties beyond
// "does not crash": a subject the checker accepts parses, formats and parses back to the
// same entries; a refused one makes parse_subject throw Error(bad_parameter); normalized
// MAC addresses and serials are valid again; every problem text is non-empty.
#include "api.hpp"
#include "device_registry.hpp"

#include <clm/error.hpp>
#include <clm/json_io.hpp>
#include <clm/validate.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

using clm::json;

void require(bool ok, const char* what)
{
  if (!ok) {
    std::fprintf(stderr, "fuzz_subject_ext_data: property failed: %s\n", what);
    std::abort();
  }
}

// A problem, when there is one, is a message a user can read.
void check_problem(const std::optional<std::string>& problem, const char* what)
{
  require(!problem || !problem->empty(), what);
}

void fuzz_subject(std::string_view s)
{
  const auto problem = clm::subject_problem(s);
  check_problem(problem, "subject_problem gave an empty message");
  if (problem) {
    try {
      (void)clm::parse_subject(s);
      require(false, "parse_subject accepted a subject subject_problem refused");
    } catch (const clm::Error& e) {
      require(e.code() == clm::ExitCode::bad_parameter, "parse_subject threw another exit code");
    }
    return;
  }
  const auto entries = clm::parse_subject(s);
  const std::string formatted = clm::format_subject(entries);
  require(!clm::subject_problem(formatted), "format_subject wrote a subject subject_problem refuses");
  require(clm::parse_subject(formatted) == entries, "format_subject/parse_subject round trip changed the entries");
}

void fuzz_values(std::string_view s)
{
  for (const clm::FieldRule& rule : clm::k_field_rules) {
    for (const clm::Side side : {clm::Side::tool, clm::Side::server}) {
      const auto problem = clm::field_problem(rule.field, side, s);
      check_problem(problem, "field rule");
      // The tools never accept what the server refuses.
      require(side == clm::Side::server || problem || !clm::field_problem(rule.field, clm::Side::server, s),
              "a tool accepts a value the server refuses");
    }
    check_problem(clm::answer_value_problem(rule.field, s, clm::AnswerUse::file_name_part), "answer value");
  }
  check_problem(clm::ip_address_problem(s), "ip address");
  check_problem(clm::hostname_problem(s), "hostname");
  check_problem(clm::keytype_problem(s), "keytype");
  if (!clm::mac_address_problem(s)) {
    const std::string mac = clm::normalize_mac_address(s);
    require(mac.size() == 17 && !clm::mac_address_problem(mac), "normalized MAC address is not valid");
    require(clm::normalize_mac_address(mac) == mac, "normalize_mac_address is not idempotent");
  }
  if (!clm::field_problem(clm::Field::certserial, clm::Side::server, s)) {
    const std::string serial = clm::normalize_certserial(s);
    require(!clm::field_problem(clm::Field::certserial, clm::Side::server, serial), "normalized serial is not valid");
    require(clm::normalize_certserial(serial) == serial, "normalize_certserial is not idempotent");
  }
  if (!clm::field_problem(clm::Field::keyid, clm::Side::server, s)) {
    (void)clm::format_keyid(std::stoll(std::string(s)));
  }
  // keylength_problem takes the type and the length: split at the first comma.
  if (const auto comma = s.find(','); comma != std::string_view::npos) {
    check_problem(clm::keylength_problem(s.substr(0, comma), s.substr(comma + 1)), "keylength");
  }
}

// Run read_device_info (and read_device_claim) on req; a refusal is an ApiError.
void read_device(const json& req)
{
  try {
    const auto info = clm::server::read_device_info(req);
    if (info.macaddress) {
      require(!clm::mac_address_problem(*info.macaddress), "read_device_info kept a bad MAC address");
    }
    if (info.ext_data) {
      const auto ext = clm::parse_json(*info.ext_data);
      require(ext && ext->is_object(), "read_device_info kept ext_data that is not a JSON object");
    }
  } catch (const clm::server::ApiError& e) {
    require(e.errorcode >= 1101 && e.errorcode <= 1104, "read_device_info threw an unexpected errorcode");
  }
  for (auto rule : {clm::server::DeviceIdRule::optional, clm::server::DeviceIdRule::required}) {
    try {
      (void)clm::server::read_device_claim(req, rule);
    } catch (const clm::server::ApiError&) {
    }
  }
}

void fuzz_device_info(std::string_view s)
{
  if (const auto j = clm::parse_json(s)) {
    if (j->is_object()) {
      read_device(*j);
    }
    read_device(json{{"ext_data", *j}});
  }
  const std::string text(s);
  read_device(json{{"ipaddress", text}, {"macaddress", text}, {"devicename", text}, {"deviceid", text}});
  read_device(json{{"ext_data", json{{text, text}}}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  fuzz_subject(s);
  fuzz_values(s);
  fuzz_device_info(s);
  return 0;
}
