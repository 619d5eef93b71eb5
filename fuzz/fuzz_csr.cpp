// Certificate requests as a provider sends them to the CSR check and reserve routes (PEM or
// DER, proof of possession checked). Property: no crash; a parsed request's hash is the
// hash of its DER, and a request sent as DER is kept octet for octet.
#include <cstdint>
#include <cstdlib>

#include "responder/csr/request.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = csr::parse_csr(ByteView(data, size));
  if (!parsed) return 0;
  if (parsed->csr_sha256 != sha256(parsed->der)) std::abort();
  if (size > 0 && data[0] == 0x30 && parsed->der != Bytes(data, data + size)) std::abort();
  return 0;
}
