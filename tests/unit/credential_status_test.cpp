// Tests of the expiry watch (clm-cert status, clm-key status): buckets at their
// boundaries, custom buckets, the plugin state a run adds up to, what a directory walk
// takes and passes by, tamper checks, and the JSON, table, Prometheus and Nagios texts.
// Certificates come from the server's CA with times chosen here; the clock is passed in.
#include "ca.hpp"
#include "test_support.hpp"

#include <clm/credential_status.hpp>
#include <clm/key_files.hpp>
#include <clm/sidecar.hpp>
#include <clm/state.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <fcntl.h>
#include <regex>
#include <sstream>
#include <sys/stat.h>

namespace {

namespace fs = std::filesystem;
using clm::CredentialKind;
using clm::CredentialStatus;
using clm::ExitCode;
using clm::PluginState;
using clm::Severity;
using clm::StatusReport;
using clm::StatusRules;
using clm::Tamper;
using clm::test::error_of;
using clm::test::read_plain;
using clm::test::write_plain;
using namespace std::chrono;

const clm::server::CaHierarchy& test_ca()
{
  static const auto ca = clm::server::create_ca(clm::server::KeyType::ec_p256);
  return ca;
}

// 2030-01-02 03:00:00 UTC: certificates are issued then for 30 days (notBefore is five
// minutes earlier, notAfter 2030-02-01T03:00:00Z).
const system_clock::time_point k_issued = sys_days{year{2030} / 1 / 2} + hours{3};
const system_clock::time_point k_not_after = k_issued + hours{24 * 30};

// Return the PEM of a certificate for subject CN=cn issued at k_issued for days days.
std::string cert_pem(const std::string& cn, const std::string& serial = "7A1B2C3D4E5F6071", int days = 30)
{
  clm::server::LeafSpec spec;
  spec.subject = {{"O", "clm-test"}, {"CN", cn}};
  spec.serial_hex = serial;
  spec.now = k_issued;
  spec.lifetime = hours{24 * days};
  const std::string der =
    clm::server::Issuer(test_ca().issuing).issue(clm::server::PrivateKey::generate(clm::server::KeyType::ec_p256), spec);
  return clm::server::der_to_pem(der);
}

const std::string& shared_pem()
{
  static const std::string pem = cert_pem("gw01");
  return pem;
}

StatusRules cert_rules()
{
  return StatusRules{};
}

StatusRules key_rules(int max_age = 90)
{
  StatusRules r;
  r.kind = CredentialKind::key;
  r.max_age_days = max_age;
  return r;
}

class CredentialStatusTest : public clm::test::TempDirTest {
protected:
  CredentialStatusTest() : TempDirTest("clm-status") {}

  std::string path(const std::string& name) const { return (dir() / name).string(); }

  // Return the report of one file f at now.
  StatusReport one(const std::string& f, system_clock::time_point now, const StatusRules& rules = cert_rules()) const
  {
    return clm::credential_status({f}, rules, now);
  }

  // Return the one item the report at now of a certificate valid for 100 days from k_issued holds.
  CredentialStatus item_at(system_clock::time_point now, const StatusRules& rules = cert_rules())
  {
    const std::string f = path("long.pem");
    if (!fs::exists(f)) {
      write_plain(f, cert_pem("long", "0F", 100));
    }
    auto r = one(f, now, rules);
    EXPECT_EQ(r.items.size(), 1u);
    return r.items.empty() ? CredentialStatus{} : r.items.front();
  }

  // Set the modification time of f to t.
  static void set_mtime(const std::string& f, system_clock::time_point t)
  {
    const auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
    const timespec times[2] = {{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)},
                               {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)}};
    ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0) << f;
  }

  // Return the paths of report's items, relative to dir().
  std::vector<std::string> found(const StatusReport& r) const
  {
    std::vector<std::string> out;
    for (const auto& i : r.items) {
      out.push_back(fs::path(i.path).lexically_relative(dir()).string() + (i.error ? " (error)" : ""));
    }
    return out;
  }
};

// ---- buckets ----

