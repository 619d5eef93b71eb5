// The relying party's side of a cloud key store: CSC API v2 with OAuth2 authorisation
// codes (https://cloudsignatureconsortium.org, v2.0.0.2), the subset a login needs. After
// the phone came back with an authorisation code, fetch_signature() does, in order:
//   POST <token_url>   grant_type=authorization_code, code, redirect_uri, client_id,
//                      client_secret, code_verifier (PKCE)        -> access_token
//   POST <csc_url>/credentials/list   {}                          -> credentialIDs (the first)
//   POST <csc_url>/credentials/info   {credentialID, certificates: "chain", certInfo}
//                                                                 -> the signer's certificate
//   POST <csc_url>/signatures/signHash {credentialID, hashes: [SHA-256 of the signed text],
//                      hashAlgorithmOID, signAlgo}                -> the raw signature
// and returns the proof (certificate + raw signature + algorithm) for verify_proof; the
// token response's credentialID, when present, is used instead of the list.
//
// Policy: blocking (run it on a pool thread, never on an event loop); libcurl with
// http/https only, no redirects, no proxy, a deadline per call, TLS verified against the
// provider's ca_file or the system store; responses capped at kMaxCscResponse; nothing
// returned by the provider is trusted beyond being a candidate proof (the certificate and
// signature are checked by verify_proof and decide). Secrets (client secret, code,
// token) are never logged. Error code provider_failed (403) with what went wrong.
#pragma once

#include <chrono>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "responder/login/proof.hpp"
#include "responder/login/qr_login.hpp"

namespace trustmon::login {

inline constexpr std::size_t kMaxCscResponse = 256 * 1024;

Result<Proof> fetch_signature(const QrExchange& exchange, std::chrono::milliseconds timeout_per_call);

}  // namespace trustmon::login
