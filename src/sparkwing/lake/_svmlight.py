"""SVMLight / LibSVM lines in plain Python: ``<label> [qid:n] <index>:<value> ... [# comment]``.

>>> parse_svmlight_line("1 3:1 10:0.5 # note")
(1.0, {3: 1.0, 10: 0.5})
"""

from __future__ import annotations


def parse_svmlight_line(line: str) -> tuple[float, dict[int, float]] | None:
    """Label and sparse features of one line; None for a blank or comment line.

    Raises ValueError whose message is the quarantine reason.
    """
    text = line.split("#", 1)[0].strip()
    if not text:
        return None
    tokens = text.split()
    try:
        label = float(tokens[0])
    except ValueError:
        raise ValueError(f"label is not a number (got {tokens[0][:40]!r})") from None
    features: dict[int, float] = {}
    for token in tokens[1:]:
        index, sep, value = token.partition(":")
        if not sep:
            raise ValueError(f"feature is not index:value (got {token[:40]!r})")
        if index == "qid":
            continue
        if not index.isdigit():
            raise ValueError(f"feature index is not a non-negative integer (got {index[:40]!r})")
        if int(index) in features:
            raise ValueError(f"feature index repeated (got {index})")
        try:
            features[int(index)] = float(value)
        except ValueError:
            raise ValueError(f"feature value is not a number (got {index}:{value[:40]})") from None
    return label, features