TEST(BucketOf, EachDefaultBoundary)
{
  const auto& b = clm::k_default_buckets;
  EXPECT_EQ(clm::bucket_of(-1, b), "expired");
  EXPECT_EQ(clm::bucket_of(0, b), "15");
  EXPECT_EQ(clm::bucket_of(15, b), "15");
  EXPECT_EQ(clm::bucket_of(16, b), "30");
  EXPECT_EQ(clm::bucket_of(30, b), "30");
  EXPECT_EQ(clm::bucket_of(31, b), "60");
  EXPECT_EQ(clm::bucket_of(60, b), "60");
  EXPECT_EQ(clm::bucket_of(61, b), "90");
  EXPECT_EQ(clm::bucket_of(90, b), "90");
  EXPECT_EQ(clm::bucket_of(91, b), "ok");
  EXPECT_EQ(clm::bucket_of(5, {}), "ok");
  EXPECT_EQ(clm::bucket_of(-5, {}), "expired");
}

TEST(ParseBuckets, AnyOrderOfDistinctPositiveDays)
{
  EXPECT_EQ(clm::parse_buckets("90,60,30,15", "--buckets"), (std::vector<int>{90, 60, 30, 15}));
  EXPECT_EQ(clm::parse_buckets("7, 45 ,1", "--buckets"), (std::vector<int>{45, 7, 1}));
  EXPECT_EQ(clm::parse_buckets("36500", "--buckets"), (std::vector<int>{36500}));
  EXPECT_EQ(clm::bucket_of(7, clm::parse_buckets("45,7", "--buckets")), "7");
  EXPECT_EQ(clm::bucket_of(8, clm::parse_buckets("45,7", "--buckets")), "45");
  EXPECT_EQ(clm::bucket_of(46, clm::parse_buckets("45,7", "--buckets")), "ok");
  for (const char* bad : {"", "0", "-5", "30,", ",30", "abc", "30;15", "36501", "1e3", "30,30", "99999999999"}) {
    const auto e = error_of([&] { clm::parse_buckets(bad, "--buckets"); });
    ASSERT_TRUE(e) << bad;
    EXPECT_EQ(e->code(), ExitCode::bad_parameter);
    EXPECT_EQ(std::string(e->what()).rfind("--buckets: ", 0), 0u) << e->what();
  }
}

TEST(EffectiveBuckets, KeysLeaveOutBucketsAsWideAsTheirMaxAge)
{
  EXPECT_EQ(clm::effective_buckets(cert_rules()), clm::k_default_buckets);
  EXPECT_EQ(clm::effective_buckets(key_rules(90)), (std::vector<int>{60, 30, 15}));
  EXPECT_EQ(clm::effective_buckets(key_rules(365)), clm::k_default_buckets);
  EXPECT_EQ(clm::effective_buckets(key_rules(10)), std::vector<int>{});
}

TEST_F(CredentialStatusTest, CertificateDaysAndBucketAtEachBoundary)
{
  struct Case {
    system_clock::duration before_end;
    std::int64_t days;
    const char* bucket;
    Severity severity;
  };
  for (const Case& c : {Case{hours{24 * 15}, 15, "15", Severity::warning},
                        Case{hours{24 * 15} + seconds{1}, 15, "15", Severity::warning},
                        Case{hours{24 * 16}, 16, "30", Severity::warning},
                        Case{hours{24 * 16} - seconds{1}, 15, "15", Severity::warning},
                        Case{hours{24 * 30}, 30, "30", Severity::warning},
                        Case{hours{24 * 31}, 31, "60", Severity::warning},
                        Case{seconds{0}, 0, "15", Severity::warning},
                        Case{-seconds{1}, -1, "expired", Severity::error},
                        Case{-hours{24 * 400}, -400, "expired", Severity::error}}) {
    const auto s = item_at(k_issued + hours{24 * 100} - c.before_end);
    EXPECT_EQ(s.days_left, c.days) << c.bucket;
    EXPECT_EQ(s.bucket, c.bucket) << c.days;
    EXPECT_EQ(s.severity, c.severity) << c.days;
    EXPECT_FALSE(s.not_yet_valid);
  }
  const auto s = item_at(k_issued);
  EXPECT_EQ(s.days_left, 100);
  EXPECT_EQ(s.bucket, "ok");
  EXPECT_EQ(s.severity, Severity::info);
}

