"""Reading the pages the tests get back, as a person (or a screen reader) would: parsed elements
and the text they show, never regular expressions over the markup.

Every function takes a response, a string of HTML or an element of a parsed page (`parse`), so
they combine: `rows_of(select_one(response, "table.counts-table"))`.

Built on the standard library's html.parser, with the small part of CSS selectors the tests use:
type, `.class`, `#id`, `[attr]`, `[attr="v"]`, `[attr^="v"]`, `[attr~="v"]`, the descendant
and child (`>`) combinators, and groups (`a, b`). (lxml is not used: installed beside openpyxl,
it would switch openpyxl's XML reading from defusedxml to lxml, so the tests would no longer
check the reader production runs.)
"""

import re
from html.parser import HTMLParser

# Elements that have no content and no end tag.
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# A start tag of the key closes an open element of these (the end tags HTML lets a page leave out).
CLOSES = {
    "li": {"li"},
    "option": {"option"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
}
# Elements that flow inside a line of text: their text joins their neighbours' without a space.
# Every other element (a cell, a paragraph, a list item, a heading, a <br>, an option …) stands
# apart, so its text is separated from its neighbours' by a space.
INLINE = frozenset(
    "a abbr b bdi bdo cite code data del dfn em i ins kbd label mark q s samp small span strong sub sup time u var"
    " wbr".split()
)
# Elements whose content is not shown as text.
NOT_SHOWN = frozenset(["script", "style", "template", "svg"])


class Element:
    """An element of a parsed page: its tag, attributes, and children (elements and text)."""

    def __init__(self, tag, attrs=(), parent=None):
        self.tag = tag
        self.attrs = {name: value if value is not None else "" for name, value in attrs}
        self.parent = parent
        self.children = []

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    @property
    def classes(self):
        return set(self.get("class", "").split())

    @property
    def elements(self):
        """The child elements (not the text between them)."""
        return [child for child in self.children if isinstance(child, Element)]

    def iter_descendants(self):
        for child in self.elements:
            yield child
            yield from child.iter_descendants()

    def following_siblings(self):
        siblings = self.parent.elements
        return siblings[siblings.index(self) + 1 :]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        closes = CLOSES.get(tag, ())
        if self.open[-1].tag in closes:
            self.open.pop()
            if self.open[-1].tag in closes:  # a cell, then its row
                self.open.pop()
        element = Element(tag, attrs, parent=self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return
        # An end tag with no open element is ignored, as browsers do.

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse(source):
    """The page as a tree of elements (parsed once per response)."""
    if isinstance(source, Element):
        return source
    if isinstance(source, (str, bytes)):
        return _parse_text(source.decode() if isinstance(source, bytes) else source)
    parsed = getattr(source, "_parsed_html", None)
    if parsed is None:
        parsed = _parse_text(source.content.decode(source.charset or "utf-8"))
        source._parsed_html = parsed
    return parsed


def _parse_text(text):
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


# --- CSS selectors -----------------------------------------------------------------------------

_COMPOUND_PART = re.compile(
    r"""\.(?P<cls>[\w-]+)
      | \#(?P<id>[\w-]+)
      | \[\s*(?P<attr>[\w-]+)\s*(?:(?P<op>[~^]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[\w-]+))\s*)?\]""",
    re.X,
)
_TAG = re.compile(r"\*|[a-zA-Z][\w-]*")


def _parse_compound(text):
    """`tr.relisted[id^="measure-"]` as (tag or None, [tests on an element])."""
    tag, position, tests = None, 0, []
    if match := _TAG.match(text):
        tag = None if match.group() == "*" else match.group().lower()
        position = match.end()
    while position < len(text):
        match = _COMPOUND_PART.match(text, position)
        if not match:
            raise ValueError(f"unsupported selector: {text!r}")
        if match["cls"]:
            tests.append(lambda element, name=match["cls"]: name in element.classes)
        elif match["id"]:
            tests.append(lambda element, value=match["id"]: element.get("id") == value)
        else:
            name, op = match["attr"], match["op"]
            value = next((v for v in (match["dq"], match["sq"], match["bare"]) if v is not None), None)
            if op is None:
                tests.append(lambda element, name=name: name in element.attrs)
            elif op == "=":
                tests.append(lambda element, name=name, value=value: element.get(name) == value)
            elif op == "^=":
                tests.append(
                    lambda element, name=name, value=value: value != "" and (element.get(name) or "").startswith(value)
                )
            else:  # ~=
                tests.append(lambda element, name=name, value=value: value in (element.get(name) or "").split())
        position = match.end()
    return tag, tests


def _parse_selector(css):
    """A selector group as a list of chains; a chain is [(combinator, compound), …] with the
    combinator (" " or ">") that joins each compound to the one before it."""
    chains = []
    for part in _split_group(css):
        tokens = re.findall(r'(?:"[^"]*"|\'[^\']*\'|\[[^\]]*\]|[^\s>])+|>', part)
        chain, combinator = [], " "
        for token in tokens:
            if token == ">":
                combinator = ">"
                continue
            chain.append((combinator, _parse_compound(token)))
            combinator = " "
        if not chain:
            raise ValueError(f"empty selector in {css!r}")
        chains.append(chain)
    return chains


def _split_group(css):
    parts, depth, current, quote = [], 0, "", None
    for char in css:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def _matches_compound(element, compound):
    tag, tests = compound
    return (tag is None or element.tag == tag) and all(test(element) for test in tests)


def _matches_chain(element, chain):
    *before, (combinator, compound) = chain
    if not _matches_compound(element, compound):
        return False
    if not before:
        return True
    if combinator == ">":
        parent = element.parent
        return parent is not None and parent.tag != "#document" and _matches_chain(parent, before)
    ancestor = element.parent
    while ancestor is not None and ancestor.tag != "#document":
        if _matches_chain(ancestor, before):
            return True
        ancestor = ancestor.parent
    return False


def select(source, css):
    """The elements inside `source` that the CSS selector matches, in page order."""
    chains = _parse_selector(css)
    return [
        element
        for element in parse(source).iter_descendants()
        if any(_matches_chain(element, chain) for chain in chains)
    ]


def select_one(source, css):
    """The one element the CSS selector matches; fails unless there is exactly one."""
    found = select(source, css)
    assert len(found) == 1, f"{css!r} matches {len(found)} elements, not 1"
    return found[0]


# --- what the page shows ---------------------------------------------------------------------


def _collect_text(node, parts):
    if isinstance(node, str):
        parts.append(node)
    elif node.tag not in NOT_SHOWN:
        apart = node.tag not in INLINE
        if apart:
            parts.append(" ")
        for child in node.children:
            _collect_text(child, parts)
        if apart:
            parts.append(" ")


def text_of(source):
    """The text the page (or element) shows, every run of white space (full-width spaces too) as
    one space: what is in attributes, scripts and styles is not part of it."""
    parts = []
    _collect_text(parse(source), parts)
    return " ".join("".join(parts).split())


def texts_of(source, css):
    """The text of each element the CSS selector matches."""
    return [text_of(element) for element in select(source, css)]


def source_of(response):
    """The page exactly as it was sent, every run of white space as one space: markup, attributes
    and scripts included. For what must appear *nowhere* in what the browser receives (a masked
    name, a case code, a file's address), where the shown text alone would miss an attribute."""
    content = response if isinstance(response, str) else response.content.decode()
    return " ".join(content.split())


def section(source, heading):
    """The section (or other region) that the heading reading `heading` labels (aria-labelledby)."""
    headings = [found for found in select(source, "h1, h2, h3, h4, h5, h6") if text_of(found) == heading]
    assert len(headings) == 1, f"{len(headings)} headings read {heading!r}"
    return select_one(source, f'[aria-labelledby~="{headings[0].get("id")}"]')


def rows_of(table):
    """A table's rows (its header rows included), each as the texts of its cells."""
    return [[text_of(cell) for cell in row.elements if cell.tag in ("td", "th")] for row in select(table, "tr")]


def row_of(table, first_cell):
    """The cells' texts of the one row of `table` whose first cell reads `first_cell`."""
    found = [row for row in rows_of(table) if row and row[0] == first_cell]
    assert len(found) == 1, f"{len(found)} rows start with {first_cell!r}"
    return found[0]


def definition_of(source, term):
    """The <dd> that a <dt> reading `term` describes (a line of a page's facts)."""
    found = []
    for dt in select(source, "dt"):
        if text_of(dt) == term:
            following = dt.following_siblings()
            if following and following[0].tag == "dd":
                found.append(following[0])
    assert len(found) == 1, f"{len(found)} terms read {term!r}"
    return found[0]


# --- forms and links ---------------------------------------------------------------------------


def field_errors(source, field_name):
    """The messages shown beside a form field (`roles-0-end_date` for a formset's field): the
    first carries the id its widget's aria-describedby names, the others follow it."""
    found = select(source, f'[id="id_{field_name}_error"]')
    if not found:
        return []
    messages = [text_of(found[0])]
    for sibling in found[0].following_siblings():
        if sibling.tag != "p" or "error" not in sibling.classes:
            break
        messages.append(text_of(sibling))
    return messages


def link_targets(source, text=None):
    """The addresses the page's links point to (entities decoded: `&` not `&amp;`); with `text`,
    only those of the links that read exactly that."""
    return [link.get("href") for link in select(source, "a[href]") if text is None or text_of(link) == text]


def form_value(source, name):
    """What the page's form would send for the field `name`: a text or hidden input's value, the
    checked radio button's or checkbox's (None when none is), a textarea's text, a select's chosen
    option."""
    fields = select(source, f'[name="{name}"]')
    assert fields, f"no field named {name!r}"
    first = fields[0]
    if first.tag == "input" and first.get("type") in ("radio", "checkbox"):
        checked = [field.get("value") for field in fields if "checked" in field.attrs]
        assert len(checked) <= 1, f"{name!r}: several checked: {checked}"
        return checked[0] if checked else None
    assert len(fields) == 1, f"{len(fields)} fields named {name!r}"
    if first.tag == "textarea":
        text = "".join(child for child in first.children if isinstance(child, str))
        return text.removeprefix("\r").removeprefix("\n")  # browsers drop the newline after <textarea>
    if first.tag == "select":
        chosen = [option.get("value") for option in select(first, "option[selected]")]
        return chosen[0] if chosen else None
    return first.get("value")
