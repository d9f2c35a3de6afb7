#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/swclm_command.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using clm::ExitCode;
using clm::parse_swclm_args;
using clm::test::error_of;

class SwclmCommand : public clm::test::TempDirTest {
protected:
  clm::SwclmArgs args(std::vector<std::string> a)
  {
    for (auto& s : a) {
      const auto at = s.find("@DIR@");
      if (at != std::string::npos) {
        s.replace(at, 5, dir().string());
      }
    }
    return parse_swclm_args(a);
  }
};

ExitCode code_of(const std::function<void()>& f)
{
  const auto e = error_of(f);
  EXPECT_TRUE(e.has_value());
  return e ? e->code() : ExitCode::ok;
}

TEST_F(SwclmCommand, connection_options_map_to_flags)
{
  const auto f = clm::swclm_connection_flags(
    args({"idget", "-host", "h", "-port", "1", "-p-host", "ph", "-p-port", "2", "-timeout", "3"}));
  EXPECT_EQ(f.host, "h");
  EXPECT_EQ(f.port, "1");
  EXPECT_EQ(f.proxy_host, "ph");
  EXPECT_EQ(f.proxy_port, "2");
  EXPECT_EQ(f.timeout, "3");
}

TEST_F(SwclmCommand, idcreate_needs_tenantid_and_alias)
{
  const auto r = clm::swclm_id_create(args({"idcreate", "-ext-data", "tenantid=TenantA,alias=gw,desc=ABC"}));
  EXPECT_EQ(r.tenantid, "TenantA");
  EXPECT_EQ(r.alias, "gw");
  EXPECT_EQ(code_of([&] { clm::swclm_id_create(args({"idcreate", "-ext-data", "alias=gw"})); }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] { clm::swclm_id_create(args({"idcreate", "-ext-data", "tenantid=T,alias=a;b"})); }),
            ExitCode::bad_parameter);
}

TEST_F(SwclmCommand, the_password_comes_from_key_or_keyfile)
{
  clm::test::write_plain(dir() / "pw", "UM9Po1uJ\n");
  auto cred = clm::swclm_id_credential(args({"idverify", "-ext-data", "keyid=0000000001,keyfile=@DIR@/pw"}));
  EXPECT_EQ(cred.key, "UM9Po1uJ");
  cred = clm::swclm_id_credential(args({"idverify", "-ext-data", "keyid=0000000001,key=abc"}));
  EXPECT_EQ(cred.key, "abc");
  EXPECT_EQ(code_of([&] { clm::swclm_id_credential(args({"idverify", "-ext-data", "keyid=0000000001"})); }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              clm::swclm_id_credential(args({"idverify", "-ext-data", "keyid=0000000001,key=a,keyfile=@DIR@/pw"}));
            }),
            ExitCode::bad_parameter);
  EXPECT_EQ(code_of([&] { clm::swclm_id_credential(args({"idverify", "-ext-data", "keyid=x1,key=a"})); }),
            ExitCode::bad_parameter);
}

TEST_F(SwclmCommand, passphrasetype_without_a_passphrase_generates_one)
{
  const auto p = clm::swclm_passphrase(args({"certcreate", "-passphrasetype", "plaintext"}));
  ASSERT_TRUE(p.value);
  EXPECT_EQ(p.value->size(), clm::k_swclm_generated_passphrase_chars);
  for (const char c : *p.value) {
    EXPECT_NE(clm::k_swclm_passphrase_alphabet.find(c), std::string_view::npos);
  }
  EXPECT_EQ(clm::swclm_passphrase_line(p), "passphrase: " + *p.value);
  const auto b = clm::swclm_passphrase(args({"certcreate", "-passphrasetype", "base64", "-passphrase", "password"}));
  EXPECT_EQ(clm::swclm_passphrase_line(b), "passphrase: " + clm::base64_encode("password"));
  // Other subcommands ignore -passphrasetype.
  EXPECT_FALSE(clm::swclm_passphrase(args({"certget", "-passphrasetype", "plaintext"})).value);
  EXPECT_EQ(code_of([&] { clm::swclm_passphrase(args({"certcreate", "-passphrasetype", "hex"})); }),
            ExitCode::bad_parameter);
  EXPECT_EQ(clm::swclm_passphrase_line(clm::swclm_passphrase(args({"certcreate", "-passphrase", "x"}))), "");
}

