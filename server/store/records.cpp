#include "records.hpp"

#include <array>
#include <string>
#include <utility>

namespace clm::server {

namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Status, 2> k_status{{{Status::valid, "valid"}, {Status::deleted, "deleted"}}};
constexpr Names<CertKind, 3> k_cert_kind{{{CertKind::ca, "ca"}, {CertKind::client, "client"}, {CertKind::server, "server"}}};
constexpr Names<CertStatus, 3> k_cert_status{
  {{CertStatus::valid, "valid"}, {CertStatus::revoked, "revoked"}, {CertStatus::updated, "updated"}}};
constexpr Names<KeyStatus, 3> k_key_status{
  {{KeyStatus::valid, "valid"}, {KeyStatus::updated, "updated"}, {KeyStatus::deleted, "deleted"}}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value)
{
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return names.front().second;  // unreachable: every enumerator is listed
}

template <typename E, std::size_t N>
E value_of(const Names<E, N>& names, std::string_view text, std::string_view column)
{
  for (const auto& [e, name] : names) {
    if (name == text) {
      return e;
    }
  }
  throw StoreError(1602, std::string(column) + ": '" + std::string(text.substr(0, 32)) + "' is no state this server knows");
}

}  // namespace

std::string_view status_name(Status s) { return name_of(k_status, s); }
std::string_view cert_kind_name(CertKind k) { return name_of(k_cert_kind, k); }
std::string_view cert_status_name(CertStatus s) { return name_of(k_cert_status, s); }
std::string_view key_status_name(KeyStatus s) { return name_of(k_key_status, s); }

Status status_from(std::string_view text, std::string_view column) { return value_of(k_status, text, column); }
CertKind cert_kind_from(std::string_view text, std::string_view column) { return value_of(k_cert_kind, text, column); }
CertStatus cert_status_from(std::string_view text, std::string_view column)
{
  return value_of(k_cert_status, text, column);
}
KeyStatus key_status_from(std::string_view text, std::string_view column)
{
  return value_of(k_key_status, text, column);
}

}  // namespace clm::server
