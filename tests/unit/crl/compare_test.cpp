// Comparing a CRL's entries with the status records (crl/compare.hpp): each category on
// one issuer's records, what is not a difference (expired, another issuer, revoked after
// thisUpdate, no reasonCode against unspecified), holds, skipped entries, the caps.
#include "responder/crl/compare.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/records.hpp"
#include "storage/writer.hpp"
#include "tests/support/temp_env.hpp"

namespace trustmon::crl {
namespace {

constexpr UnixTime kT = 1'790'000'000;  // the CRL's thisUpdate
constexpr storage::IssuerId kIssuer = 1;
constexpr storage::IssuerId kOther = 2;

constexpr int kKeyCompromise = 1;
constexpr int kSuperseded = 4;
constexpr int kHold = storage::kReasonCertificateHold;

Bytes serial_of(unsigned n) {
  Bytes s;
  for (unsigned v = n; v != 0; v >>= 8) s.insert(s.begin(), static_cast<std::uint8_t>(v & 0xff));
  if (s.empty()) s.push_back(0);
  return s;
}

struct Rec {
  unsigned serial;
  bool revoked;
  int reason = storage::kNoReason;
  UnixTime time = kT - 100;
  bool ingested = true;        // has_der, with validity
  UnixTime not_after = kT + 86400;
  storage::IssuerId issuer = kIssuer;
};

registry::CrlEntry entry(unsigned serial, int reason = storage::kNoReason) {
  registry::CrlEntry e;
  e.serial = serial_of(serial);
  e.time = kT - 100;
  e.reason = reason;
  return e;
}

class CompareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = storage::testing::open_env(dir_.path(), std::size_t{64} << 20);
    ASSERT_NE(env_, nullptr);
    writer_ = std::make_unique<storage::Writer>(*env_);
    writer_->start();
  }
  void TearDown() override { writer_->stop(); }

  void put(const std::vector<Rec>& recs) {
    ASSERT_TRUE(writer_->run_sync([&](storage::WriteTxn& txn) -> Status {
      for (const Rec& r : recs) {
        storage::CertRecord c;
        c.status = r.revoked ? storage::CertStatus::revoked : storage::CertStatus::good;
        if (r.revoked) {
          c.revocation_time = r.time;
          c.reason = r.reason;
        }
        if (r.ingested) {
          c.has_der = true;
          c.cert_sha256[0] = 1;
          c.not_before = kT - 365 * 86400;
          c.not_after = r.not_after;
        }
        Status s = txn.put(storage::Table::certs, storage::encode_cert_key(r.issuer, serial_of(r.serial)),
                           storage::encode_cert(c));
        if (!s) return s;
      }
      return {};
    }).ok());
  }

  registry::CrlComparison compare(const std::vector<registry::CrlEntry>& entries, UnixTime this_update = kT) {
    StatusComparer comparer(*env_);
    auto r = comparer.compare(kIssuer, this_update, entries);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : registry::CrlComparison{};
  }

  storage::testing::TempDir dir_;
  std::unique_ptr<storage::Env> env_;
  std::unique_ptr<storage::Writer> writer_;
};

using Serials = std::vector<std::string>;

TEST_F(CompareTest, EachCategoryOnOneIssuer) {
  put({
      {0x0A, true, kKeyCompromise},                        // listed alike: agrees
      {0x0B, true, kKeyCompromise},                        // not listed: missing
      {0x0D, true, kKeyCompromise, kT - 100, false, 0},    // bare record, listed: unknown
      {0x0E, false},                                       // good, listed
      {0x0F, true, kSuperseded},                           // listed as keyCompromise
      {0x10, true, kKeyCompromise, kT + 50},               // revoked after thisUpdate
      {0x11, true, kKeyCompromise, kT - 100, true, kT - 1},  // expired at thisUpdate
      {0x12, true, kHold},                                 // hold, not listed: missing
      {0x13, true, kKeyCompromise},                        // listed as a hold
      {0x14, true, storage::kNoReason},                    // listed as unspecified
      {0x15, true, 0},                                     // listed without reasonCode
      {0x16, true, kKeyCompromise, kT},                    // revoked at thisUpdate exactly
      {0x17, true, kKeyCompromise, kT - 100, false, 0},    // bare, no notAfter, not listed
      {0x18, true, kKeyCompromise, kT - 100, true, kT},    // expires at thisUpdate: still due
      {0x0B, true, kKeyCompromise, kT - 100, true, kT + 1, kOther},  // another issuer's
      {0x30, true, kKeyCompromise, kT - 100, true, kT + 1, kOther},
  });
  const auto c = compare({entry(0x0A, kKeyCompromise), entry(0x0C), entry(0x0D), entry(0x0E), entry(0x0F, kKeyCompromise),
                          entry(0x13, kHold), entry(0x14, 0), entry(0x15), entry(0x0100), entry(0x11, kKeyCompromise)});
  EXPECT_EQ(c.this_update, kT);
  EXPECT_EQ(c.entries, 10u);
  EXPECT_EQ(c.skipped, 0u);
  EXPECT_EQ(c.missing_from_crl.serials, (Serials{"0B", "12", "16", "17", "18"}));
  EXPECT_EQ(c.missing_from_crl.count, 5u);
  EXPECT_EQ(c.unknown_here.serials, (Serials{"0C", "0D", "0100"}));
  EXPECT_EQ(c.good_here.serials, (Serials{"0E"}));
  EXPECT_EQ(c.reason_differs.serials, (Serials{"0F", "13"}));
  EXPECT_EQ(c.revoked_after.serials, (Serials{"10"}));
  EXPECT_FALSE(c.missing_from_crl.truncated());
  EXPECT_FALSE(c.agrees());
}

