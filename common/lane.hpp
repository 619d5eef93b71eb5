// Lane: which queue a piece of background work waits in. Revocations and CSR reservations
// are urgent: an operator or a client waits for them and OCSP must say `revoked` at once,
// so they go ahead of bulk work (certificate imports) in the preparation pool
// (common/thread_pool.hpp) and in the Writer (storage/writer.hpp). Everything else is normal.
#pragma once

#include <cstdint>

namespace trustmon {

enum class Lane : std::uint8_t { normal, urgent };

}  // namespace trustmon
