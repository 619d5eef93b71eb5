// The CSR routes' JSON forms: codes and kinds as stable names, no subject hash, the holder's
// reservation id only for the holder itself.
#include "responder/routes/csr_json.hpp"

#include <gtest/gtest.h>

namespace trustmon::routes {
namespace {

csr::Reservation reservation() {
  csr::Reservation r;
  r.id = 42;
  r.participant = 3;
  r.spki_sha256[0] = 0x01;
  r.subject_sha256[0] = 0x02;
  r.created = 1767225600;
  r.expires = r.created + 600;
  r.changed = r.created;
  r.first_seen = r.created;
  return r;
}

TEST(CsrJson, ReservationCarriesItsEffectiveStateAndNoSubject) {
  const csr::Reservation r = reservation();
  const auto created = to_json(csr::ReserveOutcome{r, {}}, r.created);
  EXPECT_EQ(created["reservation"]["id"], 42);
  EXPECT_EQ(created["reservation"]["state"], "reserved");
  EXPECT_FALSE(created["reservation"].contains("subject_sha256"));
  EXPECT_EQ(to_json(r, r.expires)["state"], "expired");
}

TEST(CsrJson, RefusalsAreErrorsWithKindAndHolder) {
  csr::CheckResult refusal;
  refusal.unique = false;
  refusal.code = "csr_already_processed";
  refusal.message = "seen before";
  refusal.holder = csr::Holder{1, csr::ReservationState::reserved, csr::Origin::request, 1767225600, std::nullopt};
  const auto body = error_json(refusal);
  EXPECT_EQ(body["error"]["code"], "csr_already_processed");
  EXPECT_EQ(body["error"]["kind"], "conflict");
  EXPECT_EQ(body["error"]["details"]["holder"]["participant"], 1);
  EXPECT_FALSE(body["error"]["details"]["holder"].contains("reservation"));
  const auto refused = to_json(csr::ReserveOutcome{std::nullopt, refusal}, 0);
  EXPECT_EQ(refused["error"]["code"], "csr_already_processed");
  EXPECT_EQ(error_json(make_error(ErrorKind::forbidden, "reservation_not_yours", "x"))["error"]["kind"], "forbidden");
}

}  // namespace
}  // namespace trustmon::routes