TEST_F(CompareTest, AgreesWhenTheCrlListsWhatIsRevoked) {
  put({{0x01, true, kKeyCompromise},
       {0x02, true, kHold},
       {0x03, false},
       {0x04, true, kKeyCompromise, kT - 100, true, kT - 10},  // expired: may be absent
       {0x05, true, kKeyCompromise, kT + 10}});                // after thisUpdate: informative
  const auto c = compare({entry(0x01, kKeyCompromise), entry(0x02, kHold)});
  EXPECT_TRUE(c.agrees());
  EXPECT_EQ(c.entries, 2u);
  EXPECT_EQ(c.revoked_after.count, 1u);
  // An expired certificate the CRL still lists is no difference either.
  EXPECT_TRUE(compare({entry(0x01, kKeyCompromise), entry(0x02, kHold), entry(0x04, kKeyCompromise)}).agrees());
}

TEST_F(CompareTest, AReleasedHoldListedIsGoodHere) {
  put({{0x21, false}});  // was on hold, released: good again
  const auto c = compare({entry(0x21, kHold)});
  EXPECT_EQ(c.good_here.serials, (Serials{"21"}));
  EXPECT_FALSE(c.agrees());
}

TEST_F(CompareTest, UnreadableAndRepeatedEntriesAreSkipped) {
  put({{0x01, true, kKeyCompromise}});
  registry::CrlEntry refused = entry(0x02);
  refused.error = make_error(ErrorKind::invalid, "time_invalid", "future");
  registry::CrlEntry empty;
  const auto c = compare({entry(0x01, kKeyCompromise), refused, entry(0x01, kKeyCompromise), empty});
  EXPECT_EQ(c.entries, 1u);
  EXPECT_EQ(c.skipped, 3u);
  EXPECT_TRUE(c.agrees());
}

TEST_F(CompareTest, ListsAreCappedCountsAreNot) {
  const unsigned n = static_cast<unsigned>(registry::kMaxListedSerials) + 500;
  std::vector<Rec> recs;
  std::vector<registry::CrlEntry> listed;
  for (unsigned i = 1; i <= n; ++i) {
    recs.push_back({0x10000 + i, true, kKeyCompromise});  // all missing
    listed.push_back(entry(0x20000 + n - i));             // none known, given out of order
  }
  put(recs);
  const auto c = compare(listed);
  EXPECT_EQ(c.missing_from_crl.count, n);
  EXPECT_EQ(c.missing_from_crl.serials.size(), registry::kMaxListedSerials);
  EXPECT_TRUE(c.missing_from_crl.truncated());
  EXPECT_EQ(c.missing_from_crl.serials.front(), "010001");
  EXPECT_EQ(c.unknown_here.count, n);
  EXPECT_EQ(c.unknown_here.serials.size(), registry::kMaxListedSerials);
  EXPECT_EQ(c.unknown_here.serials.front(), "020000");  // serial order, whatever the CRL's
  EXPECT_EQ(c.unknown_here.serials[1], "020001");
  EXPECT_TRUE(c.unknown_here.truncated());
}

TEST_F(CompareTest, SerialOrderIsNumericAcrossLengths) {
  put({{0xFF, true, kKeyCompromise}, {0x0100, true, kKeyCompromise}, {0x02, true, kKeyCompromise}});
  const auto c = compare({entry(0x0101), entry(0x03)});
  EXPECT_EQ(c.missing_from_crl.serials, (Serials{"02", "FF", "0100"}));
  EXPECT_EQ(c.unknown_here.serials, (Serials{"03", "0101"}));
}

TEST_F(CompareTest, AnEmptyIssuerAndAnEmptyCrlAgree) {
  put({{0x01, true, kKeyCompromise, kT - 100, true, kT + 1, kOther}});
  EXPECT_TRUE(compare({}).agrees());
}

}  // namespace
}  // namespace trustmon::crl
