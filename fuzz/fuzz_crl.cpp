// A CRL upload as POST /api/v1/crls receives it (DER or PEM), read into its entries the
// way the registry reads it before finding the issuer. Property: no crash; every entry
// without an error has a 1..32-octet serial and an invalidity date not after its time.
#include <cstdint>
#include <cstdlib>

#include "responder/registry/crl_reader.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr UnixTime kNow = 1767225600;
  auto upload = registry::read_crl(Bytes(data, data + size), kNow, 300);
  if (!upload) return 0;
  for (const auto& e : upload->entries) {
    if (e.error) continue;
    if (e.serial.empty() || e.serial.size() > 32 || e.invalidity_date > e.time || e.time > kNow + 300) std::abort();
  }
  return 0;
}
