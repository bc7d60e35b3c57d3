#!/usr/bin/env python3
"""Verifies a cryptometrics webhook, as a receiver would: the Standard Webhooks scheme with
nothing but Python's standard library.

    verify.py SECRET < request.txt

where request.txt holds the three headers, one per line (webhook-id: ..., webhook-timestamp: ...,
webhook-signature: ...), an empty line, then the raw body exactly as received. Prints "valid" and
exits 0, or prints why not and exits 1. In a web framework, pass the same four things to verify().
"""
import base64
import hashlib
import hmac
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def verify(secret, webhook_id, timestamp, body, signature_header, now=None):
    """True when one of the header's signatures is valid for this id, timestamp and raw body."""
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False  # too old or too new: a replay, or a clock far off
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signature_header.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


def main():
    secret = sys.argv[1]
    raw = sys.stdin.buffer.read()
    head, _, body = raw.partition(b"\n\n")
    headers = dict(line.decode().split(": ", 1) for line in head.split(b"\n"))
    if verify(secret, headers["webhook-id"], headers["webhook-timestamp"], body, headers["webhook-signature"]):
        print("valid")
        return 0
    print("invalid signature, or a timestamp more than 5 minutes from now")
    return 1


if __name__ == "__main__":
    sys.exit(main())
