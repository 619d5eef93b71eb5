// OpenSSL helpers shared by every module: error draining, digests, PEM/DER, files.
#include "common/ossl.hpp"

#include <openssl/hmac.h>

#include "common/der.hpp"

#include "common/time.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace trustmon {

std::string ossl_errors() {
  std::string out;
  unsigned long e;
  char buf[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error ossl_error(ErrorKind kind, std::string code, std::string_view context) {
  std::string msg(context);
  std::string detail = ossl_errors();
  if (!detail.empty()) msg += ": " + detail;
  return make_error(kind, std::move(code), std::move(msg));
}

namespace {

// SHA-256 fetched once per process: EVP_sha256() makes every EVP_Digest fetch the
// implementation from the provider again (a lock and a hash-table lookup per call).
const EVP_MD* sha256_md() {
  static const EvpMdPtr md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  return md ? md.get() : EVP_sha256();
}

}  // namespace

Sha256 sha256(ByteView data) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr);
  return out;
}

Sha256 hmac_sha256(ByteView key, ByteView data) {
  Sha256 out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
  return out;
}

Result<Bytes> digest(const EVP_MD* md, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1)
    return ossl_error(ErrorKind::internal, "internal_error", "digest failed");
  out.resize(len);
  return out;
}

Bytes x509_der(const X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  if (len <= 0) return {};
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

Result<Bytes> issuer_serial_der(const X509* cert) {
  unsigned char* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
  if (name_len <= 0) return ossl_error(ErrorKind::invalid, "certificate_invalid", "issuer name");
  OsslBytesPtr name_owner(name);
  unsigned char* serial = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
  if (serial_len <= 0) return ossl_error(ErrorKind::invalid, "certificate_invalid", "serial number");
  OsslBytesPtr serial_owner(serial);
  der::BackWriter w(static_cast<std::size_t>(name_len + serial_len) + 24);
  w.bytes(ByteView(serial, static_cast<std::size_t>(serial_len)));
  const std::size_t names = w.size();
  w.bytes(ByteView(name, static_cast<std::size_t>(name_len)));
  w.wrap(der::context(4), names);  // directoryName: explicit, Name is a CHOICE
  w.wrap(der::kSequence, names);   // GeneralNames
  w.wrap(der::kSequence, 0);
  return w.take();
}

Result<X509Ptr> x509_from_der(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return ossl_error(ErrorKind::invalid, "certificate_malformed", "cannot parse certificate DER");
  if (p != der.data() + der.size()) return make_error(ErrorKind::invalid, "certificate_malformed", "trailing bytes after certificate DER");
  return cert;
}

std::string x509_name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  // RFC 2253 order and escaping, but multi-byte UTF-8 left readable.
  const unsigned long flags = XN_FLAG_RFC2253 & ~static_cast<unsigned long>(ASN1_STRFLGS_ESC_MSB);
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string x509_name_entry_utf8(const X509_NAME* name, int nid) {
  if (name == nullptr) return {};
  const int at = X509_NAME_get_index_by_NID(name, nid, -1);
  if (at < 0) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  std::string out;
  if (n > 0) out.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

Result<std::vector<X509Ptr>> x509s_from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(ErrorKind::internal, "internal_error", "BIO_new_mem_buf");
  std::vector<X509Ptr> out;
  for (;;) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!c) break;
    out.emplace_back(c);
  }
  // The loop ends with PEM_R_NO_START_LINE at end of input; anything else is a real error.
  unsigned long e = ERR_peek_last_error();
  if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
    return ossl_error(ErrorKind::invalid, "certificate_malformed", "cannot parse PEM certificate");
  ERR_clear_error();
  return out;
}

Result<EvpPkeyPtr> private_key_from_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(ErrorKind::internal, "internal_error", "BIO_new_mem_buf");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return ossl_error(ErrorKind::invalid, "key_malformed", "cannot parse PEM private key");
  return key;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::invalid, "file_unreadable", "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(ErrorKind::invalid, "file_unreadable", "cannot read " + path);
  return ss.str();
}

Status write_file(const std::string& path, std::string_view data, unsigned mode, Durability durability) {
  const bool synced = durability == Durability::synced;
  std::string tmp = synced ? path + ".tmp" : path;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return make_error(ErrorKind::internal, "file_unwritable", "cannot create " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // umask must not widen nor narrow what the caller asked for
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return make_error(ErrorKind::internal, "file_unwritable", "cannot write " + tmp + ": " + std::strerror(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!synced) {
    if (::close(fd) != 0) return make_error(ErrorKind::internal, "file_unwritable", "cannot close " + tmp + ": " + std::strerror(errno));
    return {};
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return make_error(ErrorKind::internal, "file_unwritable", "cannot sync " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error(ErrorKind::internal, "file_unwritable", "cannot rename " + tmp + ": " + std::strerror(errno));
  return {};
}

Result<X509Ptr> load_cert_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  if (text->find("-----BEGIN") != std::string::npos) {
    auto certs = x509s_from_pem(*text);
    if (!certs) return std::move(certs).error();
    if (certs->empty()) return make_error(ErrorKind::invalid, "certificate_malformed", "no certificate in " + path);
    return std::move(certs->front());
  }
  return x509_from_der(as_bytes(*text));
}

Result<EvpPkeyPtr> load_key_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::move(text).error();
  return private_key_from_pem(*text);
}

Bytes serial_bytes(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return {};
  int n = BN_num_bytes(bn.get());
  if (n == 0) return Bytes{0};
  Bytes out(static_cast<std::size_t>(n));
  BN_bn2bin(bn.get(), out.data());
  return out;
}

Result<UnixTime> asn1_time_to_unix(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return ossl_error(ErrorKind::invalid, "time_malformed", "bad ASN.1 time");
  // tm is UTC; convert without timegm's locale state.
  std::int64_t days = days_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                                      static_cast<unsigned>(tm.tm_mday));
  return days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

}  // namespace trustmon
