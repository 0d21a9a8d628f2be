"""Text from files made safe for where rflow prints it: a terminal, Markdown, XML (pure).

Titles, YAML keys, problem lines and run details come from files anyone on the team can
push. Printed raw, an escape sequence clears the screen, U+202E reverses what the reviewer
reads, and a newline forges a line such as `rflow check passed`; in the merge-request note,
HTML, `@all`, remote images and `</details>` would be rendered by GitLab; in JUnit, one
control character makes the XML unreadable and GitLab drops the report. Each function
here keeps the text readable and shows what was escaped (`\\x1b`, `\\u202e`, `\\n`). JSON
output needs none of this and stays exact.
"""

from __future__ import annotations

import functools
import re

# Bidirectional formatting characters (Trojan Source), line/paragraph separators, BOM
_INVISIBLE = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff"
# C0 and C1 controls and DEL, plus the invisible ones above. The patterns stay text, compiled
# by `re` on first use: the pre-commit hook prints nothing for a valid plan and should not
# pay for compiling them at import.
_UNSAFE = f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]"
_UNSAFE_KEEP_LINES = f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# ANSI colour (SGR) sequences, as notebook tracebacks and Quarto print them: dropped
_COLOUR = r"\x1b\[[0-9;]*m"
# Characters XML 1.0 does not allow at all (not even as character references). Compiled on
# first use: the negated astral class costs ~10 ms to compile, paid by every command that
# imports this module (the pre-commit hook included), though only the JUnit report needs it.
_NOT_XML_PATTERN = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


@functools.cache
def _not_xml() -> re.Pattern[str]:
    return re.compile(_NOT_XML_PATTERN)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line for a terminal: colour codes dropped; other controls, newlines and bidi
    overrides shown escaped."""
    if text.isprintable():  # nothing to escape: every character above is not printable
        return text
    return re.sub(_UNSAFE, _visible, re.sub(_COLOUR, "", text))


def terminal_block(text: str) -> str:
    """Several lines for a terminal: newlines and tabs kept, colour codes dropped, every
    other control escaped."""
    if text.replace("\n", "").replace("\t", "").isprintable():
        return text
    return re.sub(_UNSAFE_KEEP_LINES, _visible, re.sub(_COLOUR, "", text))


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold: colour codes dropped; characters it forbids (most C0
    controls, lone surrogates, U+FFFE/U+FFFF) shown escaped. ElementTree escapes `<`, `&`
    and quotes itself."""
    return _not_xml().sub(_visible, re.sub(_COLOUR, "", text))


def markdown_code(text: str) -> str:
    """`text` as one inline code span: GitLab renders no HTML, links, images or
    mentions inside code, and newlines are shown escaped so the list item holds."""
    flat = terminal(text)
    longest = max((len(run) for run in re.findall("`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


# what can open an inline construct; none of rflow's inline places starts a line
_MARKDOWN_SPECIAL = r"([\\`*_{}\[\]()!|~])"


def markdown_text(text: str) -> str:
    """`text` as plain inline Markdown: HTML escaped, Markdown punctuation backslashed (no
    links, images or emphasis), and `@` followed by a word joiner so no one is mentioned."""
    flat = terminal(text)
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = re.sub(_MARKDOWN_SPECIAL, r"\\\1", flat)
    return flat.replace("@", "@\u2060")
