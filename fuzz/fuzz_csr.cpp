// Certificate requests as a provider sends them to the CSR check and reserve routes (PEM or
// DER, proof of possession checked). Property: no crash; a parsed request keeps its DER.
#include <cstdint>
#include <cstdlib>

#include "responder/csr/request.hpp"

using namespace trustmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = csr::parse_csr(ByteView(data, size));
  if (parsed && parsed->der.empty()) std::abort();
  return 0;
}
