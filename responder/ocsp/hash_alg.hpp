// The hash algorithms an OCSP CertID may name (RFC 6960 §4.1.1, RFC 5019 §2.1.1): the
// responder table precomputes issuer hashes for each, the parser maps OIDs to them, and the
// signer writes their AlgorithmIdentifier. Any other OID is `unsupported`, which the
// responder answers with `unauthorized` (we cannot know the issuer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace trustmon::ocsp {

enum class HashAlg : std::uint8_t { sha1, sha256, sha384, sha512, unsupported };
inline constexpr std::size_t kHashAlgCount = 4;  // the supported ones, usable as array index

inline constexpr std::size_t hash_index(HashAlg a) { return static_cast<std::size_t>(a); }

// Digest length in bytes (0 for unsupported).
constexpr std::size_t hash_length(HashAlg a) {
  switch (a) {
    case HashAlg::sha1: return 20;
    case HashAlg::sha256: return 32;
    case HashAlg::sha384: return 48;
    case HashAlg::sha512: return 64;
    case HashAlg::unsupported: break;
  }
  return 0;
}

const char* hash_name(HashAlg a);  // "sha1", "sha256", ... "unsupported"
// Maps the OID value octets (no tag/length) to an algorithm.
HashAlg hash_from_oid(ByteView oid) noexcept;
// OID value octets; empty for unsupported.
ByteView hash_oid(HashAlg a) noexcept;

}  // namespace trustmon::ocsp