TEST_F(CredentialStatusTest, NotYetValidIsAnErrorAndCritical)
{
  const std::string f = path("cert.pem");
  write_plain(f, shared_pem());
  // notBefore is five minutes before k_issued.
  auto r = one(f, k_issued - minutes{5} - seconds{1});
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_TRUE(r.items[0].not_yet_valid);
  EXPECT_EQ(r.items[0].bucket, "30");
  EXPECT_EQ(r.items[0].severity, Severity::error);
  EXPECT_EQ(clm::plugin_state(r), PluginState::critical);
  EXPECT_EQ(clm::status_json(r)[0]["not_yet_valid"], true);

  r = one(f, k_issued - minutes{5});
  EXPECT_FALSE(r.items[0].not_yet_valid);
  EXPECT_EQ(r.items[0].severity, Severity::warning);
  EXPECT_EQ(clm::plugin_state(r), PluginState::warning);
}

// ---- the state of a run ----

CredentialStatus judged(std::int64_t days_left, Tamper tamper = Tamper::none)
{
  CredentialStatus s;
  s.path = "/x/" + std::to_string(days_left);
  s.days_left = days_left;
  s.ends_ms = duration_cast<milliseconds>((k_issued + hours{24 * days_left}).time_since_epoch()).count();
  s.bucket = clm::bucket_of(days_left, clm::k_default_buckets);
  s.severity = s.bucket == "expired" || tamper == Tamper::mismatch ? Severity::error
               : s.bucket == "ok"                                 ? Severity::info
                                                                  : Severity::warning;
  s.tamper = tamper;
  clm::CertificateInfo info;
  info.subject = "/CN=x";
  info.serial = "01";
  s.certificate = info;
  return s;
}

CredentialStatus unreadable(const std::string& path)
{
  CredentialStatus s;
  s.path = path;
  s.error = "does not exist";
  return s;
}

StatusReport report_of(std::vector<CredentialStatus> items, StatusRules rules = cert_rules())
{
  StatusReport r;
  r.rules = std::move(rules);
  r.buckets = clm::effective_buckets(r.rules);
  r.now_ms = duration_cast<milliseconds>(k_issued.time_since_epoch()).count();
  r.items = std::move(items);
  return r;
}

TEST(PluginState, WorstWinsCriticalThenWarningThenUnknown)
{
  EXPECT_EQ(clm::plugin_state(report_of({})), PluginState::unknown);
  EXPECT_EQ(clm::plugin_state(report_of({judged(100), judged(31)})), PluginState::ok);
  EXPECT_EQ(clm::plugin_state(report_of({judged(100), judged(30)})), PluginState::warning);
  EXPECT_EQ(clm::plugin_state(report_of({judged(16)})), PluginState::warning);
  EXPECT_EQ(clm::plugin_state(report_of({judged(15)})), PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({judged(0)})), PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({judged(-1)})), PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({judged(200, Tamper::mismatch)})), PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({judged(200, Tamper::unchecked)})), PluginState::ok);
  EXPECT_EQ(clm::plugin_state(report_of({judged(200), unreadable("/gone")})), PluginState::unknown);
  // When several apply: CRITICAL > WARNING > UNKNOWN > OK.
  EXPECT_EQ(clm::plugin_state(report_of({unreadable("/gone"), judged(20), judged(-3), judged(200)})),
            PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({unreadable("/gone"), judged(20), judged(200)})), PluginState::warning);
  // The thresholds are the rules', not the buckets.
  StatusRules rules = cert_rules();
  rules.warning_days = 90;
  rules.critical_days = 0;
  EXPECT_EQ(clm::plugin_state(report_of({judged(1)}, rules)), PluginState::warning);
  EXPECT_EQ(clm::plugin_state(report_of({judged(0)}, rules)), PluginState::critical);
  EXPECT_EQ(clm::plugin_state(report_of({judged(91)}, rules)), PluginState::ok);
}

