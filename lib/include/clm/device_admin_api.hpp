// Client side of the operator's device API (/SWCLM/DeviceInfo with the admin license
// key, no ID; our extension): bulk requests of up to k_max_bulk_devices devices, paged
// reads followed through "next", the device names a bulk command reads, and the
// answers as clm-device prints them (times as ISO 8601 UTC, counts as JSON numbers).
#pragma once

#include <clm/http_client.hpp>
#include <clm/json_io.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// Devices one bulk request names at most: the server's cap for the operator's modes.
inline constexpr std::size_t k_max_bulk_devices = 10000;

// Bytes of entries (as JSON) one bulk request carries at most: a request ends early
// when the next entry would pass this, well under the server's 1 MiB body limit (10,000
// entries with a 64-byte name and a 64-byte group, escaped, would not fit in it).
inline constexpr std::size_t k_max_bulk_bytes = 768 * 1024;

// Items one page of search, due or report holds at most.
inline constexpr std::size_t k_max_page_items = 1000;

// A read the server answers in pages: request (mode and filters, without after and
// limit), the array of each answer that holds the items, and how many to take.
struct PagedRead {
  json request;
  std::string items;                  // "deviceinfo", "due", "credentials"
  std::optional<std::size_t> limit;  // items in all; nullopt: every one
  std::size_t page_size = k_max_page_items;
};

// Send read through call page after page, each with after = the previous page's next,
// and hand each item to sink in order, until a page's next is "" or limit items were
// handed. Return the answer of a page the server refused (not ok), else nullopt; an
// answer without the items array or next is throw_bad_answer.
std::optional<ApiResult> read_pages(const ApiCaller& call, const PagedRead& read,
                                    const std::function<void(const json& item)>& sink);

// Send mode for entries (each a deviceinfo object with at least a devicename) through
// call, up to batch_size entries and k_max_bulk_bytes of them per request (at least
// one), and hand each entry and the server's
// answer for it to sink, in order. Return the answer of a request refused as a whole
// (an HTTP error: nothing of it was done), else nullopt; an answer without one
// deviceinfo object per entry is throw_bad_answer.
std::optional<ApiResult> send_bulk(const ApiCaller& call, const std::string& mode, const std::vector<json>& entries,
                                   std::size_t batch_size,
                                   const std::function<void(const json& entry, const json& answer)>& sink);

// Throw Error(http_error) explaining a refused operator request: a 403 as "the server
// refused: this request needs the admin license key", a 401 as a wrong admin license
// key, anything else as throw_api_failure does.
[[noreturn]] void throw_admin_failure(const ApiResult& result, const std::string& what);

// Return the line a device that failed in a bulk request of what gets on stderr:
// "WHAT NAME: errorcode E (MEANING)".
std::string device_failure_text(const std::string& what, const std::string& devicename, int errorcode);

// What became of one device of a bulk disable, enable, delete or update.
struct ChangeOutcome {
  json line;            // the device as device_output prints it, with "changed"
  bool failed = false;  // an error other than "already so"
};

// Return the outcome of answer (the server's answer for one device of a bulk request of
// mode). 1708, 1709 and 1710 (already disabled, enabled, deleted) get the "status" they
// mean and "changed": false, and are no failure when mode is disable, enable, delete
// respectively: the device already is as asked.
ChangeOutcome change_outcome(std::string_view mode, const json& answer);

// Return the errorcode that means "already so" for mode (1708 disable, 1709 enable,
// 1710 delete), or 0 for a mode without one.
int already_errorcode(std::string_view mode);

// Return a device answer (get, search item, disable, ...) as clm-device prints it:
// "expires", "created" and each event's "at" as ISO 8601 UTC text (null for ""), every
// other field as the server sent it. A time that is not digits is throw_bad_answer.
json device_output(const json& device);

// Return a group answer with "created" as ISO 8601 UTC, "devices" as a number and
// "rotate_days", "renew_days" as numbers (null for "").
json group_output(const json& group);

// Return a due item with "due" and "expires" as ISO 8601 UTC.
json due_output(const json& item);

// Return a report item with "expires" as ISO 8601 UTC and "days_left" as a number.
json credential_output(const json& item);

// Return the summary answer with every count (of "devices", "credentials" and each
// "per_day" entry's "issued" and "rotated") as a number.
json summary_output(const json& summary);

// Return the device names of text, a bulk command's standard input: one name per line,
// or JSON lines as clm-device prints them (a line starting with "{"), whose "devicename"
// is taken; surrounding blanks and blank lines are skipped. Error(bad_parameter) naming
// the line for a JSON line that is not an object with a "devicename" string, or a name
// the server could not hold (1..64 bytes, no control characters).
std::vector<std::string> read_device_names(std::string_view text);

// Throw Error(bad_parameter) naming option when name is not a device name the server
// could hold.
void check_device_name(const std::string& name, const std::string& option);

// Return the report items as an aligned table for a terminal: a header line, one row per
// item (DEVICE KIND KEYNUMBER NAME EXPIRES DAYS BUCKET; NAME is the alias of a key or
// the serial of a certificate, EXPIRES its UTC date), then one line counting the items
// per bucket. Items as credential_output returns them.
std::string report_table(const std::vector<json>& items);

// Return rows (the first one the header) as text, each column padded to its widest
// cell with two spaces between columns, no trailing blanks, one line per row.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace clm
