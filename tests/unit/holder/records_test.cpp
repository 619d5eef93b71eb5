// The holder's request records: codecs, numbers, the state machine, index keys and who
// owns a request.
#include <gtest/gtest.h>

#include "responder/holder/records.hpp"

namespace trustmon::holder {
namespace {

Sha256 filled(std::uint8_t v) {
  Sha256 s{};
  s.fill(v);
  return s;
}

RenewalRecord renewal_sample() {
  RenewalRecord r;
  r.number = 42;
  r.state = RenewalState::accepted;
  r.created = 1800000000;
  r.changed = 1800000100;
  r.filed_by = "holder:TINUA-1234567890";
  r.holder_name = "Тестенко Олена";
  r.identifiers = {{"serial_number", "TINUA-1234567890"}, {"drfo", "1234567890"}};
  r.current = CertRef{3, Bytes{0x01, 0xAB}, filled(1)};
  r.participant = 7;
  r.reservation = 99;
  r.csr_der = Bytes{0x30, 0x03, 0x02, 0x01, 0x00};
  r.csr_sha256 = filled(2);
  r.spki_sha256 = filled(3);
  r.pop_verified = true;
  r.signed_request = Bytes(300, 0x42);
  r.decision = Decision{"p7/r2/c5", 1800000100, "looks fine"};
  r.issued = CertRef{3, Bytes{0x02}, filled(4)};
  return r;
}

RevocationRequestRecord request_sample() {
  RevocationRequestRecord r;
  r.number = 5;
  r.state = RevocationRequestState::done;
  r.created = 1800000000;
  r.changed = 1800000200;
  r.filed_by = "holder:TINUA-1234567890";
  r.holder_name = "Holder";
  r.identifiers = {{"serial_number", "TINUA-1234567890"}};
  r.target = CertRef{2, Bytes{0x10, 0x20}, filled(5)};
  r.reason = 1;
  r.signer = CertRef{2, Bytes{0x11}, filled(6)};
  r.participant = 4;
  r.signed_request = Bytes{1, 2, 3};
  r.revoked_at = 1800000150;
  r.done_by = "p4/r1/c1";
  return r;
}

TEST(HolderRecords, RenewalRoundTripsEveryField) {
  const RenewalRecord r = renewal_sample();
  auto back = decode_renewal(encode_renewal(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  RenewalRecord bare;  // no decision, nothing issued
  bare.number = 1;
  auto b = decode_renewal(encode_renewal(bare));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, bare);
  EXPECT_FALSE(b->decision.has_value());
  EXPECT_TRUE(b->issued.empty());
}

TEST(HolderRecords, RevocationRequestRoundTripsEveryField) {
  const RevocationRequestRecord r = request_sample();
  auto back = decode_revocation_request(encode_revocation_request(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
}

TEST(HolderRecords, RefusesOtherFormatsTruncationAndBadStates) {
  const Bytes good = encode_renewal(renewal_sample());
  Bytes other = good;
  other[0] = 2;
  EXPECT_EQ(decode_renewal(other).error().code, "storage_corrupt");
  for (std::size_t cut : {std::size_t{1}, std::size_t{20}, good.size() - 1})
    EXPECT_FALSE(decode_renewal(ByteView(good).first(cut)).ok()) << cut;
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode_renewal(longer).ok());
  Bytes bad_state = good;
  bad_state[9] = 9;  // format, be64 number, state
  EXPECT_FALSE(decode_renewal(bad_state).ok());
  const Bytes request = encode_revocation_request(request_sample());
  Bytes bad_request = request;
  bad_request[9] = 0;
  EXPECT_FALSE(decode_revocation_request(bad_request).ok());
  EXPECT_FALSE(decode_revocation_request(good).ok());  // a renewal is not a request
}

TEST(HolderRecords, NumbersHaveOneText) {
  EXPECT_EQ(renewal_number(1), "RN-000001");
  EXPECT_EQ(revocation_request_number(42), "RR-000042");
  EXPECT_EQ(renewal_number(1234567), "RN-1234567");
  EXPECT_EQ(parse_renewal_number("RN-000001"), RequestNumber{1});
  EXPECT_EQ(parse_renewal_number("RN-1234567"), RequestNumber{1234567});
  EXPECT_EQ(parse_revocation_request_number("RR-000042"), RequestNumber{42});
  for (const char* bad : {"RN-1", "RN-0000001", "RN-000000", "rn-000001", "RR-000001", "RN-00000x", "RN--00001",
                          "RN-+00001", "", "RN-", "000001", "RN-000001 "})
    EXPECT_FALSE(parse_renewal_number(bad).has_value()) << bad;
  EXPECT_FALSE(parse_revocation_request_number("RN-000001").has_value());
  EXPECT_EQ(number_key(0x0102), (Bytes{0, 0, 0, 0, 0, 0, 1, 2}));
  EXPECT_EQ(decode_number_key(number_key(77)), RequestNumber{77});
  EXPECT_FALSE(decode_number_key(Bytes{1, 2}).has_value());
}

TEST(HolderRecords, RenewalStateMachine) {
  using S = RenewalState;
  using T = RenewalStep;
  EXPECT_EQ(after(S::submitted, T::accept), S::accepted);
  EXPECT_EQ(after(S::submitted, T::reject), S::rejected);
  EXPECT_EQ(after(S::submitted, T::issue), S::issued);
  EXPECT_EQ(after(S::accepted, T::accept), S::accepted);
  EXPECT_EQ(after(S::accepted, T::reject), S::rejected);
  EXPECT_EQ(after(S::accepted, T::issue), S::issued);
  for (S closed : {S::rejected, S::issued})
    for (T step : {T::accept, T::reject, T::issue}) EXPECT_FALSE(after(closed, step).has_value());
  EXPECT_TRUE(is_open(S::submitted));
  EXPECT_TRUE(is_open(S::accepted));
  EXPECT_FALSE(is_open(S::rejected));
  EXPECT_FALSE(is_open(S::issued));
  EXPECT_STREQ(state_name(S::accepted), "accepted");
  EXPECT_EQ(renewal_state_from_name("issued"), S::issued);
  EXPECT_FALSE(renewal_state_from_name("done").has_value());
}

TEST(HolderRecords, RevocationRequestStateMachine) {
  using S = RevocationRequestState;
  using T = RevocationRequestStep;
  EXPECT_EQ(after(S::submitted, T::revoked), S::done);
  EXPECT_EQ(after(S::submitted, T::reject), S::rejected);
  for (S closed : {S::done, S::rejected})
    for (T step : {T::revoked, T::reject}) EXPECT_FALSE(after(closed, step).has_value());
  EXPECT_EQ(revocation_request_state_from_name("done"), S::done);
  EXPECT_FALSE(revocation_request_state_from_name("issued").has_value());
}

TEST(HolderRecords, IndexKeysAndOwnership) {
  EXPECT_EQ(index_key(kReplacedBy, Bytes{9, 8}), (Bytes{kReplacedBy, 9, 8}));
  const std::vector<HolderIdentifier> filed = {{"serial_number", "TINUA-1"}, {"drfo", "1"}};
  EXPECT_TRUE(shares_identifier(filed, {{"drfo", "1"}}));
  EXPECT_FALSE(shares_identifier(filed, {{"edrpou", "1"}}));  // same value, another kind
  EXPECT_FALSE(shares_identifier(filed, {}));
}

}  // namespace
}  // namespace trustmon::holder