TEST_F(SwclmCommand, certcreate_client_uses_the_reference_defaults)
{
  const auto plan = clm::swclm_cert_create(
    args({"certcreate", "-mode", "client", "-outpath", "@DIR@", "-ext-data",
          "certsubject=/C=JP/O=NEC/CN=gw,devicename=gw,catype=ca1"}),
    {});
  EXPECT_EQ(plan.devicename, "gw");
  EXPECT_EQ(plan.request.catype, "ca1");
  EXPECT_EQ(plan.files.ca_name, "cacert");
  EXPECT_EQ(plan.files.cert_name, "clcert");
  EXPECT_EQ(plan.files.key_name, "clkey");
  EXPECT_EQ(plan.request.clientfilepath, (dir() / "clcert.pem").string());
  EXPECT_EQ(plan.request.cafilepath, (dir() / "cacert.pem").string());
  EXPECT_EQ(plan.request.subject, "/C=JP/O=NEC/CN=gw");
}

TEST_F(SwclmCommand, certcreate_checks)
{
  const std::string base = "devicename=gw,catype=ca1,certsubject=/CN=gw";
  auto create = [&](std::vector<std::string> a) { clm::swclm_cert_create(args(std::move(a)), {}); };
  EXPECT_EQ(code_of([&] { create({"certcreate", "-outpath", "@DIR@", "-ext-data", base}); }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] { create({"certcreate", "-mode", "x", "-outpath", "@DIR@", "-ext-data", base}); }),
            ExitCode::bad_parameter);
  EXPECT_EQ(code_of([&] { create({"certcreate", "-mode", "client", "-ext-data", base}); }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              create({"certcreate", "-mode", "client", "-certtype", "p12", "-outpath", "@DIR@", "-ext-data", base});
            }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              create({"certcreate", "-mode", "client", "-outpath", "@DIR@", "-ext-data", "devicename=gw,catype=ca1"});
            }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              create({"certcreate", "-mode", "caonly", "-outpath", "@DIR@", "-ext-data", "devicename=gw,catype=ca1"});
            }),
            ExitCode::bad_parameter);
  EXPECT_EQ(code_of([&] {
              create({"certcreate", "-mode", "client", "-certname", "a/b", "-outpath", "@DIR@", "-ext-data", base});
            }),
            ExitCode::bad_parameter);
  // caonly needs no subject.
  const auto ca = clm::swclm_cert_create(
    args({"certcreate", "-mode", "caonly", "-outpath", "@DIR@", "-cacertname", "ca", "-cacerttype", "der",
          "-ext-data", "devicename=gw,catype=CA"}),
    {});
  EXPECT_EQ(ca.request.cafilepath, (dir() / "ca.der").string());
  EXPECT_TRUE(ca.files.cert_name.empty());
}

TEST_F(SwclmCommand, certget_by_serial_or_keynumber)
{
  const auto plan = clm::swclm_cert_get(args({"certget", "-certtype", "der", "-outpath", "@DIR@", "-ext-data",
                                              "devicename=gw,certserial=CEC798689CF69040,catype=ca1"}),
                                        {});
  EXPECT_EQ(plan.request.target.certserial, "CEC798689CF69040");
  EXPECT_EQ(plan.files.cert_name, "cert");
  EXPECT_EQ(plan.files.key_name, "certkey");
  EXPECT_EQ(plan.request.filepath, (dir() / "cert.der").string());
  EXPECT_EQ(code_of([&] {
              clm::swclm_cert_get(args({"certget", "-outpath", "@DIR@", "-ext-data", "devicename=gw,catype=ca1"}), {});
            }),
            ExitCode::missing_parameter);
}

TEST_F(SwclmCommand, certupdate_current_and_new_files)
{
  fs::create_directory(dir() / "new");
  auto plan = clm::swclm_cert_update(
    args({"certupdate", "-certtype", "der", "-outpath", "@DIR@", "-certname", "c", "-ext-data",
          "devicename=gw,catype=ca1,keynumber=64,newkeynumber=25,newpath=@DIR@/new,newfilename=n,newcerttype=pem"}),
    {});
  EXPECT_EQ(plan.request.filepath, (dir() / "c.der").string());
  EXPECT_EQ(plan.request.newfilepath, (dir() / "new/n.pem").string());
  EXPECT_EQ(plan.request.adopt.keynumber, "25");
  EXPECT_EQ(plan.files.key_name, "n-key");
  plan = clm::swclm_cert_update(
    args({"certupdate", "-outpath", "@DIR@", "-ext-data", "devicename=gw,catype=ca1,certserial=0A"}), {});
  EXPECT_EQ(plan.request.filepath, (dir() / "cert.pem").string());
  EXPECT_EQ(plan.request.newfilepath, (dir() / "cert.pem").string());
  EXPECT_EQ(plan.files.key_name, "certkey");
  EXPECT_EQ(code_of([&] {
              clm::swclm_cert_update(
                args({"certupdate", "-outpath", "@DIR@", "-ext-data", "devicename=gw,catype=CA,keynumber=1"}), {});
            }),
            ExitCode::bad_parameter);
}