TEST(StatusNagios, OneStatusLineWithPerfdataThenTheFilesBehindIt)
{
  const auto r = report_of({judged(-2), judged(20), judged(25), judged(200), judged(61)});
  const std::string text = clm::status_nagios(r);
  std::istringstream in(text);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "CLM-CERT CRITICAL - 1 expired, 2 within 30 days | expired=1 critical=0 warning=2 ok=2 "
                   "tampered=0 notyetvalid=0 errors=0");
  std::string rest((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(rest, "/x/-2: expired on 2029-12-31\n/x/20: 20 days left until 2030-01-22\n"
                  "/x/25: 25 days left until 2030-01-27\n");

  EXPECT_EQ(clm::status_nagios(report_of({judged(200), judged(100)})),
            "CLM-CERT OK - 2 certificates, none within 30 days | expired=0 critical=0 warning=0 ok=2 tampered=0 "
            "notyetvalid=0 errors=0\n");
  EXPECT_EQ(clm::status_nagios(report_of({})),
            "CLM-CERT UNKNOWN - no certificate found | expired=0 critical=0 warning=0 ok=0 tampered=0 notyetvalid=0 "
            "errors=0\n");
  const std::string unknown = clm::status_nagios(report_of({unreadable("/a|b"), judged(100, Tamper::mismatch)}));
  EXPECT_EQ(unknown, "CLM-CERT CRITICAL - 1 tampered, 1 unreadable | expired=0 critical=0 warning=0 ok=1 tampered=1 "
                     "notyetvalid=0 errors=1\n/a\\x7cb: does not exist\n/x/100: does not match its sidecar\n");
  EXPECT_EQ(clm::status_unknown_line(CredentialKind::key, "error: --x: a|b\nc"),
            "CLM-KEY UNKNOWN - error: --x: a\\x7cb\\x0ac\n");
}

// ---- what the texts look like ----

TEST(StatusPrometheus, EscapesHostileLabelValuesAndKeepsTheGrammar)
{
  auto hostile = judged(-1);
  hostile.path = "/etc/\"quoted\"\\back\nline\xff.pem";
  hostile.certificate->subject = "/CN=a\"b\\c\nd";
  hostile.certificate->serial = "0A";
  hostile.ends_ms = 1893553200000;  // 2030-01-02T03:00:00Z
  auto fine = judged(100);
  fine.ends_ms = 1900000000000;
  const std::string text = clm::status_prometheus(report_of({hostile, fine, unreadable("/gone")}));

  EXPECT_NE(text.find("clm_cert_not_after_seconds{path=\"/etc/\\\"quoted\\\"\\\\back\\nline\xEF\xBF\xBD.pem\","
                      "subject=\"/CN=a\\\"b\\\\c\\nd\",serial=\"0A\"} 1893553200\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("clm_cert_expired{path=\"/x/100\",subject=\"/CN=x\",serial=\"01\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("clm_cert_days_left{path=\"/x/100\",subject=\"/CN=x\",serial=\"01\"} 100\n"), std::string::npos);
  EXPECT_NE(text.find("clm_credential_status_files{kind=\"certificate\",bucket=\"expired\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("clm_credential_status_files{kind=\"certificate\",bucket=\"15\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("clm_credential_status_files{kind=\"certificate\",bucket=\"ok\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("clm_credential_status_errors{kind=\"certificate\"} 1\n"), std::string::npos);

  // Every line is a HELP or TYPE line or a sample of the exposition format, and every
  // sample's family was introduced by its TYPE line.
  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* [^\n]*)");
  const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) gauge)");
  const std::regex sample(
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? -?[0-9]+)");
  std::istringstream in(text);
  std::string line;
  std::string family;
  std::size_t samples = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, type)) {
      family = m[1];
    } else if (std::regex_match(line, m, sample)) {
      EXPECT_EQ(m[1], family) << line;
      ++samples;
    } else {
      EXPECT_TRUE(std::regex_match(line, help)) << "not in the exposition format: " << line;
    }
  }
  EXPECT_EQ(samples, 4u * 2 + 6 + 1);
}

