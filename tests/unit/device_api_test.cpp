// Tests of the request fields every CredInfo and KeyInfo request shares on the client.
#include <clm/device_api.hpp>

#include <gtest/gtest.h>

namespace {

using clm::json;

TEST(DeviceRequest, NamesTheCallerAndTheDeviceCredentialWhenKnown)
{
  clm::DeviceCaller caller{{"0000000001", "pw"}, "gw", std::nullopt};
  EXPECT_EQ(clm::device_request("create", caller),
            (json{{"mode", "create"}, {"keyid", "0000000001"}, {"key", "pw"}, {"devicename", "gw"}}));
  caller.device = clm::DeviceCredential{"0000000007", ""};
  EXPECT_EQ(clm::device_request("get", caller).at("deviceid"), "0000000007");
  EXPECT_FALSE(clm::device_request("get", caller).contains("devicekey"));
  caller.device->devicekey = "dk";
  EXPECT_EQ(clm::device_request("get", caller).at("devicekey"), "dk");
}

TEST(DeviceFacts, OnlyTheFactsGivenAreSet)
{
  json j = json::object();
  clm::put_device_facts(j, {});
  EXPECT_EQ(j, json::object());
  clm::put_device_facts(j, {"192.0.2.1", std::nullopt, {{"osname", "Debian"}}});
  EXPECT_EQ(j, (json{{"ipaddress", "192.0.2.1"}, {"ext_data", {{"osname", "Debian"}}}}));
}

}  // namespace