TEST_F(SwclmCommand, certrevoke_needs_certname_and_inpath)
{
  const auto plan = clm::swclm_cert_revoke(args({"certrevoke", "-certtype", "pem", "-certname=c", "-ext-data",
                                                 "devicename=gw,catype=ca1,keynumber=65,inpath=@DIR@"}));
  EXPECT_EQ(plan.request.filepath, (dir() / "c.pem").string());
  EXPECT_EQ(code_of([&] {
              clm::swclm_cert_revoke(args({"certrevoke", "-ext-data", "devicename=gw,catype=ca1,keynumber=65,inpath=@DIR@"}));
            }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              clm::swclm_cert_revoke(args({"certrevoke", "-certname=c", "-ext-data", "devicename=gw,catype=ca1,keynumber=65"}));
            }),
            ExitCode::missing_parameter);
}

TEST_F(SwclmCommand, cmkeycreate_and_lightcipher)
{
  auto plan = clm::swclm_key_create(args({"cmkeycreate", "-outpath", "@DIR@", "-ext-data",
                                          "devicename=gw,alias=aeskey,cmkeyname=k,keylength=256,keytype=AES"}));
  EXPECT_EQ(plan.path, dir() / "k");
  EXPECT_EQ(plan.request.keylength, "256");
  EXPECT_FALSE(plan.writer.lightcipher);
  plan = clm::swclm_key_create(args({"cmkeycreate", "-outpath", "@DIR@", "-ext-data",
                                     "devicename=gw,alias=t,keytype=TWINE,use-lightcipher=1,twinecmd=/bin/lc"}));
  EXPECT_EQ(plan.path, dir() / "cmkey");
  EXPECT_EQ(plan.writer.lightcipher, fs::path("/bin/lc"));
  EXPECT_EQ(code_of([&] {
              clm::swclm_key_create(args({"cmkeycreate", "-outpath", "@DIR@", "-ext-data",
                                          "devicename=gw,alias=t,keytype=AES,use-lightcipher=1"}));
            }),
            ExitCode::bad_parameter);
  EXPECT_EQ(code_of([&] {
              clm::swclm_key_create(args({"cmkeycreate", "-outpath", "@DIR@", "-ext-data",
                                          "devicename=gw,alias=t,keytype=TWINE,use-lightcipher=2"}));
            }),
            ExitCode::bad_parameter);
  EXPECT_EQ(code_of([&] {
              clm::swclm_key_create(args({"cmkeycreate", "-ext-data", "devicename=gw,alias=t,keytype=AES"}));
            }),
            ExitCode::missing_parameter);
}

TEST_F(SwclmCommand, cmkeyget_by_keynumber_or_alias)
{
  auto plan = clm::swclm_key_get(args({"cmkeyget", "-outpath", "@DIR@", "-ext-data", "devicename=gw,keynumber=147"}));
  EXPECT_EQ(plan.request.keynumber, "147");
  plan = clm::swclm_key_get(args({"cmkeyget", "-outpath", "@DIR@", "-ext-data", "devicename=gw,alias=aeskey"}));
  EXPECT_EQ(plan.request.alias, "aeskey");
  EXPECT_FALSE(plan.request.keynumber);
}

TEST_F(SwclmCommand, cmkeyupdate_chapter_3_and_chapter_4)
{
  fs::create_directory(dir() / "n");
  auto plan = clm::swclm_key_update(
    args({"cmkeyupdate", "-outpath", "@DIR@", "-ext-data",
          "devicename=gw,alias=newkey,cmkeyname=k,keynumber=147,keylength=128,newpath=@DIR@/n,newfilename=k2"}));
  EXPECT_EQ(plan.request.keynumber, "147");
  EXPECT_EQ(plan.request.alias, "newkey");
  EXPECT_FALSE(plan.request.oldalias);
  EXPECT_EQ(plan.request.filepath, (dir() / "k").string());
  EXPECT_EQ(plan.request.newfilepath, (dir() / "n/k2").string());
  EXPECT_EQ(plan.path, dir() / "n/k2");
  plan = clm::swclm_key_update(
    args({"cmkeyupdate", "-outputpath", "@DIR@", "-ext-data", "devicename=gw,alias=aeskey,newalias=other"}));
  EXPECT_EQ(plan.request.oldalias, "aeskey");
  EXPECT_EQ(plan.request.newalias, "other");
  EXPECT_FALSE(plan.request.alias);
  EXPECT_EQ(plan.path, dir() / "cmkey");
  EXPECT_EQ(code_of([&] { clm::swclm_key_update(args({"cmkeyupdate", "-outpath", "@DIR@", "-ext-data", "devicename=gw"})); }),
            ExitCode::missing_parameter);
}

