#!/usr/bin/env python3
"""Convert an OpenSSL CA database (index.txt) into the revocation TSV that
`trustmonctl revoke --file` reads: ISSUER<TAB>SERIAL<TAB>REASON<TAB>TIME[<TAB>INVALIDITY].

Policy: only `R` lines become revocations. OpenSSL writes the revocation field as
`TIME[,REASON[,EXTRA]]` with TIME in UTCTime (YYMMDDHHMMSSZ, RFC 5280 century rule)
or GeneralizedTime (YYYYMMDDHHMMSSZ). Reasons are mapped to their RFC 5280 names;
no reason becomes `unspecified` (the server needs one; an OCSP client sees the same
"no specific reason"). OpenSSL's `keyTime` / `CAkeyTime` carry the compromise time
in EXTRA, which becomes the invalidity date. `removeFromCRL` is not a revocation and
is skipped with a warning. Anything unparseable stops the conversion with an error
naming the line, so a benchmark never runs on silently partial data.

Usage: index2tsv.py ISSUER_NAME index.txt > revocations.tsv
"""
import sys

# OpenSSL index.txt spelling -> (RFC 5280 name, EXTRA is an invalidity date)
REASONS = {
    "unspecified": ("unspecified", False),
    "keycompromise": ("keyCompromise", False),
    "cacompromise": ("cACompromise", False),
    "affiliationchanged": ("affiliationChanged", False),
    "superseded": ("superseded", False),
    "cessationofoperation": ("cessationOfOperation", False),
    "certificatehold": ("certificateHold", False),
    "privilegewithdrawn": ("privilegeWithdrawn", False),
    "aacompromise": ("aACompromise", False),
    "keytime": ("keyCompromise", True),
    "cakeytime": ("cACompromise", True),
}


def rfc3339(asn1):
    """YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ -> YYYY-MM-DDTHH:MM:SSZ."""
    if not asn1.endswith("Z") or not asn1[:-1].isdigit():
        raise ValueError("bad time %r" % asn1)
    d = asn1[:-1]
    if len(d) == 12:
        yy = int(d[:2])
        year = (2000 if yy < 50 else 1900) + yy
        d = d[2:]
    elif len(d) == 14:
        year = int(d[:4])
        d = d[4:]
    else:
        raise ValueError("bad time %r" % asn1)
    mo, da, hh, mi, ss = (int(d[i:i + 2]) for i in range(0, 10, 2))
    if not (1 <= mo <= 12 and 1 <= da <= 31 and hh < 24 and mi < 60 and ss < 61):
        raise ValueError("bad time %r" % asn1)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (year, mo, da, hh, mi, ss)


def convert(issuer, lines, out, err):
    n = 0
    for no, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line or line[0] != "R":
            continue
        f = line.split("\t")
        if len(f) < 4:
            raise ValueError("line %d: want at least 4 tab-separated fields" % no)
        revfield, serial = f[2], f[3].strip()
        parts = revfield.split(",")
        when = rfc3339(parts[0])
        reason, invalidity = "unspecified", ""
        if len(parts) > 1 and parts[1]:
            key = parts[1].lower()
            if key == "removefromcrl":
                err.write("index2tsv: line %d: removeFromCRL, not a revocation; skipped\n" % no)
                continue
            if key not in REASONS:
                raise ValueError("line %d: unknown reason %r" % (no, parts[1]))
            reason, has_date = REASONS[key]
            if has_date:
                if len(parts) < 3:
                    raise ValueError("line %d: %s needs a compromise time" % (no, parts[1]))
                invalidity = rfc3339(parts[2])
        if not serial or any(c not in "0123456789abcdefABCDEF" for c in serial):
            raise ValueError("line %d: bad serial %r" % (no, serial))
        row = [issuer, serial.upper(), reason, when] + ([invalidity] if invalidity else [])
        out.write("\t".join(row) + "\n")
        n += 1
    return n


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: index2tsv.py ISSUER_NAME index.txt > revocations.tsv\n")
        return 2
    try:
        with open(sys.argv[2]) as f:
            sys.stdout.write("# from %s: issuer\tserial\treason\trevocation time\t[invalidity date]\n" % sys.argv[2])
            n = convert(sys.argv[1], f, sys.stdout, sys.stderr)
    except (OSError, ValueError) as e:
        sys.stderr.write("index2tsv: %s\n" % e)
        return 1
    sys.stderr.write("index2tsv: %d revocations\n" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
