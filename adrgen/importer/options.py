"""Considered options, arguments, estimates and the outcome, as the sources state them.

Options come from a list (``* Option``, ``**Name**: description``, ``[Name](url)``), a
table (a row per option; an Effort or Complexity column gives estimates), ``**Option 1:**``
paragraphs, or headings ("### Token bucket in Redis"). Pros and cons are the "Good,
because" / "Bad, because" arguments (and French), or lists under "Pros" / "Cons", kept
as written (case, spacing, code). The chosen option is the one whose name "Chosen option:"
gives (quoted, bold, in backticks, on the next line), else the one option the Decision's
first sentence names (by all its words, or "option 2"), else one marked "[SELECTED]". A
choice that is not one option's name ("ttyd and Kubernetes Service", "ttyd behind a proxy")
is never cut to one option: no option is chosen, the outcome is kept as written in the
decision, with the options it names linked to their sections (``#option-<id>``), and the
report says so. An estimate is kept only when the source states one for the option.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from adrgen.authoring import slugify
from adrgen.importer.draft import META_LINE, DocumentReader, OptionDraft, clean_markdown
from adrgen.importer.read import Block, Item, Line, Section, inline_text, parse_inline
from adrgen.importer.sections import SectionTable, normalise
from adrgen.records.quantities import TimeEstimate

__all__ = [
    "OptionsReader",
    "link_option_names",
    "match_option",
    "option_id",
    "option_name",
    "options_in_sentence",
    "options_named",
]

_ESTIMATE_KEYS = ("effort", "estimate", "estimated effort", "time", "time estimate", "duration")
_COMPLEXITY_KEYS = ("complexity",)
_COMPLEXITY = {"low": "low", "medium": "medium", "high": "high"}


def _key(text: str) -> str:
    """A name as names are compared: plain, no case, accents, quotes or "Option 2:".

    Names are compared again and again (every option with every heading): remembered,
    unless long (a long one is rare, and would be kept alive by the cache)."""
    return _remembered_key(text) if len(text) <= _REMEMBERED else _compute_key(text)


#: Names up to this long have their key and words remembered.
_REMEMBERED = 500


def _compute_key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _KEY_QUOTES.sub("", text)
    text = _KEY_LABEL.sub("", text)
    text = _KEY_NUMBER.sub("", text)
    return _SPACES.sub(" ", text).strip(" .:;,!?")


_remembered_key = functools.lru_cache(maxsize=16384)(_compute_key)
_KEY_QUOTES = re.compile(r"[\"'`*_“”‘’«»\\]")
#: "Option 2: ", "Alternative B) ": every part after "option" starts with a character no
#: part before it can match, so a run of blanks is read once, not once per way to split it.
_KEY_LABEL = re.compile(r"^\s*(?:option|alternative)\s*(?:\w{1,3}\s*)?[:.)-]\s*")
_KEY_NUMBER = re.compile(r"^\s*(?:\d+|[a-z])[.)]\s+")
_SPACES = re.compile(r"\s+")


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "for",
        "to",
        "and",
        "or",
        "with",
        "we",
        "will",
        "use",
        "using",
        "our",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "by",
        "as",
        "at",
        "from",
        "into",
        "un",
        "une",
        "le",
        "la",
        "les",
        "des",
        "de",
        "du",
        "et",
        "ou",
        "avec",
        "pour",
        "en",
        "sur",
    ]
)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(_key(text)) if w not in _STOP and len(w) > 1]


_WORD = re.compile(r"[\w.+#-]+")


def _word_set(text: str) -> frozenset[str]:
    return _remembered_words(text) if len(text) <= _REMEMBERED else frozenset(_words(text))


@functools.lru_cache(maxsize=16384)
def _remembered_words(text: str) -> frozenset[str]:
    return frozenset(_words(text))


def match_option(name: str, options: Sequence[OptionDraft]) -> int | None:
    """The option a name refers to: exactly, by prefix, as the only substring, by words."""
    wanted = _key(name)
    if not wanted:
        return None
    keys = [_key(o.name) for o in options]
    tests: tuple[Callable[[str], bool], ...] = (
        lambda k: k == wanted,
        lambda k: k.startswith(wanted) or wanted.startswith(k),
        lambda k: wanted in k or k in wanted,
    )
    for test in tests:
        hits = [i for i, k in enumerate(keys) if k and test(k)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            exact = [i for i in hits if keys[i] == wanted]
            return exact[0] if len(exact) == 1 else None
    wanted_words = _word_set(name)
    # "Rely on upstream" for "Rely on whatever mechanism upstream proposes": the one option
    # that has every word the name has (or whose words the name has, all of them).
    covering: tuple[Callable[[frozenset[str]], bool], ...] = (
        lambda words: bool(wanted_words) and wanted_words <= words,
        lambda words: bool(words) and words <= wanted_words,
    )
    for covers in covering:
        hits = [i for i, o in enumerate(options) if covers(_word_set(o.name))]
        if len(hits) == 1:
            return hits[0]
    scores = []
    for i, option in enumerate(options):
        words = _word_set(option.name)
        if words and wanted_words:
            scores.append((len(words & wanted_words) / len(words | wanted_words), i))
    scores.sort(reverse=True)
    if scores and scores[0][0] >= 0.6 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return scores[0][1]
    return None


def options_in_sentence(sentence: str, options: Sequence[OptionDraft]) -> list[int]:
    """The options a decision's first sentence names, each by all of its words, in the
    order the sentence names them; an option whose words are all another named option's
    ("Redis" beside "Redis Cluster") is that other one."""
    first: dict[str, int] = {}
    for position, word in enumerate(_words(sentence)):
        first.setdefault(word, position)
    found: list[tuple[int, int, frozenset[str]]] = []
    for i, option in enumerate(options):
        words = frozenset(_words(option.name))
        if words and all(w in first for w in words):
            found.append((min(first[w] for w in words), i, words))
    named = [
        (at, i)
        for at, i, words in found
        if not any(words < other for _, j, other in found if j != i)
    ]
    return [i for _, i in sorted(named)]


#: A phrase longer than this is compared with the options' names only as a whole.
_NAMED_TEXT = 2_000


def options_named(text: str, options: Sequence[OptionDraft]) -> list[int]:
    """The options whose names a phrase contains (as whole words, compared as names are),
    in the order the phrase names them; a name inside a longer named one ("Redis" in
    "Redis Cluster") is not named on its own."""
    hay = _key(text)
    if not hay or len(hay) > _NAMED_TEXT or len(options) * len(hay) > MATCH_BUDGET * 10:
        return []
    order = sorted(range(len(options)), key=lambda i: -len(_key(options[i].name)))
    spans: list[tuple[int, int]] = []
    named: list[tuple[int, int]] = []
    for i in order:
        name = _key(options[i].name)
        if not name:
            continue
        at = hay.find(name)
        while at >= 0:
            end = at + len(name)
            if (
                _edge(hay, at)
                and _edge(hay, end)
                and not any(s <= at and end <= e for s, e in spans)
            ):
                spans.append((at, end))
                named.append((at, i))
                break
            at = hay.find(name, at + 1)
    return [i for _, i in sorted(named)]


def _edge(text: str, index: int) -> bool:
    """Whether a name may start or end at ``index``: not inside a word."""
    return not (0 < index < len(text) and _is_word(text[index - 1]) and _is_word(text[index]))


def link_option_names(text: str, options: Sequence[OptionDraft]) -> str:
    """``text`` (Markdown, as written) with the first mention of each option's name made a
    link to the option's section (``[ttyd](#option-ttyd)``); a name not found as written,
    or only inside code, a link or another name, stays as it is."""
    code, taken = _protected(text)
    edits: list[tuple[int, int, str]] = []
    for option in sorted(options, key=lambda o: -len(o.name)):
        pattern = _name_pattern(option.name)
        if pattern is None:
            continue
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken) or any(
                s < end and start < e and not (start <= s and e <= end) for s, e in code
            ):
                continue  # inside a link or a name linked already; inside code
            edits.append((start, end, f"[{match[0]}](#option-{option.id})"))
            taken.append((start, end))
            break
    for start, end, link in sorted(edits, reverse=True):
        text = text[:start] + link + text[end:]
    return text


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """An option's name as it may stand in running text: any case, any blanks between its
    words, not inside a word."""
    words = name.split()
    if not words:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    before = r"(?<![\w])" if _is_word(name[0]) else ""
    after = r"(?![\w])" if _is_word(name[-1]) else ""
    return re.compile(before + body + after, re.IGNORECASE)


#: Code spans, and links (inline, reference or automatic) in Markdown: no option name is
#: linked inside them (a name written as code is linked whole).
_CODE_SPAN = re.compile(r"(?P<ticks>`+)[^`].*?(?P=ticks)", re.DOTALL)
_LINKED = re.compile(r"!?\[[^\[\]\n]*\](?:\([^()\n]*\)|\[[^\[\]\n]*\])|<[a-zA-Z][^<>\s]*>")


def _protected(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    code = [m.span() for m in _CODE_SPAN.finditer(text)]
    links = [
        m.span() for m in _LINKED.finditer(text) if not any(s <= m.start() < e for s, e in code)
    ]
    return code, links


def option_id(name: str, taken: set[str], suffixes: dict[str, int] | None = None) -> str:
    """A valid, unique option id from its name: ``Use PostgreSQL`` → ``use_postgresql``,
    then ``use_postgresql_2``…; ``suffixes`` (shared across the calls for one record)
    remembers where each name's count stands, so a thousand options of one name do not
    each try every suffix before theirs."""
    base = slugify(name, limit=40).replace("-", "_")
    if base == "decision" and not re.search(r"decision", name, re.IGNORECASE):
        base = "option"
    if not base[0].isalpha():
        base = f"option_{base}"
    suffixes = {} if suffixes is None else suffixes
    n = suffixes.get(base, 2)
    candidate = base if n == 2 else f"{base}_{n}"
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    suffixes[base] = n
    taken.add(candidate)
    return candidate


#: How many option comparisons a document's names get (see :attr:`OptionsReader.match_budget`):
#: a record with 30 options and 100 headings uses 3,000.
MATCH_BUDGET = 200_000


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _boundary(text: str, index: int) -> bool:
    """Whether ``\\b`` matches at ``index`` of ``text``."""
    before = index > 0 and _is_word(text[index - 1])
    after = index < len(text) and _is_word(text[index])
    return before != after


@dataclass
class OptionsReader(DocumentReader):
    """Reads the options, the outcome and the consequences of a document."""

    option_sections: list[Section] = field(default_factory=list)
    pros_cons: list[Section] = field(default_factory=list)
    decisions: list[tuple[Section, str]] = field(default_factory=list)
    consequences: list[Section] = field(default_factory=list)
    unknown: list[Section] = field(default_factory=list)
    #: Text kept in the decision (as written) and the options it names, to be linked once
    #: the options have their ids (:meth:`link_decision_options`).
    decision_links: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    #: Comparisons of a name with every option (:func:`match_option`) cost one per option;
    #: a document gets this many. Then names are matched exactly only, through an index, so
    #: that thousands of options and headings do not compare each with each.
    match_budget: int = MATCH_BUDGET
    _exact: dict[str, list[int]] = field(default_factory=dict)
    _exact_count: int = 0

    def _match(self, name: str, line: int = 0) -> int | None:
        """The option ``name`` refers to (:func:`match_option`, within the budget)."""
        options = self.draft.options
        if not options:
            return None
        if self.match_budget >= len(options):
            self.match_budget -= len(options)
            return match_option(name, options)
        if self.match_budget >= 0:
            self.match_budget = -1
            self.draft.note(
                line,
                "options",
                f"{len(options)} options, and more names to match against them than are "
                "compared one by one: from here on, a name matches an option only when it is "
                "the option's name",
            )
        for i in range(self._exact_count, len(options)):
            self._exact.setdefault(_key(options[i].name), []).append(i)
        self._exact_count = len(options)
        wanted = _key(name)
        hits = self._exact.get(wanted, []) if wanted else []
        return hits[0] if len(hits) == 1 else None

    def _rename(self, index: int, name: str) -> None:
        option = self.draft.options[index]
        if index < self._exact_count:
            self._exact[_key(option.name)].remove(index)
            self._exact.setdefault(_key(name), []).append(index)
            self._exact[_key(name)].sort()
        option.name = name

    def _insert_first(self, option: OptionDraft) -> None:
        self.draft.options.insert(0, option)
        self._exact, self._exact_count = {}, 0

    def _options(self) -> None:
        draft = self.draft
        for section in self.option_sections:
            self._options_section(section)
        for section in self.pros_cons:
            rest = [b for b in section.blocks if b.kind != "comment"]
            if rest:
                self._keep_section_blocks(section, rest, "text in '{t}' outside any option")
            for child in section.children:
                self._option_details_from(child, add=True)
        # MADR's own records head each option's pros and cons as an H2 after the "Pros and
        # Cons" section; a section named exactly like an option is that option's.
        unknown: list[Section] = []
        for section in self.unknown:
            index = self._match(section.heading.plain, section.line)
            if index is not None and _key(section.heading.plain) == _key(draft.options[index].name):
                self._details(draft.options[index], section.blocks, section.children)
            else:
                unknown.append(section)
        self.unknown[:] = unknown

    def _marked_choice(self) -> None:
        """An option marked "[SELECTED]" or "(chosen)" is the chosen one, if nothing else is."""
        draft = self.draft
        marked = [i for i, o in enumerate(draft.options) if o.marked]
        if draft.chosen is None and len(marked) == 1:
            draft.chosen = marked[0]
            draft.note(
                draft.options[marked[0]].line,
                "outcome.chosen",
                f"'{draft.options[marked[0]].name}' is marked as the selected option",
            )

    def _estimate_tables(self) -> None:
        """A table anywhere with a row per option and an Effort (or Complexity) column."""
        if not self.draft.options:
            return
        blocks = [b for s in self.doc.walk() for b in s.blocks] + list(self.doc.preamble)
        for block in blocks:
            if block.kind != "table" or len(block.header) < 2:
                continue
            names = [normalise(c.plain) for c in block.header]
            columns = [
                i for i, n in enumerate(names) if n in _ESTIMATE_KEYS or n in _COMPLEXITY_KEYS
            ]
            if not columns:
                continue
            for row in block.rows:
                if not row:
                    continue
                index = self._match(row[0].plain, row[0].number)
                if index is None:
                    continue
                for column in columns:
                    if column < len(row):
                        self._estimate(self.draft.options[index], names[column], row[column].plain)

    def _options_section(self, section: Section) -> None:
        draft = self.draft
        listed = False
        rest: list[Block] = []
        current: OptionDraft | None = None
        for block in section.blocks:
            if block.kind == "list" and not listed:
                listed = True
                for item in block.items:
                    name, marked = _unmark(option_name(item.line))
                    if not name:
                        continue
                    option = OptionDraft(name, item.start, marked=marked)
                    described = _item_markdown(item)
                    if _key(described) != _key(name):
                        option.summary.append(described)
                    self._details(option, [b for b in item.blocks], [], item_children=item.children)
                    draft.options.append(option)
            elif block.kind == "table" and not listed and block.rows:
                listed = True
                self._option_table(block)
            elif block.kind == "paragraph" and any(_bold_option(ln) for ln in block.lines):
                # "**Option 1:** Use X" lines, each followed by its details.
                listed = True
                before: list[str] = []
                for line in block.lines:
                    bold = _bold_option(line)
                    if bold is not None:
                        current = OptionDraft(*_unmark(bold)[:1], line.number)
                        current.marked = _unmark(bold)[1]
                        draft.options.append(current)
                    elif current is not None:
                        current.summary.append(line.raw)
                    else:
                        before.append(line.raw)
                if before:
                    draft.keep(
                        section.heading.plain,
                        "\n".join(before),
                        block.start,
                        block.start,
                        f"text in '{section.heading.plain}' beside the options",
                    )
            elif current is not None:
                self._details(current, [block], [])
            else:
                rest.append(block)
        for child in section.children:
            self._option_details_from(child, add=True)
        unclaimed = []
        for block in rest:
            # "Offset and limit is what most clients expect, …": a paragraph on one option.
            owner = self._paragraph_owner(block)
            if owner is not None:
                owner.summary.append(block.raw)
            else:
                unclaimed.append(block)
        if unclaimed:
            self._keep_section_blocks(section, unclaimed, "text in '{t}' beside the options")

    def _paragraph_owner(self, block: Block) -> OptionDraft | None:
        """The option a paragraph starts by naming (the longest name), within the budget:
        beyond it the paragraph is kept as the section's text."""
        options = self.draft.options
        if block.kind != "paragraph" or not options or self.match_budget < len(options):
            return None
        self.match_budget -= len(options)
        text = _key(block.plain)
        owners = [
            o
            for o in options
            if (key := _key(o.name)) and text.startswith(key) and _boundary(text, len(key))
        ]
        return max(owners, key=lambda o: len(o.name)) if owners else None

    def _option_table(self, block: Block) -> None:
        names = [normalise(c.plain) for c in block.header]
        for row in block.rows:
            if not row or not row[0].plain:
                continue
            option = OptionDraft(row[0].name, row[0].number)
            details = []
            for i, cell in enumerate(row[1:], start=1):
                header = block.header[i].plain if i < len(block.header) else ""
                if not self._estimate(option, names[i] if i < len(names) else "", cell.plain):
                    details.append(f"- {header}: {cell.raw}" if header else f"- {cell.raw}")
            if details:
                option.summary.append("\n".join(details))
            self.draft.options.append(option)

    def _option_details_from(self, section: Section, *, add: bool) -> None:
        draft = self.draft
        index = self._match(section.heading.plain, section.line)
        if index is None:
            if not add:
                return
            draft.options.append(OptionDraft(section.heading.name, section.line))
            index = len(draft.options) - 1
        option = draft.options[index]
        heading = section.heading.name
        if _key(option.name) != _key(heading) and _key(option.name).startswith(_key(heading)):
            self._rename(index, heading)  # "Title - description" listed, "### Title" headed
        self._details(option, section.blocks, section.children)

    def _details(
        self,
        option: OptionDraft,
        blocks: Sequence[Block],
        children: Sequence[Section],
        *,
        item_children: Sequence[Item] = (),
    ) -> None:
        """An option's arguments, estimates and description, from its blocks."""
        mode: str | None = None
        for item in item_children:
            self._argument_item(option, item, mode)
        for block in blocks:
            if block.kind == "paragraph":
                text: list[str] = []
                for line in block.lines:
                    label = self._argument_label(line.plain)
                    found = _argument(_inline_as_written(line.tokens).strip(), self.table)
                    if label is not None and not found:
                        mode = label
                        continue
                    if found is not None:
                        self._add_argument(option, found[0], found[1], line.raw)
                        continue
                    meta = META_LINE.match(line.raw)
                    if meta and self._estimate(
                        option, normalise(meta["bkey"] or meta["key"] or ""), meta["value"]
                    ):
                        continue
                    text.append(line.raw)
                if text:
                    option.summary.append("\n".join(text))
            elif block.kind == "list":
                plain_items = []
                for item in block.items:
                    if not self._argument_item(option, item, mode):
                        plain_items.append(item.raw)
                if plain_items:
                    option.summary.append("\n".join(plain_items))
                mode = None
            elif block.kind == "html":
                label = self._argument_label(summary) if (summary := _summary(block.raw)) else None
                if label is not None:
                    mode = label
                elif not re.fullmatch(r"\s*</?details[^>]*>\s*", block.raw):
                    option.summary.append(block.raw)
            elif block.kind == "table":
                self._argument_table(option, block)
            elif block.kind != "comment":
                option.summary.append(block.raw)
        for child in children:
            label = self._argument_label(child.heading.plain)
            if label is not None:
                before = len(option.summary)
                self._details_mode(option, child, label)
                if len(option.summary) == before:
                    continue
            else:
                inner = OptionDraft(option.name, option.line)
                self._details(inner, child.blocks, child.children)
                option.pros += inner.pros
                option.cons += inner.cons
                option.risks += inner.risks
                option.complexity = option.complexity or inner.complexity
                option.time = option.time or inner.time
                if inner.summary:
                    option.summary.append(
                        "#### " + child.heading.raw.strip() + "\n\n" + "\n\n".join(inner.summary)
                    )

    def _details_mode(self, option: OptionDraft, section: Section, mode: str) -> None:
        for block in section.blocks:
            if block.kind == "list":
                for item in block.items:
                    self._argument_item(option, item, mode)
            elif block.kind != "comment":
                option.summary.append(block.raw)

    def _argument_label(self, text: str) -> str | None:
        """ "Pros:", "**Cons**", "➕ Pros", "Risks": what the list below it holds."""
        key = normalise(text)
        if key in ("risks", "risk", "risques"):
            return "risks"
        for kind in ("good", "bad"):
            if key in self.table.names(kind) or key in _LABELS[kind]:
                return kind
        return None

    def _argument_item(self, option: OptionDraft, item: Item, mode: str | None) -> bool:
        text = item_text(item, children=False)
        found = _argument(text, self.table)
        if found is None and mode is None:
            label = self._argument_label(item.line.plain)
            if label is not None and item.children:
                for child in item.children:
                    self._argument_item(option, child, label)
                return True
            return False
        kind, said = found if found is not None else (mode or "neutral", text)
        if item.children:
            said = "; ".join([said, *(item_text(c) for c in item.children)])
        self._add_argument(option, kind, said, item.raw)
        return True

    def _add_argument(self, option: OptionDraft, kind: str, text: str, raw: str) -> None:
        text = text.strip()
        if not text or text in ("…", "..."):
            return
        if kind == "good":
            option.pros.append(text)
        elif kind == "bad":
            option.cons.append(text)
        elif kind == "risks":
            option.risks.append(text)
        else:  # options have no neutral list: the argument stays in the description
            option.summary.append(raw if raw.lstrip().startswith(("-", "*", "+")) else f"- {raw}")

    def _argument_table(self, option: OptionDraft, block: Block) -> None:
        kinds = [self._argument_label(c.plain) for c in block.header]
        if not any(kinds):
            option.summary.append(block.raw)
            return
        for row in block.rows:
            for kind, cell in zip(kinds, row, strict=False):
                if kind is not None and cell.plain:
                    self._add_argument(
                        option, kind, _inline_as_written(cell.tokens).strip(), cell.raw
                    )

    def _estimate(self, option: OptionDraft, key: str, value: str) -> bool:
        """An effort or complexity the source states for this option: kept when it fits."""
        value = value.strip().strip("*_ ")
        if key in _COMPLEXITY_KEYS and value.casefold() in _COMPLEXITY:
            option.complexity = _COMPLEXITY[value.casefold()]
            return True
        if key in _ESTIMATE_KEYS:
            try:
                TimeEstimate.parse(value)
            except (ValueError, TypeError):
                return False
            option.time = value
            return True
        return False

    def _outcome(self) -> None:
        draft = self.draft
        if not self.decisions:
            return
        section, suffix = self.decisions[0]
        blocks = [b for b in section.blocks if b.kind != "comment"]
        if suffix and draft.options:
            # "## Proposal: fixed-window counters" over "## Alternatives": the proposal is an
            # option too, and the one the record puts forward. A heading that names options
            # without being one of them ("Decision: X and Y") is kept as written.
            index = self._exact_option(suffix)
            named = [] if index is not None else options_named(suffix, draft.options)
            if named:
                self._not_one_option(section.line, f"the heading {suffix!r}", named)
                body = self.markdown(blocks, self._outcome_children(section))
                draft.decision = clean_markdown(suffix + "\n\n" + body)
                self.decision_links.append((suffix, tuple(named)))
                return
            if index is None:
                self._insert_first(OptionDraft(suffix, section.line))
                index = 0
            draft.chosen = index
            draft.decision = self.markdown(blocks, self._outcome_children(section))
            return
        chosen_at = None
        found: tuple[str, str, int, int] | None = None
        for position, block in enumerate(blocks):
            found = self._chosen_line(_first_lines(block), position, blocks)
            if found is not None:
                chosen_at = position
                break
        children = self._outcome_children(section)
        if chosen_at is not None and found is not None:
            name, tail, used, lines_used = found
            index = self._exact_option(name)
            if index is not None:
                draft.chosen = index
                rest = [b for i, b in enumerate(blocks) if not chosen_at <= i < chosen_at + used]
                first = blocks[chosen_at]
                extra = (
                    [ln.raw for ln in first.lines[lines_used:]]
                    if first.kind == "paragraph" and used == 1
                    else []
                )
                rationale = clean_markdown("\n".join([tail, *extra]))
                if rationale:
                    draft.rationale.append(self.with_references(rationale))
                text = self.markdown(rest, children)
                if text:
                    draft.rationale.append(text)
                return
            # A choice that is not one option's name is kept whole, as written: never cut
            # to the one option it starts with, never guessed at.
            named = options_named(name, draft.options) if draft.options else []
            if named:
                self._not_one_option(blocks[chosen_at].start, f"chosen option {name!r}", named)
            else:
                draft.note(
                    blocks[chosen_at].start,
                    "outcome.chosen",
                    f"chosen option {name!r} is not among the considered options; the outcome "
                    "is kept as written in outcome.decision",
                )
            draft.decision = self.markdown(blocks, children)
            for block in blocks[chosen_at : chosen_at + used]:
                self.decision_links.append((block.raw, tuple(named)))
            return
        if draft.options:
            first_text = next((b for b in blocks if b.kind in ("paragraph", "list")), None)
            if first_text is not None:
                sentence = (
                    first_text.plain
                    if first_text.kind == "paragraph"
                    else first_text.items[0].line.plain
                )
                sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", sentence)[0]
                index = _option_by_number(sentence, draft.options)
                named = []
                if index is None:
                    named = options_in_sentence(sentence, draft.options)
                    index = named[0] if len(named) == 1 else None
                if index is not None:
                    draft.chosen = index
                    draft.note(
                        first_text.start,
                        "outcome.chosen",
                        f"the decision names '{draft.options[index].name}'; read as the chosen option",
                    )
                elif len(named) > 1:
                    self._not_one_option(first_text.start, "the decision's first sentence", named)
                    self.decision_links.append((first_text.raw, tuple(named)))
        draft.decision = self.markdown(blocks, children)

    def _exact_option(self, name: str) -> int | None:
        """The one option whose name ``name`` is (compared as names are: no case, quotes,
        emphasis or "Option 2:" label), or ``None``."""
        wanted = _key(name)
        hits = [i for i, o in enumerate(self.draft.options) if wanted and _key(o.name) == wanted]
        return hits[0] if len(hits) == 1 else None

    def _not_one_option(self, line: int, what: str, named: Sequence[int]) -> None:
        names = ", ".join(repr(self.draft.options[i].name) for i in named)
        if len(named) > 1:
            said = f"{what} names {len(named)} options ({names}), not one"
        else:
            said = f"{what} names the option {names} and says more than its name"
        self.draft.note(
            line,
            "outcome.chosen",
            f"{said}: no option is read as chosen; the outcome is kept as written in "
            "outcome.decision, with the options it names linked",
        )

    def link_decision_options(self) -> None:
        """Write the options a kept choice names as links to their sections on the page
        (``#option-<id>``: the anchors the decision page gives options); the ids are final."""
        draft = self.draft
        for text, named in self.decision_links:
            at = draft.decision.find(text)
            if at < 0 or not named:
                continue
            linked = link_option_names(text, [draft.options[i] for i in named])
            draft.decision = draft.decision[:at] + linked + draft.decision[at + len(text) :]

    def _outcome_children(self, section: Section) -> list[Section]:
        """Sub-sections of the decision that are parts of their own (consequences…) are read
        as such; the rest stay with the decision."""
        rest = []
        for child in section.children:
            part = self._part(child)[0]
            if part in ("consequences", "good_consequences", "bad_consequences"):
                self.consequences.append(child)
            elif part == "confirmation":
                text = self.markdown(child.blocks, child.children)
                if text:
                    self.draft.confirmation.append(text)
            elif part in ("status", "date", "links"):
                self._section(child)
            else:
                rest.append(child)
        return rest

    def _chosen_line(
        self, lines: Sequence[str], position: int, blocks: Sequence[Block]
    ) -> tuple[str, str, int, int] | None:
        """``Chosen option: "X", because Y`` → (X, Y, blocks used, lines used of the first);
        None if the block does not open with such a line."""
        if not lines:
            return None
        text = lines[0].strip()
        pattern = self.table.phrase_pattern("chosen_option")
        after = re.match(
            r"^(?P<name>\"[^\"]+\"|“[^”]+”|«[^»]+»|\*\*[^*]+\*\*|`[^`]+`)\s+(?:is|was|est)\s+(?:the\s+|l'option\s+)?(?:chosen|choisie?|retenue?)(?:\s+option)?\b(?P<rest>.*)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if after:
            return _unquote(after["name"]), _because(after["rest"]), 1, 1
        match = re.match(
            rf"^(?:\*\*|__)?(?:{pattern})(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*:?\s*(?P<rest>.*)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if match is None:
            return None
        rest = match["rest"].strip()
        used, lines_used = 1, 1
        if not rest and len(lines) > 1:
            # "Chosen option:" alone on its line, the option on the next ones.
            rest, lines_used = " ".join(line.strip() for line in lines[1:]), len(lines)
        elif not rest and position + 1 < len(blocks):
            following = blocks[position + 1]
            if following.kind == "list" and len(following.items) > 1:
                return None  # "Chosen options:" over a list: more than one
            nxt = _first_lines(following)
            if nxt:
                rest, used = " ".join(line.strip() for line in nxt), 2
        if not rest:
            return None
        name, tail = _split_chosen(rest)
        plain = plain_text(name)
        return (plain, tail, used, lines_used) if plain else None

    def _consequences(self, section: Section) -> None:
        draft = self.draft
        part = self._part(section)[0]
        default = {"good_consequences": "good", "bad_consequences": "bad"}.get(part or "")
        notes: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                marked = [
                    (item, _argument(item_text(item, children=False), self.table))
                    for item in block.items
                ]
                if default is None and not any(a for _, a in marked):
                    notes.append(block)
                    continue
                unmarked = []
                for item, argument in marked:
                    if argument is None and default is None:
                        unmarked.append(item.raw)
                        continue
                    kind, text = (
                        argument
                        if argument is not None
                        else (default or "neutral", item_text(item, children=False))
                    )
                    if item.children:
                        text = "; ".join([text, *(item_text(c) for c in item.children)])
                    {"good": draft.good, "bad": draft.bad}.get(kind, draft.neutral).append(text)
                if unmarked:
                    draft.consequence_notes.append("\n".join(unmarked))
            elif block.kind != "comment":
                notes.append(block)
        children = []
        for child in section.children:
            if self._part(child)[0] in ("consequences", "good_consequences", "bad_consequences"):
                self._consequences(child)
            else:
                children.append(child)
        text = self.markdown(notes, children)
        if text:
            draft.consequence_notes.append(text)


_LABELS = {
    "good": (
        "advantages",
        "benefits",
        "strengths",
        "upsides",
        "pour",
        "avantages",
        "vorteile",
        "voordelen",
    ),
    "bad": (
        "disadvantages",
        "drawbacks",
        "weaknesses",
        "downsides",
        "contre",
        "inconvenients",
        "nachteile",
        "nadelen",
    ),
}


def _argument(text: str, table: SectionTable) -> tuple[str, str] | None:
    """``Good, because X`` → ("good", "X"); also Bad/Neutral, ``Pro:``/``Con:`` and French."""
    for kind in ("good", "bad", "neutral"):
        words = table.phrase_pattern(kind)
        # After the word, the blanks are read once: "Good, because", "Good because", "Good:".
        match = re.match(
            rf"^\s*(?:\*\*|__)?(?:{words})(?:\*\*|__)?\s*(?:,\s*(?:because|parce que|parce qu'|car)\b|(?<=\s)(?:because|parce que|parce qu'|car)\b|:)(?:\*\*|__)?\s*(?P<text>.+)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if match and match["text"].strip():
            return kind, match["text"].strip()
    return None


def item_text(item: Item, *, children: bool = True) -> str:
    """A list item as one line of text, as written: code spans keep their backticks, a link
    keeps its URL after its text when the URL says more (``text (url)``), emphasis and HTML
    tags go and line breaks are spaces; case and spacing stay the source's."""
    text = _inline_as_written(item.line.tokens).strip()
    if children and item.children:
        text = "; ".join([text, *(item_text(c) for c in item.children)])
    return text


def _inline_as_written(tokens: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # each open link's href, and where its text starts
    for token in tokens:
        if token.type == "text":
            out.append(token.content)
        elif token.type == "code_inline":
            out.append(f"{token.markup}{token.content}{token.markup}")
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "image":
            out.append(token.content)
        elif token.type == "link_open":
            links.append((str(token.attrs.get("href", "")), len(out)))
        elif token.type == "link_close" and links:
            href, start = links.pop()
            if href and href != "".join(out[start:]) and not href.startswith("#"):
                out.append(f" ({href})")
    return "".join(out)


def _item_markdown(item: Item) -> str:
    """A list item's Markdown without its bullet, dedented."""
    lines = item.raw.split("\n")
    first = re.sub(r"^\s*(?:[*+-]|\d{1,9}[.)])\s?", "", lines[0])
    rest = lines[1:]
    indent = min((len(ln) - len(ln.lstrip()) for ln in rest if ln.strip()), default=0)
    return clean_markdown("\n".join([first, *(ln[indent:] for ln in rest)]))


_MARK = re.compile(r"[\[(](?:selected|chosen|choisie?|retenue?)(?:\s+option)?[\])]", re.IGNORECASE)


def _unmark(name: str) -> tuple[str, bool]:
    """``"[SELECTED] Option 1: X"`` → ``("Option 1: X", True)``.

    The mark becomes a space; the blanks around it go with the others when the name's
    blanks are made single spaces.
    """
    return " ".join(_MARK.sub(" ", name).split()), _MARK.search(name) is not None


def _bold_option(line: Line) -> str | None:
    """A line that opens with ``**Option 1:**`` names an option: the whole line."""
    if _BOLD_OPTION.match(line.raw):
        return line.name
    return None


#: ``**Option 1:**``: each part after "option" starts with a character the part before it
#: cannot take, so a run of spaces is not split every possible way between them.
_BOLD_OPTION = re.compile(
    r"^\s*(?:\*\*|__)(?:\[\w+\]\s*)?(?:option|alternative)\s*(?:\w{1,3}\s*)?(?:[:.)-]\s*)?(?:\*\*|__)",
    re.IGNORECASE,
)


def _option_by_number(sentence: str, options: Sequence[OptionDraft]) -> int | None:
    """ "We decided to go with option 2": the second option (or the one named "Option 2")."""
    found = {int(n) for n in re.findall(r"\boption\s*#?(\d{1,2})\b", sentence, re.IGNORECASE)}
    if len(found) != 1:
        return None
    (number,) = found
    named = [
        i
        for i, o in enumerate(options)
        if re.match(rf"^option\s*{number}\b", plain_text(o.name), re.IGNORECASE)
    ]
    if len(named) == 1:
        return named[0]
    if not any(re.match(r"^option\s*\d", plain_text(o.name), re.IGNORECASE) for o in options):
        return number - 1 if 1 <= number <= len(options) else None
    return None


def option_name(line: Line) -> str:
    """The name an option's list entry gives it.

    ``**LaunchDarkly**: hosted, …`` → ``LaunchDarkly``; ``[Rancher](…)`` → ``Rancher``;
    ``Offset and limit: `?offset=200```. → ``Offset and limit``; ``Version in the URL path``
    stays whole; code spans keep their backticks.
    """
    tokens = list(line.tokens)
    if tokens and tokens[0].type == "text" and not tokens[0].content.strip():
        tokens = tokens[1:]
    if tokens and tokens[0].type == "strong_open":
        close = next((i for i, t in enumerate(tokens) if t.type == "strong_close"), None)
        if close is not None:
            bold = inline_text(tokens[1:close], code=True).strip().rstrip(":").strip()
            if bold and not re.match(
                r"^(?:option|alternative)\s*(?:\w{1,3}\s*)?[:.)-]?$", bold, re.IGNORECASE
            ):
                return bold
    if tokens and tokens[0].type == "link_open":
        close = next((i for i, t in enumerate(tokens) if t.type == "link_close"), None)
        if close is not None:
            label = inline_text(tokens[1:close], code=True)
            after = inline_text(tokens[close + 1 :], code=True)
            if label and (not after or re.match(r"^\s*(?:[,:;(]|[-–—]\s)", after)):
                return label
    name = line.name
    cut = re.match(r"^(?P<head>.{1,80}?)(?:\s[-–—]\s|:\s)", name)
    if (
        cut
        and not re.match(r"^(?:option|alternative)\s*\w{0,3}$", cut["head"], re.IGNORECASE)
        and len(cut["head"].split()) <= 10
        and cut["head"].count("(") == cut["head"].count(")")
        and cut["head"].count("`") % 2 == 0
    ):
        return cut["head"].strip()
    if len(name) > 120:
        name = re.split(r"(?<=[.!?])\s+(?=[A-Z])", name)[0]
    return name.strip()


def plain_text(markdown: str) -> str:
    return inline_text(parse_inline(markdown), code=False).strip()


def _first_lines(block: Block) -> list[str]:
    """A paragraph's lines, or a list's first item, as written."""
    if block.kind == "paragraph":
        return [line.raw for line in block.lines]
    if block.kind == "list" and block.items:
        return [block.items[0].line.raw]
    return []


def _unquote(name: str) -> str:
    name = name.strip()
    for opening, closing in (
        ('"', '"'),
        ("“", "”"),
        ("«", "»"),
        ("**", "**"),
        ("`", "`"),
        ("'", "'"),
        ("__", "__"),
    ):
        if (
            name.startswith(opening)
            and name.endswith(closing)
            and len(name) > len(opening) + len(closing)
        ):
            return name[len(opening) : -len(closing)].strip()
    return name


def _because(text: str) -> str:
    return re.sub(
        r"^[\s,.;:]*(?:because|parce que|parce qu'|car)?\b\s*:?\s*", "", text, flags=re.IGNORECASE
    ).strip()


def _split_chosen(rest: str) -> tuple[str, str]:
    """The chosen option's name and the justification after it."""
    quotes = {'"': '"', "“": "”", "«": "»", "'": "'", "`": "`"}
    for opening in ("**", "__"):
        if rest.startswith(opening):
            end = rest.find(opening, len(opening))
            if end > 0:
                return rest[len(opening) : end].strip(), _because(rest[end + len(opening) :])
    if rest[:1] in quotes:
        closing = quotes[rest[0]]
        end = rest.find(closing, 1)
        while end > 0:
            # What follows this quote, read in place (not copied for every quote).
            if _AFTER_QUOTE.match(rest, end + 1):
                return rest[1:end].strip(), _because(rest[end + 1 :])
            end = rest.find(closing, end + 1)
    parts = re.split(
        r",?\s+(?:because|parce que|parce qu'|car)\b", rest, maxsplit=1, flags=re.IGNORECASE
    )
    if len(parts) == 2:
        return parts[0].strip().rstrip(",").strip(), parts[1].strip(" ,:")
    name, _, tail = rest.partition(", ")
    return name.strip().rstrip("."), tail.strip()


_SUMMARY_OPEN = re.compile(r"<summary>", re.IGNORECASE)
_SUMMARY_CLOSE = re.compile(r"</summary>", re.IGNORECASE)


def _summary(html: str) -> str | None:
    """The text of the first ``<summary>…</summary>`` (one scan for each tag: a lazy
    ``<summary>(.*?)</summary>`` scans to the end from every unclosed ``<summary>``)."""
    opened = _SUMMARY_OPEN.search(html)
    if opened is None:
        return None
    closed = _SUMMARY_CLOSE.search(html, opened.end())
    return html[opened.end() : closed.start()] if closed else None


_AFTER_QUOTE = re.compile(r"\s*(?:$|[,.;:]|because\b|car\b|parce\b|\()", re.IGNORECASE)
