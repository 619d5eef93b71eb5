// OID <-> HashAlg mapping for CertIDs.
#include "responder/ocsp/hash_alg.hpp"

#include <algorithm>

#include "common/enum_names.hpp"
#include "common/der.hpp"

namespace trustmon::ocsp {

namespace {

// Names for logs and metrics labels; the literals make name(...).data() NUL-terminated.
constexpr EnumNames<HashAlg, 4> kHashNames(
    {{{HashAlg::sha1, "sha1"}, {HashAlg::sha256, "sha256"}, {HashAlg::sha384, "sha384"}, {HashAlg::sha512, "sha512"}}});

}  // namespace

const char* hash_name(HashAlg a) { return kHashNames.name(a, "unsupported").data(); }

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
