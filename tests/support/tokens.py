"""Tampering with signed tokens in a way that always changes what they say."""

from __future__ import annotations


def tampered(token: str) -> str:
    """The token with one character of its signature changed.

    The last base64 character of a signature may carry padding bits only, so
    changing it can leave the decoded signature as it was: the flip is made in
    the middle of the part after the last dot, where every bit counts.
    """
    head, _, signature = token.rpartition(".")
    position = len(signature) // 2
    swapped = "A" if signature[position] != "A" else "B"
    signature = signature[:position] + swapped + signature[position + 1 :]
    return f"{head}.{signature}" if head else signature
