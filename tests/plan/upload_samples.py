"""Hostile files for the upload guard's tests, built in the test run (nothing is stored in the repo).

Each builder starts from a real workbook written by openpyxl and replaces or adds members, so
the files are what an attacker would send: valid enough to be taken for an xlsx.
"""

import io
import random
import zipfile

import openpyxl

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# The classic "billion laughs": ten levels of ten references each, 10^9 copies of "lol".
BILLION_LAUGHS_DOCTYPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n' for n in range(1, 10))
    + "]>\n"
)


def workbook_bytes(rows=(("No.", "事項"), (1, "相談"))) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rebuild(content: bytes, *, replace=None, add=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A copy of the archive with some members replaced (name → bytes, or a writer function that
    gets the open member) and some added."""
    replace, add = replace or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for info in source.infolist():
            if info.filename in replace:
                _write(target, info.filename, replace[info.filename])
            else:
                target.writestr(info, source.read(info))
        for name, data in add.items():
            _write(target, name, data)
    return buffer.getvalue()


def _write(archive, name, data):
    if callable(data):
        with archive.open(name, "w", force_zip64=True) as member:
            data(member)
    else:
        archive.writestr(name, data)


def zeros(size: int):
    """A member writer: `size` zero bytes, written a megabyte at a time (never all in memory)."""

    def write(member):
        chunk = b"\0" * MB
        left = size
        while left > 0:
            member.write(chunk[: min(left, MB)])
            left -= MB

    return write


def zip_bomb_xlsx(expanded: int = 120 * MB) -> bytes:
    """An xlsx whose extra member expands to `expanded` bytes of zeros (about 1000:1)."""
    return rebuild(workbook_bytes(), add={"xl/media/image1.bin": zeros(expanded)})


def high_ratio_xlsx(expanded: int = 5 * MB) -> bytes:
    """An xlsx under every size cap, but with a member that compresses about 1000:1."""
    return rebuild(workbook_bytes(), add={"xl/media/image1.bin": zeros(expanded)})


def many_members_xlsx(count: int) -> bytes:
    return rebuild(workbook_bytes(), add={f"xl/media/image{n}.png": b"x" for n in range(count)})


def entity_bomb_xlsx(member: str = SHEET, *, encoding: str = "utf-8", padding: int = 0) -> bytes:
    """An xlsx with the billion-laughs entity declared in one member: the sheet (which uses it) or
    another part such as the workbook (where merely declaring it is enough to be refused).

    `encoding` "utf-16" writes the member in UTF-16 (a scanner looking for ASCII bytes misses it);
    `padding` puts a comment of that many characters before the DOCTYPE.
    """
    doctype = BILLION_LAUGHS_DOCTYPE.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    if padding:
        declaration, rest = doctype.split("\n", 1)
        doctype = f"{declaration}\n<!--{' ' * padding}-->\n{rest}"
    if member == SHEET:
        body = (
            f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
        )
    else:
        body = zipfile.ZipFile(io.BytesIO(workbook_bytes())).read(member).decode()
        if body.startswith("<?xml"):
            body = body.split("?>", 1)[1]
    return rebuild(workbook_bytes(), replace={member: (doctype + body).encode(encoding)})


def dense_sheet_xlsx(*, rows: int, columns: int, dimension: bool | str = True) -> bytes:
    """An xlsx with rows × columns numeric cells, its sheet XML written directly (cheap to build).

    The cells carry random digits, so the sheet compresses like real data (well under the ratio
    cap) and passes the archive checks: only the row and cell caps can stop it. `dimension`:
    True declares the sheet's real size, False declares none (as some programs write it), a
    string declares that range instead (a size that lies).
    """
    digits = random.Random(0).choices("0123456789", k=rows * columns)
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{SHEET_NS}">']
    if dimension is True:
        parts.append(f'<dimension ref="A1:{_column(columns)}{rows}"/>')
    elif dimension:
        parts.append(f'<dimension ref="{dimension}"/>')
    parts.append("<sheetData>")
    for row in range(rows):
        start = row * columns
        parts.append("<row>" + "".join(f"<c><v>{d}</v></c>" for d in digits[start : start + columns]) + "</row>")
    parts.append("</sheetData></worksheet>")
    return rebuild(workbook_bytes(), replace={SHEET: "".join(parts).encode()})


def _column(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)
