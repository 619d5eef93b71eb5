// The registry's event payloads are strict JSON with the documented fields, whatever the
// strings they carry (quotes, control characters, Cyrillic).
#include "responder/registry/event_payloads.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace trustmon::registry {
namespace {

std::vector<Attribute> sample_attributes() {
  return {{AttrKind::cn, "", "Іван \"Q\"\n\t"}, {AttrKind::serial_number, "", "TINUA-1234567890"}};
}

TEST(EventPayloads, IssuedAndKeyReusedCarryTheCertificateFields) {
  const auto attributes = sample_attributes();
  Sha256 spki{};
  spki[0] = 0xab;
  const std::string fields = certificate_fields({"CA \"one\"", "0A1B", "00ff", spki, false, &attributes});
  const auto issued = nlohmann::json::parse(issued_payload(fields, 7));
  EXPECT_EQ(issued["issuer"], "CA \"one\"");
  EXPECT_EQ(issued["serial"], "0A1B");
  EXPECT_EQ(issued["sha256"], "00ff");
  EXPECT_EQ(issued["spki_sha256"].get<std::string>().substr(0, 4), "ab00");
  EXPECT_EQ(issued["signature_checked"], false);
  EXPECT_EQ(issued["participant"], 7);
  ASSERT_EQ(issued["attributes"].size(), 2u);
  EXPECT_EQ(issued["attributes"][0][0], "cn");
  EXPECT_EQ(issued["attributes"][0][1], "Іван \"Q\"\n\t");
  EXPECT_EQ(issued["attributes"][1][1], "TINUA-1234567890");

  const auto reused = nlohmann::json::parse(key_reused_payload(fields, 3, true));
  EXPECT_EQ(reused["participant"], 3);
  EXPECT_EQ(reused["renewal"], true);
  EXPECT_EQ(reused["serial"], "0A1B");

  const std::string checked = certificate_fields({"CA", "01", "00", spki, true, &attributes});
  EXPECT_FALSE(nlohmann::json::parse(issued_payload(checked, 1)).contains("signature_checked"));
}

TEST(EventPayloads, RevokedKeepsItsKeyOrderAndOptionalFields) {
  RevokedFields bare{"CA", "0A", "keyCompromise", 1767225600, 0, std::nullopt, std::nullopt, nullptr};
  EXPECT_EQ(
      revoked_payload(bare),
      R"({"issuer":"CA","reason":"keyCompromise","revocation_time":"2026-01-01T00:00:00Z","serial":"0A"})");

  const auto attributes = sample_attributes();
  Sha256 spki{};
  RevokedFields full{"CA", "0A",       "superseded", 1767225600, 1767225000, std::string("00ff"),
                     spki, &attributes};
  const std::string text = revoked_payload(full);
  const auto json = nlohmann::json::parse(text);
  EXPECT_EQ(json["invalidity_date"], "2025-12-31T23:50:00Z");
  EXPECT_EQ(json["sha256"], "00ff");
  EXPECT_EQ(json["spki_sha256"], std::string(64, '0'));
  EXPECT_EQ(json["attributes"][0][1], "Іван \"Q\"\n\t");
  // Keys in sorted order, as the stored events of earlier versions have them.
  EXPECT_EQ(text.rfind("{\"attributes\":", 0), 0u);
  EXPECT_LT(text.find("\"invalidity_date\""), text.find("\"issuer\""));
  EXPECT_LT(text.find("\"sha256\""), text.find("\"spki_sha256\""));
}

}  // namespace
}  // namespace trustmon::registry
