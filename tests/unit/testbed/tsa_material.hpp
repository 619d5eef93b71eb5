// Shared by the TSA tests: a TSA certificate made with the test PKI (its critical
// timeStamping EKU added and the certificate signed again), and running a command.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "common/bytes.hpp"
#include "common/ossl.hpp"
#include "tests/support/test_pki.hpp"

namespace trustmon::testbed::tsa_testing {

struct Ran {
  int rc = -1;
  std::string out;
};

inline Ran run(const std::string& cmd) {
  Ran r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline void write_bytes(const std::string& path, ByteView data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

inline Bytes read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A certificate for `key` under `ca`, with extendedKeyUsage timeStamping added and signed again.
inline X509Ptr tsa_certificate(EVP_PKEY* key, const X509* ca, EVP_PKEY* ca_key, const char* eku = "critical,timeStamping") {
  trustmon::testing::CertOptions o;
  o.common_name = "TEST TSA";
  X509Ptr cert = trustmon::testing::issue_cert(o, key, ca, ca_key);
  if (eku != nullptr) {
    X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, nullptr, NID_ext_key_usage, eku));
    EXPECT_TRUE(ext && X509_add_ext(cert.get(), ext.get(), -1) == 1);
    EXPECT_GT(X509_sign(cert.get(), ca_key, EVP_sha256()), 0);
  }
  return cert;
}

}  // namespace trustmon::testbed::tsa_testing
