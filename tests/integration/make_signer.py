#!/usr/bin/env python3
"""Issues one end-entity certificate and writes its private key too, for tests that sign
with openssl cms: make_signer.py CA.pem CA.key OUT_CERT.pem OUT_KEY.pem SERIAL_HEX NOT_BEFORE NOT_AFTER
(times as 2026-10-31T23:30:00Z). python3-cryptography 38 compatible."""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def when(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def main():
    ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
    ca_key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
    serial = int(sys.argv[5], 16)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Reporter " + sys.argv[5])]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(serial)
            .not_valid_before(when(sys.argv[6])).not_valid_after(when(sys.argv[7]))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    open(sys.argv[3], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(sys.argv[4], "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))


if __name__ == "__main__":
    main()
