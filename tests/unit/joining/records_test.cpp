#include "responder/joining/records.hpp"

#include <gtest/gtest.h>

namespace trustmon::joining {
namespace {

TEST(JoiningRecords, NumbersHaveOneSpelling) {
  EXPECT_EQ(format_number(1), "JA-000001");
  EXPECT_EQ(format_number(1234567), "JA-1234567");
  EXPECT_EQ(parse_number("JA-000042"), 42U);
  EXPECT_FALSE(parse_number("JA-42"));
  EXPECT_FALSE(parse_number("JA-0000042"));
  EXPECT_FALSE(parse_number("JA-000000"));
  EXPECT_FALSE(parse_number("RN-000001"));
  EXPECT_FALSE(parse_number("JA-00000x"));
}

TEST(JoiningRecords, AnApplicationRoundTripsAndDamageIsDetected) {
  Application a;
  a.number = 7;
  a.state = State::approved;
  a.filed = 100;
  a.changed = 200;
  a.address = "127.0.0.1";
  a.filed_by = "holder:TINUA-1234567890";
  a.secret_hash[0] = 0xAB;
  a.signed_bytes = Bytes{0x30, 0x82, 0x01};
  a.document = R"({"kinds":["join"]})";
  a.code = "12345678";
  a.signer = {{"subject", "CN=Голова"}};
  a.decided_by = "bootstrap";
  a.decided_at = 200;
  a.reason = "";
  a.outcome = {{"participant", 3}};
  const Bytes encoded = encode_application(a);
  auto back = decode_application(encoded);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->number, 7U);
  EXPECT_EQ(back->state, State::approved);
  EXPECT_EQ(back->address, a.address);
  EXPECT_EQ(back->secret_hash, a.secret_hash);
  EXPECT_EQ(back->signed_bytes, a.signed_bytes);
  EXPECT_EQ(back->document, a.document);
  EXPECT_EQ(back->signer, a.signer);
  EXPECT_EQ(back->outcome, a.outcome);
  EXPECT_EQ(back->decided_by, "bootstrap");

  Bytes shorter(encoded.begin(), encoded.end() - 1);
  EXPECT_EQ(decode_application(shorter).error().code, "storage_corrupt");
  Bytes other_format = encoded;
  other_format[0] = 9;
  EXPECT_FALSE(decode_application(other_format));
  Bytes bad_state = encoded;
  bad_state[9] = 4;  // format(1) + number(8), then the state
  EXPECT_FALSE(decode_application(bad_state));
}

TEST(JoiningRecords, PendingKeysGroupByOrganisation) {
  const Bytes prefix = pending_prefix("12345678");
  const Bytes k1 = pending_key("12345678", 1), k2 = pending_key("12345678", 2), other = pending_key("12345679", 1);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), k1.begin()));
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), k2.begin()));
  EXPECT_FALSE(std::equal(prefix.begin(), prefix.end(), other.begin()));
  EXPECT_LT(k1, k2);
  EXPECT_EQ(k1.size(), 1U + 8U + 8U);
  EXPECT_NE(document_key(Sha256{})[0], k1[0]);
}

}  // namespace
}  // namespace trustmon::joining