TEST(StatusTable, ColumnsLineUp)
{
  auto a = judged(5);
  a.path = "/short";
  a.certificate->subject = "/CN=a-much-longer-subject";
  a.ends_ms = 1893553200000;
  auto b = judged(-100);
  b.path = "/a/much/longer/path.pem";
  b.ends_ms = 1893553200000;
  b.tamper = Tamper::mismatch;
  const std::string table = clm::status_table(report_of({a, b, unreadable("/gone\nnow")}));
  std::istringstream in(table);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 5u) << table;
  EXPECT_EQ(lines[0], "SEVERITY  BUCKET   DAYS  NOT-AFTER   SUBJECT                    PATH                     NOTE");
  EXPECT_EQ(lines[1], "warning   15       5     2030-01-02  /CN=a-much-longer-subject  /short");
  EXPECT_EQ(lines[2],
            "error     expired  -100  2030-01-02  /CN=x                      /a/much/longer/path.pem  tampered: does not "
            "match its sidecar");
  EXPECT_EQ(lines[3], "unknown   -        -     -           -                          /gone\\x0anow             does not exist");
  EXPECT_EQ(lines[4].rfind("CLM-CERT CRITICAL - 1 expired, 1 tampered, 1 within 15 days, 1 unreadable | ", 0), 0u)
    << lines[4];
}

// ---- files ----

TEST_F(CredentialStatusTest, JsonOfACertificateAndOfAnError)
{
  const std::string f = path("cert.pem");
  write_plain(f, shared_pem());
  const auto r = clm::credential_status({f, path("missing.pem")}, cert_rules(), k_not_after - hours{24 * 20});
  const auto j = clm::status_json(r);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["file"], f);
  EXPECT_EQ(j[0]["kind"], "certificate");
  EXPECT_EQ(j[0]["subject"], "/O=clm-test/CN=gw01");
  EXPECT_EQ(j[0]["issuer"], "/O=clm/CN=ca1");
  EXPECT_EQ(j[0]["serial"], "7A1B2C3D4E5F6071");
  EXPECT_EQ(j[0]["not_before"], "2030-01-02T02:55:00Z");
  EXPECT_EQ(j[0]["not_after"], "2030-02-01T03:00:00Z");
  EXPECT_EQ(j[0]["days_left"], 20);
  EXPECT_EQ(j[0]["bucket"], "30");
  EXPECT_EQ(j[0]["severity"], "warning");
  EXPECT_EQ(j[0]["tamper"], "none");
  EXPECT_EQ(j[0]["not_yet_valid"], false);
  EXPECT_FALSE(j[0].contains("error"));

  EXPECT_EQ(j[1], (clm::json{{"file", path("missing.pem")}, {"kind", "certificate"}, {"severity", "unknown"},
                             {"bucket", nullptr}, {"error", "does not exist"}}));
  EXPECT_EQ(clm::plugin_state(r), PluginState::warning);
}

