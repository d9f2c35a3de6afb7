// Fuzz what the tools do with a server's answer, as if a hostile or broken server sent
// it. The first input byte picks the answer kind and the HTTP status; the rest is the
// answer body (for clm-keyget, two bodies split at the first NUL byte: getkeylist's,
// then getlist's; or the deviceinfo of stdin and getlist's answer):
//   0 CredInfo answer -> certificate files (clm-cert), formats from the byte
//   1 KeyInfo answer  -> key file (clm-key), encoding from the byte; read back equal
//   2 DeviceInfo getkeylist + KeyInfo getlist -> key files (clm-keyget -i)
//   3 stdin deviceinfo + KeyInfo getlist -> key files (clm-keyget without -i)
// Files go to a private temporary directory, emptied after each input. clm::Error is
// the tools' way to refuse (an exit code and a message); any other exception is a finding.
#include <clm/cert_files.hpp>
#include <clm/error.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>
#include <clm/key_files.hpp>
#include <clm/keyget.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using clm::json;

void require(bool ok, const char* what)
{
  if (!ok) {
    std::fprintf(stderr, "fuzz_client_answers: property failed: %s\n", what);
    std::abort();
  }
}

// A private directory for the files, made once per process and removed at exit.
struct TempDir {
  fs::path path;
  TempDir()
  {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(base) + "/clm-fuzz-answers.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::abort();
    }
    path = tmpl;
  }
  ~TempDir()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  // Remove everything inside, so each input starts from an empty directory.
  void empty() const
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      fs::remove_all(e.path(), ec);
    }
  }
};

const TempDir& out_dir()
{
  static const TempDir dir;
  return dir;
}

// What a tool prints must serialize, whatever the server put in the answer.
void print(const json& j)
{
  (void)clm::dump_json(j);
}

void cert_answer(std::uint8_t selector, const clm::ApiResult& r)
{
  static const std::array<const char*, 3> formats{"pem", "der", "p12"};
  clm::CertFiles files;
  files.dir = out_dir().path;
  files.ca_name = "cacert";
  files.ca_format = formats[(selector >> 4) % 2];
  files.cert_name = (selector & 0x40) ? "svcert" : "clcert";
  files.cert_format = formats[(selector >> 5) % 3];
  files.key_name = (selector & 0x80) ? "" : "clkey";
  std::vector<std::string> written;
  try {
    written = clm::write_cert_answer(r.body, files);
  } catch (const clm::Error&) {
  }
  try {
    print(clm::cert_output(r, "nec-edge-0001", written));
  } catch (const clm::Error&) {
    // A key number or serial of the wrong type or value: the tool exits 32.
  }
}

void key_answer(std::uint8_t selector, const clm::ApiResult& r)
{
  static const std::array<clm::KeyEncoding, 3> encodings{clm::KeyEncoding::raw, clm::KeyEncoding::hex,
                                                          clm::KeyEncoding::base64};
  const clm::KeyEncoding encoding = encodings[(selector >> 4) % 3];
  const fs::path file = out_dir().path / "cmkey";
  std::vector<std::string> written;
  try {
    const std::string key = clm::key_of_answer(r.body);
    written = clm::write_key_file(file, key, encoding);
    require(clm::read_key_file(file, encoding) == key, "a key file does not read back as the key written");
  } catch (const clm::Error&) {
  }
  print(clm::key_output(r, "nec-edge-0001", written.empty() ? std::string() : file.string(), written));
}

// Split at the first NUL: the first answer, then the second.
std::pair<std::string_view, std::string_view> split(std::string_view body)
{
  const auto nul = body.find('\0');
  if (nul == std::string_view::npos) {
    return {body, std::string_view()};
  }
  return {body.substr(0, nul), body.substr(nul + 1)};
}

clm::KeyGetOptions keyget_options(std::uint8_t selector)
{
  clm::KeyGetOptions opts;
  opts.out_dir = out_dir().path;
  opts.binary = (selector & 0x10) != 0;
  opts.sha256 = (selector & 0x20) != 0;
  opts.hmac_key = std::string(32, '\x5a');
  return opts;
}

void print_outcomes(const std::vector<clm::DeviceOutcome>& outcomes)
{
  for (const auto& out : outcomes) {
    print(out.to_json());
    for (const auto& f : out.files) {
      require(fs::path(f).parent_path() == out_dir().path, "a key file was written outside the output directory");
    }
  }
}

void keyget_answers(std::uint8_t selector, long status, std::string_view body, bool from_stdin)
{
  // Named copies: clang 14 does not capture structured bindings in a lambda.
  const std::pair<std::string_view, std::string_view> answers = split(body);
  const std::string_view first = answers.first;
  const std::string_view second = answers.second;
  const clm::IdCredential id{"0000000001", "cGFzc3dv"};
  int calls = 0;
  // The server: the first call gets the first answer (getkeylist), the next the second.
  const clm::ApiCaller call = [&](const std::string&, const json&) {
    ++calls;
    return clm::api_result_of(status, calls == 1 && !from_stdin ? first : second);
  };
  try {
    if (from_stdin) {
      const auto deviceinfo = clm::parse_json(first);
      if (!deviceinfo || !deviceinfo->is_array()) {
        return;
      }
      print_outcomes(clm::pull_deviceinfo(call, id, *deviceinfo, keyget_options(selector)));
    } else {
      print_outcomes(clm::pull_batch(call, id, {"nec-edge-0001", "nec-edge-0002", "nec-edge-0003"},
                                     keyget_options(selector)));
    }
  } catch (const clm::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  static const std::array<long, 4> statuses{200, 201, 400, 404};
  const std::uint8_t selector = data[0];
  const long status = statuses[(selector >> 2) % 4];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (selector % 4) {
  case 0:
  case 1: {
    clm::ApiResult r;
    try {
      r = clm::api_result_of(status, body);
    } catch (const clm::Error&) {
      break;  // a 2xx answer without a JSON object: exit 40
    }
    print(clm::api_output(r));
    try {
      clm::throw_api_failure(r, "fuzz");
    } catch (const clm::Error&) {
    }
    if (selector % 4 == 0) {
      cert_answer(selector, r);
    } else {
      key_answer(selector, r);
    }
    break;
  }
  case 2:
    keyget_answers(selector, status, body, false);
    break;
  default:
    keyget_answers(selector, status, body, true);
    break;
  }
  out_dir().empty();
  return 0;
}
