#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<harness>/ (run once; the files are kept in the
tree, a few KB each). Certificates, requests and CRLs come from a throw-away PKI made
here with python3-cryptography and the openssl command; the trusted list is cut from
tests/data/tl-samples/tl-ua.xml (its scheme information and first provider)."""
import base64, datetime, json, os, re, subprocess, sys, tempfile, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")

def put(harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

now = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Тестовий КНЕДП"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "Fuzz CA"),
                     x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "NTRUA-12345678")])
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
      .public_key(ca_key.public_key()).serial_number(1)
      .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
      .sign(ca_key, hashes.SHA256()))

def leaf(serial, cn, tin, extra_san=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, tin),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "holder@example.ua"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "UA")])
    san = [x509.RFC822Name("holder@example.ua"), x509.DNSName("svc.example.ua")] + (extra_san or [])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert

k1, c1 = leaf(0x1001, "Іваненко Іван Іванович", "TINUA-1234567890")
k2, c2 = leaf(0x1002, "Service \"Q\"", "NTRUA-87654321")
der = lambda c: c.public_bytes(serialization.Encoding.DER)
pem = lambda c: c.public_bytes(serialization.Encoding.PEM)

# fuzz_cert_attributes
put("fuzz_cert_attributes", "leaf-person.der", der(c1))
put("fuzz_cert_attributes", "leaf-org.der", der(c2))
put("fuzz_cert_attributes", "ca.der", der(ca))

# fuzz_certificate_body: first byte = content type index (0 DER, 1 PEM, 2 JSON)
put("fuzz_certificate_body", "der", b"\x00" + der(c1))
put("fuzz_certificate_body", "pem-bundle", b"\x01" + pem(c1) + pem(c2))
put("fuzz_certificate_body", "json", b"\x02" + json.dumps(
    {"certificates": [base64.b64encode(der(c1)).decode(), base64.b64encode(der(c2)).decode()]}).encode())

# fuzz_ocsp_request: POST DER (with and without nonce) and the GET path form
with tempfile.TemporaryDirectory() as t:
    for name, data in (("ca.pem", pem(ca)), ("leaf.pem", pem(c1)), ("leaf2.pem", pem(c2))):
        open(os.path.join(t, name), "wb").write(data)
    for flag, name in (("-no_nonce", "post-no-nonce.der"), ("-nonce", "post-nonce.der")):
        subprocess.run(["openssl", "ocsp", "-issuer", f"{t}/ca.pem", "-cert", f"{t}/leaf.pem", "-cert",
                        f"{t}/leaf2.pem", flag, "-reqout", f"{t}/{name}"], check=True, capture_output=True)
        put("fuzz_ocsp_request", name, open(f"{t}/{name}", "rb").read())
    req = open(f"{t}/post-no-nonce.der", "rb").read()
    put("fuzz_ocsp_request", "get-path", urllib.parse.quote(base64.b64encode(req).decode(), safe=""))

# fuzz_csr
csr = (x509.CertificateSigningRequestBuilder()
       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Заявник"),
                                x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINUA-1234567890")]))
       .sign(k1, hashes.SHA256()))
put("fuzz_csr", "p256.der", csr.public_bytes(serialization.Encoding.DER))
put("fuzz_csr", "p256.pem", csr.public_bytes(serialization.Encoding.PEM))

# fuzz_crl
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca_name)
       .last_update(now).next_update(now + datetime.timedelta(days=1))
       .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(0x1001).revocation_date(now)
                                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                                .add_extension(x509.InvalidityDate(now.replace(tzinfo=None) - datetime.timedelta(hours=1)), critical=False)
                                .build())
       .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(0x1002).revocation_date(now).build())
       .sign(ca_key, hashes.SHA256()))
put("fuzz_crl", "two-entries.der", crl.public_bytes(serialization.Encoding.DER))
put("fuzz_crl", "two-entries.pem", crl.public_bytes(serialization.Encoding.PEM))

# fuzz_trusted_list: the sample's scheme information and its first provider
tl = open(os.path.join(root, "tests", "data", "tl-samples", "tl-ua.xml"), encoding="utf-8").read()
head = tl[: tl.index("<TrustServiceProviderList>")]
first = re.search(r"<TrustServiceProvider>.*?</TrustServiceProvider>", tl, re.S).group(0)
put("fuzz_trusted_list", "ua-one-provider.xml",
    head + "<TrustServiceProviderList>" + first + "</TrustServiceProviderList></TrustServiceStatusList>\n")
put("fuzz_trusted_list", "scheme-only.xml", head + "</TrustServiceStatusList>\n")

# fuzz_json_requests
put("fuzz_json_requests", "application.json", json.dumps(
    {"service": "ca_certificate", "text": "Прошу видати сертифікат",
     "attachments": [{"name": "request.p10", "media_type": "application/pkcs10",
                      "content": base64.b64encode(csr.public_bytes(serialization.Encoding.DER)).decode()}]},
    ensure_ascii=False))
put("fuzz_json_requests", "notice.json", json.dumps(
    {"list": "UA", "kind": "service_added", "provider": "Fuzz QTSP", "comment": "new CA",
     "values": {"type": "http://uri.etsi.org/TrstSvc/Svctype/CA/QC", "names": [{"lang": "uk", "value": "ЦСК"}],
                "certificate": base64.b64encode(der(ca)).decode(),
                "status": "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted",
                "status_starting_time": "2026-12-01T00:00:00Z",
                "supply_points": [{"uri": "http://127.0.0.1/ocsp"}]}}, ensure_ascii=False))
put("fuzz_json_requests", "query-tin", "serial_number=TINUA-1234567890")
put("fuzz_json_requests", "query-sda", "sda:1.1=1234567890")
put("fuzz_json_requests", "query-issuer-serial", "issuer_serial=Fuzz CA:1001")
print("corpora written to", out)