TEST_F(CredentialStatusTest, DirectoryWalkTakesCertificatesAndPassesByTheRest)
{
  fs::create_directories(dir() / "tree/sub");
  fs::create_directories(dir() / "elsewhere");
  clm::write_with_sidecar(dir() / "tree/clcert.pem", shared_pem(), 0644);
  write_plain(path("tree/clkey.pem"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
  write_plain(path("tree/README"), "not a certificate\n");
  write_plain(path("tree/.clcert.pem.tmp.AbCdEf"), shared_pem());  // a killed write's temporary
  write_plain(path("tree/sub/other.crt"), cert_pem("gw02", "0B"));
  write_plain(path("tree/sub/broken.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  write_plain(path("elsewhere/outside.pem"), cert_pem("gw03", "0C"));
  fs::create_directory_symlink(dir() / "elsewhere", dir() / "tree/linked-dir");
  fs::create_symlink(dir() / "tree/clcert.pem", dir() / "tree/a-link.pem");
  fs::create_symlink(dir() / "elsewhere/outside.pem", dir() / "tree/b-link.pem");
  fs::create_symlink(dir() / "nowhere", dir() / "tree/dangling.pem");

  const auto r = clm::credential_status({path("tree")}, cert_rules(), k_issued);
  EXPECT_EQ(found(r), (std::vector<std::string>{"tree/b-link.pem", "tree/clcert.pem", "tree/sub/broken.pem (error)",
                                                "tree/sub/other.crt"}));
  EXPECT_EQ(r.items[1].tamper, Tamper::ok);
  EXPECT_EQ(r.items[0].tamper, Tamper::none);
  EXPECT_EQ(r.items[3].certificate->subject, "/O=clm-test/CN=gw02");
  EXPECT_EQ(clm::plugin_state(r), PluginState::warning);  // 30 days left: WARNING beats UNKNOWN

  // A file named on the command line must be a certificate.
  const auto named = clm::credential_status({path("tree/README"), path("tree")}, cert_rules(), k_issued);
  ASSERT_FALSE(named.items.empty());
  EXPECT_EQ(found(named).front(), "tree/README (error)");
  EXPECT_EQ(*named.items.front().error, "not a PEM, DER or PKCS#12 certificate");  // the path once, in path
}

TEST_F(CredentialStatusTest, ReadsDerAndPkcs12WithItsPassphrase)
{
  const auto key = clm::server::PrivateKey::generate(clm::server::KeyType::ec_p256);
  clm::server::LeafSpec spec;
  spec.subject = {{"CN", "p12"}};
  spec.serial_hex = "0D";
  spec.now = k_issued;
  spec.lifetime = hours{24 * 30};
  const std::string der = clm::server::Issuer(test_ca().issuing).issue(key, spec);
  write_plain(path("c.der"), der);
  write_plain(path("c.p12"), clm::server::make_pkcs12(der, key.pem(), "secret", "p12"));

  auto r = clm::credential_status({dir().string()}, cert_rules(), k_issued);
  EXPECT_EQ(found(r), (std::vector<std::string>{"c.der", "c.p12 (error)"}));
  EXPECT_EQ(*r.items[1].error, "a PKCS#12 file needs --passphrase-file");

  StatusRules rules = cert_rules();
  rules.passphrase = "secret";
  r = clm::credential_status({dir().string()}, rules, k_issued);
  EXPECT_EQ(found(r), (std::vector<std::string>{"c.der", "c.p12"}));
  rules.passphrase = "wrong";
  r = clm::credential_status({dir().string()}, rules, k_issued);
  EXPECT_EQ(found(r), (std::vector<std::string>{"c.der", "c.p12 (error)"}));
}

TEST_F(CredentialStatusTest, TamperedCertificateIsCriticalWhateverItsDate)
{
  const fs::path f = dir() / "cert.pem";
  clm::write_with_sidecar(f, shared_pem(), 0644);
  write_plain(f, cert_pem("swapped", "0E"));
  const auto r = one(f.string(), k_issued);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].tamper, Tamper::mismatch);
  EXPECT_EQ(r.items[0].bucket, "30");
  EXPECT_EQ(r.items[0].severity, Severity::error);
  EXPECT_EQ(clm::plugin_state(r), PluginState::critical);
  EXPECT_EQ(clm::status_json(r)[0]["tamper"], "mismatch");
}

TEST_F(CredentialStatusTest, KeyFilesByAgeAgainstMaxAge)
{
  const std::string key(16, '\x5a');
  const auto written = k_issued - hours{24 * 70} - minutes{1};
  // clm-key's file: any name, a .sha256 sidecar.
  clm::write_key_file(dir() / "cmkey", key, clm::KeyEncoding::raw);
  set_mtime(path("cmkey"), written);
  // clm-keyget's: DEVICE_KEYNUMBER in hex, DEVICE_KEYNUMBER.bin with its .hmac.
  write_plain(path("gw_01_147"), std::string(64, 'a') + "\n");
  set_mtime(path("gw_01_147"), k_issued);
  const std::string hmac_key(32, 'k');
  write_plain(path("gw_01_147.bin"), std::string(10, 'b'));
  set_mtime(path("gw_01_147.bin"), k_issued);
  write_plain(path("gw_01_147.bin.hmac"), clm::hmac_sidecar_line(std::string(10, 'b'), hmac_key, "gw_01_147.bin"));
  write_plain(path("hmac.key"), hmac_key);
  ::chmod(path("hmac.key").c_str(), 0600);
  // Short files no clm tool wrote: passed by in a directory.
  write_plain(path("machine-id"), std::string(32, 'f') + "\n");
  write_plain(path("notes"), "hello\n");
  write_plain(path("base64key"), "WlpaWlpaWlpaWlpaWlpaWg==\n");

  StatusRules rules = key_rules(90);
  rules.hmac_key_file = dir() / "hmac.key";
  auto r = clm::credential_status({dir().string()}, rules, k_issued);
  EXPECT_EQ(found(r), (std::vector<std::string>{"cmkey", "gw_01_147", "gw_01_147.bin"}));
  ASSERT_EQ(r.items.size(), 3u);
  const auto& cmkey = r.items[0];
  EXPECT_EQ(cmkey.bits, 128);
  EXPECT_EQ(cmkey.encoding, "raw");
  EXPECT_EQ(cmkey.age_days, 70);
  EXPECT_EQ(cmkey.days_left, 19);  // 90 days after writing, less 70 days and a minute
  EXPECT_EQ(cmkey.bucket, "30");
  EXPECT_EQ(cmkey.severity, Severity::warning);
  EXPECT_EQ(cmkey.tamper, Tamper::ok);
  EXPECT_FALSE(cmkey.keynumber);
  EXPECT_EQ(r.items[1].keynumber, "147");
  EXPECT_EQ(r.items[1].devicename, "gw_01");
  EXPECT_EQ(r.items[1].bits, 256);
  EXPECT_EQ(r.items[1].encoding, "hex");
  EXPECT_EQ(r.items[1].days_left, 90);
  EXPECT_EQ(r.items[1].bucket, "ok");  // a new key is not in the 90-day bucket of a 90-day life
  EXPECT_EQ(r.items[1].severity, Severity::info);
  EXPECT_EQ(r.items[2].bits, 80);
  EXPECT_EQ(r.items[2].tamper, Tamper::ok);
  EXPECT_EQ(clm::plugin_state(r), PluginState::warning);

  const auto j = clm::status_json(r)[0];
  EXPECT_EQ(j["kind"], "key");
  EXPECT_EQ(j["keynumber"], nullptr);
  EXPECT_EQ(j["age_days"], 70);
  EXPECT_EQ(j["max_age_days"], 90);
  EXPECT_EQ(j["modified"], "2029-10-24T02:59:00Z");
  EXPECT_EQ(j["rotate_by"], "2030-01-22T02:59:00Z");
  EXPECT_EQ(j["days_left"], 19);

  // Without the HMAC key the .hmac sidecar is not checked; a changed key is tampered.
  rules.hmac_key_file = dir() / "no-such-key";
  write_plain(path("cmkey"), std::string(16, 'X'));
  set_mtime(path("cmkey"), written);
  r = clm::credential_status({dir().string()}, rules, k_issued);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].tamper, Tamper::mismatch);
  EXPECT_EQ(r.items[0].severity, Severity::error);
  EXPECT_EQ(r.items[2].tamper, Tamper::unchecked);
  EXPECT_EQ(clm::plugin_state(r), PluginState::critical);

  // Named, a key file needs neither a sidecar nor a clm-keyget name; overdue by a second is overdue.
  set_mtime(path("machine-id"), k_issued - hours{24 * 90} - seconds{1});
  r = clm::credential_status({path("machine-id"), path("base64key"), path("notes")}, rules, k_issued);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].bits, 128);
  EXPECT_EQ(r.items[0].days_left, -1);
  EXPECT_EQ(r.items[0].bucket, "expired");
  EXPECT_EQ(r.items[1].encoding, "base64");
  EXPECT_EQ(r.items[1].bits, 128);
  EXPECT_EQ(*r.items[2].error, "not a key file: no 10, 16 or 32-byte key in hex, base64 or raw form");
}