TEST_F(SwclmCommand, cmkeyverify_reads_the_key_file_and_seals_with_use_lightcipher)
{
  clm::test::write_plain(dir() / "k", std::string(16, 'k'));
  auto plan = clm::swclm_key_check(
    args({"cmkeyverify", "-ext-data", "devicename=gw,keynumber=148,cmkeyname=k,inpath=@DIR@"}),
    clm::SwclmKeyCheckMode::verify_key);
  EXPECT_EQ(plan.request.commonkey, std::string(16, 'k'));
  EXPECT_FALSE(plan.request.encdata);
  plan = clm::swclm_key_check(
    args({"cmkeyverify", "-ext-data", "devicename=gw,keynumber=61,cmkeyname=k,inpath=@DIR@,use-lightcipher=1"}),
    clm::SwclmKeyCheckMode::verify_key);
  EXPECT_FALSE(plan.request.commonkey);
  EXPECT_TRUE(plan.request.encdata);
  EXPECT_EQ(code_of([&] {
              clm::swclm_key_check(args({"cmkeydelete", "-ext-data", "devicename=gw,keynumber=1,inpath=@DIR@"}),
                                   clm::SwclmKeyCheckMode::delete_key);
            }),
            ExitCode::missing_parameter);
  EXPECT_EQ(code_of([&] {
              clm::swclm_key_check(args({"cmkeydelete", "-ext-data", "devicename=gw,keynumber=1,cmkeyname=none,inpath=@DIR@"}),
                                   clm::SwclmKeyCheckMode::delete_key);
            }),
            ExitCode::file_read);
}

TEST_F(SwclmCommand, the_log_line_has_the_facts_on_one_line)
{
  clm::SwclmBlock b;
  b.http_status = 403;
  b.errorcode = 1201;
  b.retcode = 200;
  const auto line = clm::swclm_log_line(std::chrono::system_clock::time_point{}, 42, "idverify", "h:8443", b,
                                        "verify ID 1: bad\nnews");
  EXPECT_EQ(line.rfind("1970-01-01T00:00:00", 0), 0u) << line;
  EXPECT_NE(line.find(" SWCLMCLIENT[42]: idverify h:8443 status=403 errorcode=1201 retcode=200 message=verify ID 1: "
                      "bad\\x0anews"),
            std::string::npos)
    << line;
  clm::SwclmBlock none;
  none.retcode = 5;
  EXPECT_NE(clm::swclm_log_line({}, 1, "", "", none, "x").find("]: - - status=000 errorcode=0 retcode=5"),
            std::string::npos);
}

TEST_F(SwclmCommand, the_log_is_appended_and_never_through_a_symlink)
{
  const fs::path log = dir() / "log";
  EXPECT_TRUE(clm::append_swclm_log(log, "one"));
  EXPECT_TRUE(clm::append_swclm_log(log, "two"));
  EXPECT_EQ(clm::test::read_plain(log), "one\ntwo\n");
  EXPECT_EQ(clm::test::mode_of(log), 0600u);
  fs::create_symlink(dir() / "target", dir() / "link");
  EXPECT_FALSE(clm::append_swclm_log(dir() / "link", "three"));
  EXPECT_FALSE(fs::exists(dir() / "target"));
}

TEST_F(SwclmCommand, the_result_file_replaces_a_symlink)
{
  clm::test::write_plain(dir() / "target", "keep");
  fs::create_symlink(dir() / "target", dir() / "result.json");
  clm::write_swclm_result(dir() / "result.json", clm::json{{"errorcode", 0}});
  EXPECT_EQ(clm::test::read_plain(dir() / "target"), "keep");
  EXPECT_FALSE(fs::is_symlink(dir() / "result.json"));
  EXPECT_EQ(clm::test::mode_of(dir() / "result.json"), 0600u);
  EXPECT_NE(clm::test::read_plain(dir() / "result.json").find("\"errorcode\": 0"), std::string::npos);
}

}  // namespace

namespace {

TEST(SwclmOptionError, clm_option_names_become_the_reference_names)
{
  const auto e = clm::swclm_option_error(
    clm::Error(clm::ExitCode::missing_parameter, "missing --host; --proxy-host needs --proxy-port; --port, --timeout"));
  EXPECT_EQ(e.code(), clm::ExitCode::missing_parameter);
  EXPECT_STREQ(e.what(), "missing -host; -p-host needs -p-port; -port, -timeout");
}

}  // namespace
