// AddressQuota: at most `limit` uses per client address in a fixed window (e.g. 10 filings
// an hour), for public routes that write or look up something on behalf of an anonymous
// client.
//
// Policy: counts live in memory (a restart forgives); at most `max_addresses` addresses
// are tracked — windows that have ended are dropped when the table is full, and if it is
// still full the use is refused (an address flood cannot grow memory). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"

namespace trustmon::http {

class AddressQuota {
 public:
  AddressQuota(std::uint32_t limit, UnixTime window_seconds, std::size_t max_addresses = 10000)
      : limit_(limit), window_(window_seconds), max_addresses_(max_addresses) {}

  // Takes one use for `address` at `now`: nullopt when allowed, else the seconds until the
  // address's window ends (for Retry-After).
  std::optional<UnixTime> take(std::string_view address, UnixTime now);

 private:
  struct Window {
    UnixTime start = 0;
    std::uint32_t used = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
  std::uint32_t limit_;
  UnixTime window_;
  std::size_t max_addresses_;
};

}  // namespace trustmon::http
