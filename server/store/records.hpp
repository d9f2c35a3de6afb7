// How the states of records are written in rows: the same words in every backend, and
// a word a row holds that names no state is an error, never a guess.
#pragma once

#include "store.hpp"

#include <string_view>

namespace clm::server {

std::string_view status_name(Status s);
std::string_view cert_kind_name(CertKind k);
std::string_view cert_status_name(CertStatus s);
std::string_view key_status_name(KeyStatus s);

// Return the state text names; StoreError 1602 naming the column and the text when it
// names none (a row written by a newer version, or damaged).
Status status_from(std::string_view text, std::string_view column);
CertKind cert_kind_from(std::string_view text, std::string_view column);
CertStatus cert_status_from(std::string_view text, std::string_view column);
KeyStatus key_status_from(std::string_view text, std::string_view column);

}  // namespace clm::server
