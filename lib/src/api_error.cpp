#include <clm/api_error.hpp>

#include <algorithm>
#include <array>

namespace clm {

namespace {

// Appendix 7.1, in the spec's order.
constexpr std::array k_api_errors{
  ApiErrorInfo{1001, 500, "server configuration is invalid"},
  ApiErrorInfo{1002, 500, "server could not read its configuration file"},
  ApiErrorInfo{1101, 400, "request is not valid JSON"},
  ApiErrorInfo{1102, 400, "a required parameter is missing"},
  ApiErrorInfo{1103, 400, "a parameter is given the wrong way"},
  ApiErrorInfo{1104, 400, "a parameter value is out of range (length, charset or value)"},
  ApiErrorInfo{1201, 403, "password does not match"},
  ApiErrorInfo{1202, 403, "ID/password is not valid (deleted)"},
  ApiErrorInfo{1203, 403, "ID/password has expired"},
  ApiErrorInfo{1204, 404, "ID not found"},
  ApiErrorInfo{1205, 500, "keyID numbers are exhausted"},
  ApiErrorInfo{1301, 404, "certificate not found (keynumber or certserial)"},
  ApiErrorInfo{1302, 404, "unknown CA name (catype)"},
  ApiErrorInfo{1303, 404, "certificate is not bound to this device"},
  ApiErrorInfo{1304, 403, "certificate is not valid"},
  ApiErrorInfo{1305, 403, "certificate has expired"},
  ApiErrorInfo{1306, 403, "certificate is already revoked or updated"},
  ApiErrorInfo{1307, 403, "new certificate is not valid"},
  ApiErrorInfo{1308, 403, "new certificate has expired"},
  ApiErrorInfo{1309, 404, "certificate file not found on the server"},
  ApiErrorInfo{1310, 500, "certificate file access error on the server"},
  ApiErrorInfo{1401, 500, "certificate operation failed on the server"},
  ApiErrorInfo{1402, 500, "certificate operation gave a malformed result"},
  ApiErrorInfo{1403, 500, "certificate operation lock timed out"},
  ApiErrorInfo{1501, 404, "key not found (keynumber)"},
  ApiErrorInfo{1502, 404, "key not found (newkeynumber)"},
  ApiErrorInfo{1503, 404, "key is not bound to this keynumber, filepath and device"},
  ApiErrorInfo{1504, 403, "key is already revoked or updated"},
  ApiErrorInfo{1505, 403, "new key is not valid"},
  ApiErrorInfo{1506, 403, "new key has expired"},
  ApiErrorInfo{1507, 400, "new key uses a different cipher"},
  ApiErrorInfo{1508, 400, "key value does not match"},
  ApiErrorInfo{1509, 403, "key is not valid"},
  ApiErrorInfo{1510, 403, "key has expired"},
  ApiErrorInfo{1511, 500, "key file not found on the server"},
  ApiErrorInfo{1512, 500, "key file access error on the server"},
  ApiErrorInfo{1513, 404, "keynumber and newkeynumber are the same"},
  ApiErrorInfo{1601, 500, "server cannot reach its database"},
  ApiErrorInfo{1602, 500, "server database access failed"},
  ApiErrorInfo{1603, 500, "server database column information is invalid"},
  ApiErrorInfo{1604, 500, "server database holds inconsistent data"},
  ApiErrorInfo{1701, 400, "deviceid does not match the registered device"},
  ApiErrorInfo{1702, 400, "device name is already registered"},
  ApiErrorInfo{1703, 403, "device key does not match"},
  ApiErrorInfo{1704, 403, "device is not valid"},
  ApiErrorInfo{1705, 403, "device has expired"},
  ApiErrorInfo{1706, 404, "device not found"},
  ApiErrorInfo{1707, 500, "server script failed"},
  ApiErrorInfo{1708, 404, "device is already disabled"},
  ApiErrorInfo{1709, 404, "device is already enabled"},
  ApiErrorInfo{1710, 404, "device is already deleted"},
  ApiErrorInfo{1901, 500, "server log initialisation failed"},
  ApiErrorInfo{2001, 500, "server initialisation failed"},
  ApiErrorInfo{2002, 500, "server encryption failed"},
  ApiErrorInfo{2003, 500, "server decryption failed"},
  ApiErrorInfo{2004, 500, "server crypto library call failed"},
  ApiErrorInfo{2005, 500, "server lightweight-cipher command failed"},
  ApiErrorInfo{2201, 404, "file not found on the server"},
  ApiErrorInfo{2202, 500, "server file read failed"},
  ApiErrorInfo{2203, 500, "server file write failed"},
  ApiErrorInfo{2204, 500, "server file delete failed"},
  ApiErrorInfo{2205, 500, "server date conversion failed"},
  ApiErrorInfo{9901, 500, "server system error"},
};

}  // namespace

std::optional<ApiErrorInfo> find_api_error(int errorcode)
{
  const auto* it = std::find_if(k_api_errors.begin(), k_api_errors.end(),
                                [&](const ApiErrorInfo& e) { return e.errorcode == errorcode; });
  if (it == k_api_errors.end()) {
    return std::nullopt;
  }
  return *it;
}

int http_status_for(int errorcode)
{
  if (errorcode == 0) {
    return 200;
  }
  const auto info = find_api_error(errorcode);
  return info ? info->http_status : 500;
}

}  // namespace clm
