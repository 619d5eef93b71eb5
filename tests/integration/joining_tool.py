#!/usr/bin/env python3
"""What an applicant's side does for a joining application, with python3-cryptography
(38 compatible), for joining_itest:
  joining_tool.py issue CA.pem CA.key OUT_DIR SERIAL_HEX EDRPOU RNOKPP CN [TITLE]
      an organisation's qualified certificate (O, organizationIdentifier NTRUA-EDRPOU,
      serialNumber TINUA-RNOKPP, title) and its key: OUT_DIR/cert.pem, key.pem, cert.der
  joining_tool.py canonical IN.json OUT.json
      the document in canonical form (members sorted, no whitespace, UTF-8 as itself)
  joining_tool.py sign DOC CERT.pem KEY.pem OUT.p7s
      a CMS SignedData encapsulating DOC (DER), signed with SHA-256"""
import datetime
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")


def issue(ca_pem, ca_key, out, serial, edrpou, rnokpp, cn, title=None):
    ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
    signer = serialization.load_pem_private_key(open(ca_key, "rb").read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Organisation " + edrpou),
             x509.NameAttribute(ORGANIZATION_IDENTIFIER, "NTRUA-" + edrpou),
             x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, title))
    attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINUA-" + rnokpp))
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(x509.Name(attrs)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(int(serial, 16))
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(signer, hashes.SHA256()))
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "cert.pem"), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(out, "cert.der"), "wb").write(cert.public_bytes(serialization.Encoding.DER))
    open(os.path.join(out, "key.pem"), "wb").write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def canonical(src, out):
    doc = json.load(open(src, encoding="utf-8"))
    open(out, "wb").write(json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


def sign(doc, cert_pem, key_pem, out):
    cert = x509.load_pem_x509_certificate(open(cert_pem, "rb").read())
    key = serialization.load_pem_private_key(open(key_pem, "rb").read(), None)
    signed = (pkcs7.PKCS7SignatureBuilder().set_data(open(doc, "rb").read())
              .add_signer(cert, key, hashes.SHA256())
              .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
    open(out, "wb").write(signed)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"issue": issue, "canonical": canonical, "sign": sign}[command](*args)
