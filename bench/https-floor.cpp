// The floor under a client's cost: the least a program linked with libcurl and OpenSSL
// does to make one HTTPS request (global init, one handle, one GET or POST, exit). The
// benchmarks run it beside the tools so their time and peak RSS can be read against it.
//
//   clm-bench-https-floor URL CACERT [BODY-FILE]   (POSTs the file's JSON when given)
//   CLM_BENCH_USERPWD_FILE=F   Basic auth from F ("user:password"), as the tools send the license key
#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace {

std::size_t discard(char*, std::size_t size, std::size_t n, void*)
{
  return size * n;
}

}  // namespace

int main(int argc, char** argv)
{
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: clm-bench-https-floor URL CACERT [BODY-FILE]\n");
    return 2;
  }
  std::string body;
  if (argc == 4) {
    std::ifstream in(argv[3], std::ios::binary);
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* h = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, argv[1]);
  curl_easy_setopt(h, CURLOPT_CAINFO, argv[2]);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &discard);
  std::string userpwd;
  if (const char* file = std::getenv("CLM_BENCH_USERPWD_FILE")) {
    std::ifstream in(file);
    std::getline(in, userpwd);
    curl_easy_setopt(h, CURLOPT_USERPWD, userpwd.c_str());
  }
  if (!body.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  return rc == CURLE_OK && status == 200 ? 0 : 1;
}
