// Access records: codecs round-trip, damaged records are refused, tokens are long,
// random and of the documented form.
#include "responder/access/model.hpp"

#include <gtest/gtest.h>

#include <set>

namespace trustmon::access {
namespace {

TEST(AccessModel, ParticipantRoundTripsAndDamageIsDetected) {
  ParticipantRecord p;
  p.id = 7;
  p.kind = ParticipantKind::qtsp;
  p.name = "ТОВ «Надійний провайдер»";
  p.code = "12345678";
  p.status = EntityStatus::blocked;
  p.block_reason = "licence suspended";
  p.status_changed = 1700000000;
  p.created = 1600000000;
  p.issuers = {3, 9};
  Bytes enc = encode_participant(p);
  auto back = decode_participant(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, p.name);
  EXPECT_EQ(back->issuers, p.issuers);
  EXPECT_EQ(back->status, EntityStatus::blocked);
  EXPECT_EQ(back->block_reason, p.block_reason);
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, enc.size() / 2, enc.size() - 1}) {
    auto bad = decode_participant(ByteView(enc.data(), cut));
    ASSERT_FALSE(bad.ok()) << cut;
    EXPECT_EQ(bad.error().code, "storage_corrupt");
  }
  Bytes longer = enc;
  longer.push_back(0);
  EXPECT_FALSE(decode_participant(longer).ok());
  Bytes bad_kind = enc;
  bad_kind[5] = 9;  // kind byte after format + be32 id
  EXPECT_FALSE(decode_participant(bad_kind).ok());
}

TEST(AccessModel, RepresentativeAndCredentialRoundTrip) {
  RepresentativeRecord r{5, 7, "Олена", Role::operator_, EntityStatus::active, "", 1, 2};
  auto rb = decode_representative(encode_representative(r));
  ASSERT_TRUE(rb.ok());
  EXPECT_EQ(rb->role, Role::operator_);
  EXPECT_EQ(rb->name, "Олена");

  CredentialRecord c;
  c.id = 11;
  c.representative = 5;
  c.kind = CredentialKind::certificate;
  c.hash = sha256(as_bytes("cert"));
  c.created = 10;
  c.expires = 20;
  c.revoked = 15;
  c.rate_per_second = 2.5;
  c.label = "ci";
  c.subject = "CN=x";
  auto cb = decode_credential(encode_credential(c));
  ASSERT_TRUE(cb.ok());
  EXPECT_EQ(cb->hash, c.hash);
  EXPECT_EQ(cb->kind, CredentialKind::certificate);
  EXPECT_DOUBLE_EQ(cb->rate_per_second, 2.5);
  EXPECT_EQ(cb->revoked, 15);
  EXPECT_EQ(cb->subject, "CN=x");
}

TEST(AccessModel, NamesParseBack) {
  for (auto k : {ParticipantKind::central_body, ParticipantKind::qtsp, ParticipantKind::tool_developer,
                 ParticipantKind::system_owner})
    EXPECT_EQ(kind_from_name(kind_name(k)), k);
  for (auto r : {Role::admin, Role::operator_, Role::viewer}) EXPECT_EQ(role_from_name(role_name(r)), r);
  EXPECT_FALSE(kind_from_name("bank").has_value());
  EXPECT_FALSE(role_from_name("root").has_value());
}

TEST(AccessModel, TokensAre256BitRandomAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = generate_token();
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->size(), 4U + 43U);  // "tmk_" + base64url(32 bytes) without padding
    EXPECT_EQ(t->substr(0, 4), "tmk_");
    EXPECT_EQ(t->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4),
              std::string::npos);
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 100U);
  EXPECT_NE(token_hash("a"), token_hash("b"));
}

}  // namespace
}  // namespace trustmon::access
