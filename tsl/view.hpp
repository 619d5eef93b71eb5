// The reader's view of a published trusted list, as JSON for people (the cabinet's
// trusted-list browser, GET /api/v1/tl/{name}/view): scheme facts, the signature check
// result, and providers -> services -> current status and history. Names are given in
// Ukrainian when the list has them, else English, else the first language.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "tsl/model.hpp"

namespace trustmon::tsl {

// `signature`: {"valid": bool, "signer": subject, "error"?: text}, computed by the caller.
nlohmann::json list_view_json(std::string_view name, std::uint64_t sequence, const TrustedList& list,
                              nlohmann::json signature);

}  // namespace trustmon::tsl
