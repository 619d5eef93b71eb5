"""The few DER reads the benchmark scripts need (no parser beyond what they walk)."""


def der_item(data, pos):
    """(tag, start of contents, end of contents) of the DER item at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length
