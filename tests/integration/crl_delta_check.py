#!/usr/bin/env python3
"""Delta CRLs against OCSP, with clients trustmon did not write: python3-cryptography reads and
verifies the CRLs, `openssl ocsp` asks the status. Random revocations (some on hold), re-revocations
with another reason and releases of holds go through the API; once a delta CRL built after the last
acknowledgement is published, the complete CRL with the delta applied must list exactly the serials
OCSP answers `revoked` for, with the same reasons, and no other.

usage: crl_delta_check.py URL TOKEN ISSUER CA_PEM WORKDIR COUNT SEED PHASE
PHASE "first" makes the first round of revocations and leaves what it did in WORKDIR (restart
the server then, so the next complete CRL lists them: holds on it can be released through a delta);
"rest" makes two more rounds and checks, printing one JSON object:
{"serials", "revoked", "removed", "base", "delta", "mismatches": [...]}
"""
import json
import random
import re
import subprocess
import sys
import time
import urllib.request

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

REASONS = ["keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
           "certificateHold"]
# cryptography's ReasonFlags names and openssl's OCSP text, per RFC 5280 name.
PY_NAME = {"keyCompromise": "key_compromise", "cACompromise": "ca_compromise",
           "affiliationChanged": "affiliation_changed", "superseded": "superseded",
           "cessationOfOperation": "cessation_of_operation", "certificateHold": "certificate_hold",
           "removeFromCRL": "remove_from_crl"}
OCSP_TEXT = {"keyCompromise": "keyCompromise", "cACompromise": "cACompromise",
             "affiliationChanged": "affiliationChanged", "superseded": "superseded",
             "cessationOfOperation": "cessationOfOperation", "certificateHold": "certificateHold"}


def call(url, token, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def reason_of(entry):
    try:
        return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        return "unspecified"


def main():
    url, token, issuer, ca_pem, workdir, count, seed, phase = sys.argv[1:9]
    count, rng = int(count), random.Random(int(seed) + (0 if phase == "first" else 1))
    ca = x509.load_pem_x509_certificate(open(ca_pem, "rb").read())
    serials = [0x7000 + i for i in range(count)]
    state = workdir + "/delta-check-state.json"
    # serial -> RFC 5280 reason name, of what is revoked now
    truth = {} if phase == "first" else {int(k): v for k, v in json.load(open(state)).items()}
    # Rounds: revoke some, then re-revoke or release some of those.
    for round_no in range(1 if phase == "first" else 2):
        revocations = []
        for s in serials:
            roll = rng.random()
            if s not in truth and roll < 0.3:
                reason = rng.choice(REASONS)
                revocations.append({"issuer": issuer, "serial": "%x" % s, "reason": reason})
                truth[s] = reason
            elif s in truth and truth[s] == "certificateHold" and roll < 0.5:
                revocations.append({"issuer": issuer, "serial": "%x" % s, "release": True})
                del truth[s]
            elif s in truth and truth[s] == "certificateHold" and roll < 0.7:
                revocations.append({"issuer": issuer, "serial": "%x" % s, "reason": "keyCompromise"})
                truth[s] = "keyCompromise"
        for i in range(0, len(revocations), 1000):
            call(url + "/api/v1/revocations", token, {"revocations": revocations[i:i + 1000]})
    if phase == "first":
        json.dump({str(k): v for k, v in truth.items()}, open(state, "w"))
        print(json.dumps({"revoked": len(truth)}))
        return
    # A marker revoked after every other change was acknowledged: the Writer commits in order,
    # so a delta that lists it was read after all of them.
    marker = 0x6FFF
    call(url + "/api/v1/revocations", token,
         {"revocations": [{"issuer": issuer, "serial": "%x" % marker, "reason": "superseded"}]})
    deadline = time.time() + 30
    while True:
        delta = x509.load_der_x509_crl(get(url + "/crl/%s.delta.crl" % issuer))
        if delta.get_revoked_certificate_by_serial_number(marker) is not None:
            break
        if time.time() > deadline:
            print(json.dumps({"error": "no delta CRL after the last revocation within 30 s"}))
            return
        time.sleep(0.2)
    base = x509.load_der_x509_crl(get(url + "/crl/%s.crl" % issuer))
    assert base.is_signature_valid(ca.public_key()), "complete CRL signature"
    assert delta.is_signature_valid(ca.public_key()), "delta CRL signature"
    base_number = base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    delta_base = delta.extensions.get_extension_for_oid(ExtensionOID.DELTA_CRL_INDICATOR)
    assert delta_base.critical, "Delta CRL Indicator is critical"
    assert delta_base.value.crl_number <= base_number, "the delta applies to this complete CRL"
    delta_number = delta.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert delta_number > base_number, "the delta is newer than the complete CRL"
    freshest = base.extensions.get_extension_for_oid(ExtensionOID.FRESHEST_CRL).value
    names = [n.value for dp in freshest for n in (dp.full_name or [])]
    assert any(n.endswith("/crl/%s.delta.crl" % issuer) for n in names), names

    applied = {e.serial_number: reason_of(e) for e in base}
    removed = 0
    for e in delta:
        r = reason_of(e)
        if r == "remove_from_crl":
            applied.pop(e.serial_number, None)
            removed += 1
        else:
            applied[e.serial_number] = r
    applied = {s: r for s, r in applied.items() if s in set(serials)}

    # OCSP for every serial, 16 CertIDs per request.
    mismatches = []
    for i in range(0, len(serials), 16):
        batch = serials[i:i + 16]
        args = ["openssl", "ocsp", "-issuer", ca_pem, "-url", url + "/ocsp", "-no_nonce", "-noverify"]
        for s in batch:
            args += ["-serial", "0x%x" % s]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
        # openssl prints "0xSERIAL: status" and indented details (Reason: ...) under it.
        blocks = {}
        for block in re.split(r"^(?=0x[0-9A-Fa-f]+: )", out, flags=re.M):
            m = re.match(r"0x([0-9A-Fa-f]+): (\w+)", block)
            if m:
                reason = re.search(r"^\s*Reason: (\w+)", block, re.M)
                blocks[int(m.group(1), 16)] = (m.group(2), reason.group(1) if reason else None)
        for s in batch:
            if s not in blocks:
                mismatches.append({"serial": "%x" % s, "ocsp": "no answer", "out": out[-300:]})
                continue
            ocsp_status, ocsp_reason = blocks[s]
            want = truth.get(s)
            crl_reason = applied.get(s)
            if (ocsp_status == "revoked") != (crl_reason is not None) or (want is not None) != (crl_reason is not None):
                mismatches.append({"serial": "%x" % s, "ocsp": ocsp_status, "crl": crl_reason, "api": want})
            elif crl_reason is not None and (PY_NAME[want] != crl_reason or OCSP_TEXT[want] != ocsp_reason):
                mismatches.append({"serial": "%x" % s, "ocsp_reason": ocsp_reason, "crl": crl_reason, "api": want})
    print(json.dumps({"serials": len(serials), "revoked": len(truth), "removed": removed, "base": base_number,
                      "delta": delta_number, "mismatches": mismatches[:20]}))


if __name__ == "__main__":
    main()
