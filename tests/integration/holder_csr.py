#!/usr/bin/env python3
"""A renewal's new certificate request, with the subject of the current certificate:
holder_csr.py CERT.pem KEY_OUT.pem CSR_OUT.der [--key EXISTING.pem] [--surname NEW]
--key signs with an existing key (the current one: a renewal with the old key) instead of a
new P-256 key; --surname changes the subject's surname (a change of data). The subject's
attributes keep their order and string types. python3-cryptography 38 compatible."""
import argparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cert")
    p.add_argument("key_out")
    p.add_argument("csr_out")
    p.add_argument("--key")
    p.add_argument("--surname")
    a = p.parse_args()
    cert = x509.load_pem_x509_certificate(open(a.cert, "rb").read())
    if a.key:
        key = serialization.load_pem_private_key(open(a.key, "rb").read(), None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    rdns = []
    for rdn in cert.subject.rdns:
        attrs = []
        for attr in rdn:
            if a.surname and attr.oid == NameOID.SURNAME:
                attr = x509.NameAttribute(attr.oid, a.surname, attr._type)
            attrs.append(attr)
        rdns.append(x509.RelativeDistinguishedName(attrs))
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(rdns)).sign(key, hashes.SHA256())
    open(a.key_out, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    open(a.csr_out, "wb").write(csr.public_bytes(serialization.Encoding.DER))


if __name__ == "__main__":
    main()