TEST_F(CredentialStatusTest, KeyTableAndMetrics)
{
  write_plain(path("gw_7"), std::string(32, '0') + "\n");
  set_mtime(path("gw_7"), k_issued - hours{24 * 80});
  const auto r = clm::credential_status({dir().string()}, key_rules(90), k_issued);
  const std::string table = clm::status_table(r);
  EXPECT_EQ(table, "SEVERITY  BUCKET  DAYS  ROTATE-BY   AGE  BITS  KEYNUMBER  PATH" + std::string(path("gw_7").size() - 4 + 2, ' ')
                     + "NOTE\nwarning   15      10    2030-01-12  80   128   7          " + path("gw_7")
                     + "\nCLM-KEY CRITICAL - 1 within 15 days | expired=0 critical=1 warning=0 ok=0 tampered=0 "
                       "notyetvalid=0 errors=0\n");
  const std::string metrics = clm::status_prometheus(r);
  EXPECT_NE(metrics.find("clm_key_days_left{path=\"" + path("gw_7") + "\",keynumber=\"7\"} 10\n"), std::string::npos)
    << metrics;
  EXPECT_NE(metrics.find("clm_key_rotation_overdue{path=\"" + path("gw_7") + "\",keynumber=\"7\"} 0\n"),
            std::string::npos);
  // The buckets of keys are the ones narrower than their max age.
  EXPECT_NE(metrics.find("clm_credential_status_files{kind=\"key\",bucket=\"60\"} 0\n"), std::string::npos);
  EXPECT_EQ(metrics.find("bucket=\"90\""), std::string::npos);
}

