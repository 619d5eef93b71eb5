#!/usr/bin/env python3
"""Issues end-entity certificates from a demo CA with python3-cryptography, for tests that
need chosen validity periods: make_certs.py CA.pem CA.key OUT.pem SERIAL_HEX:NOT_BEFORE:NOT_AFTER...
(times as 2026-10-31T23:30:00Z). All certificates go into OUT.pem, one PEM block each."""
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
    out = open(sys.argv[3], "wb")
    for spec in sys.argv[4:]:
        serial, rest = spec.split(":", 1)
        not_before, _, not_after = rest.partition("Z:")
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Holder " + serial),
                                         x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINUA-" + str(int(serial, 16)).zfill(10))]))
                .issuer_name(ca.subject).public_key(key.public_key()).serial_number(int(serial, 16))
                .not_valid_before(when(not_before + "Z")).not_valid_after(when(not_after))
                .sign(ca_key, hashes.SHA256()))
        out.write(cert.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
