// OID <-> HashAlg mapping for CertIDs.
#include "responder/ocsp/hash_alg.hpp"

#include <algorithm>

#include "common/der.hpp"

namespace trustmon::ocsp {

const char* hash_name(HashAlg a) {
  switch (a) {
    case HashAlg::sha1: return "sha1";
    case HashAlg::sha256: return "sha256";
    case HashAlg::sha384: return "sha384";
    case HashAlg::sha512: return "sha512";
    case HashAlg::unsupported: break;
  }
  return "unsupported";
}

ByteView hash_oid(HashAlg a) noexcept {
  switch (a) {
    case HashAlg::sha1: return der::oid::kSha1;
    case HashAlg::sha256: return der::oid::kSha256;
    case HashAlg::sha384: return der::oid::kSha384;
    case HashAlg::sha512: return der::oid::kSha512;
    case HashAlg::unsupported: break;
  }
  return {};
}

HashAlg hash_from_oid(ByteView oid) noexcept {
  for (HashAlg a : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512}) {
    const ByteView known = hash_oid(a);
    if (oid.size() == known.size() && std::equal(oid.begin(), oid.end(), known.begin())) return a;
  }
  return HashAlg::unsupported;
}

}  // namespace trustmon::ocsp