// ---- a whole run ----

TEST_F(CredentialStatusTest, RunWritesTheOutputFileAtomicallyAndReturnsTheState)
{
  write_plain(path("cert.pem"), shared_pem());
  clm::StatusOptions o;
  o.paths = {path("cert.pem")};
  o.format = "prometheus";
  o.output = path("clm.prom");
  o.state.state_dir = path("state");
  std::ostringstream out;
  EXPECT_EQ(clm::run_status(CredentialKind::certificate, o, out, clm::Terminal::yes, k_not_after + seconds{1}),
            PluginState::critical);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(clm::test::mode_of(path("clm.prom")), 0644u);
  EXPECT_NE(read_plain(path("clm.prom")).find("clm_cert_expired{"), std::string::npos);
  EXPECT_EQ(found(clm::credential_status({dir().string()}, cert_rules(), k_issued)),
            std::vector<std::string>{"cert.pem"});  // no temporary left behind

  // Without --format: a table on a terminal, JSON lines elsewhere.
  o.warning_days = 29;
  o.format.reset();
  o.output.reset();
  EXPECT_EQ(clm::run_status(CredentialKind::certificate, o, out, clm::Terminal::yes, k_issued), PluginState::ok);
  EXPECT_EQ(out.str().rfind("SEVERITY  BUCKET", 0), 0u) << out.str();
  out.str("");
  EXPECT_EQ(clm::run_status(CredentialKind::certificate, o, out, clm::Terminal::no, k_issued), PluginState::ok);
  EXPECT_EQ(clm::json::parse(out.str())["bucket"], "30");
}

TEST_F(CredentialStatusTest, RunRefusesBadOptions)
{
  clm::StatusOptions o;
  o.paths = {dir().string()};
  auto refused = [&](const clm::StatusOptions& bad) {
    std::ostringstream out;
    const auto e = error_of([&] { clm::run_status(CredentialKind::key, bad, out, clm::Terminal::no, k_issued); });
    EXPECT_EQ(out.str(), "");
    return e ? std::string(e->what()) : std::string("(nothing thrown)");
  };
  auto bad = o;
  bad.critical_days = 31;
  EXPECT_EQ(refused(bad), "--critical 31 is more than --warning 30");
  bad = o;
  bad.format = "xml";
  EXPECT_EQ(refused(bad), "--format: 'xml' is not json, table, prometheus or nagios");
  bad = o;
  bad.buckets = "30,x";
  EXPECT_EQ(refused(bad), "--buckets: 'x' is not a day count from 1 to 36500 (give e.g. 90,60,30,15)");
  bad = o;
  bad.max_age_days = 0;
  EXPECT_EQ(refused(bad), "--max-age: 0 is not from 1 to 36500");
  bad = o;
  bad.paths.clear();
  EXPECT_EQ(refused(bad), "missing PATH (a file or a directory to look at)");
}

}  // namespace
