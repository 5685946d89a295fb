"""VietQR payloads (Y3): published payloads byte for byte, the CRC, round trips, bad input, and the images.

The published payloads, with the inputs that made them, come from two open-source implementations:

* ``SUBIZ``: github.com/subiz/vietqr, ``vietqr_test.go`` (``TestQR``) and the example in ``README.md``;
  its inputs "chuyển khoản" and a 25-character cut of a long note are given here as the ASCII text the
  library put in the payload (it folds diacritics and truncates; this adapter refuses instead);
* ``NGHIA``: github.com/xuannghia/vietnam-qr-pay (npm ``vietnam-qr-pay``), ``README.md``: the static and
  dynamic VietQR, the MoMo and ZaloPay examples, the decoding example and the re-built payload.

Every published CRC was also recomputed independently here (``crc_bitwise``).
"""

from __future__ import annotations

import doctest
import re
import struct
import sys
import zlib
from decimal import Decimal
from types import ModuleType
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from subscription_core.errors import SubscriptionError, ValidationError, masked
from subscription_core_adapters.banking import (
    MissingExtraError,
    ServiceCode,
    VietQR,
    account_number,
    banks,
    crc16_ccitt_false,
    parse_payload,
    qr_png,
    qr_svg,
    vietqr,
)

SUBIZ = "github.com/subiz/vietqr vietqr_test.go"
SUBIZ_README = "github.com/subiz/vietqr README.md"
NGHIA = "github.com/xuannghia/vietnam-qr-pay README.md"

# (source, the inputs, the published payload); each one is built byte for byte and read back.
PUBLISHED: list[tuple[str, dict[str, Any], str]] = [
    (
        SUBIZ,
        {"bin": "970423", "account": "0099999999"},
        "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4",
    ),
    (
        SUBIZ,
        {"bin": "970422", "account": "0023457923442", "amount": 40123, "purpose": "test text string"},
        (
            "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA5303704540540123"
            "5802VN62200816test text string6304D9C6"
        ),
    ),
    (
        SUBIZ,
        {"bin": "970422", "account": "0023457923442", "amount": 40123, "purpose": "chuyen khoan"},
        (
            "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA5303704540540123"
            "5802VN62160812chuyen khoan6304722F"
        ),
    ),
    (
        SUBIZ,
        {"bin": "970422", "account": "0023457923442ASDFLJ", "amount": 40123, "purpose": "chuyen khoan alsdkf laksj"},
        (
            "00020101021238630010A0000007270133000697042201190023457923442ASDFLJ0208QRIBFTTA5303704540540123"
            "5802VN62290825chuyen khoan alsdkf laksj6304E5DB"
        ),
    ),
    (
        SUBIZ_README,
        {"bin": "970415", "account": "0011001932418", "amount": 120000, "purpose": "ung ho lu lut"},
        (
            "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN"
            "62170813ung ho lu lut6304C15C"
        ),
    ),
    (
        NGHIA,
        {"bin": "970416", "account": "257678859"},
        "00020101021138530010A0000007270123000697041601092576788590208QRIBFTTA53037045802VN6304AE9F",
    ),
    (
        NGHIA,
        {"bin": "970416", "account": "257678859", "amount": 10000, "purpose": "Chuyen tien"},
        (
            "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540510000"
            "5802VN62150811Chuyen tien630453E6"
        ),
    ),
    (
        NGHIA,
        {"bin": "970416", "account": "257678859", "amount": 1000, "purpose": "Chuyen tien"},
        (
            "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA530370454041000"
            "5802VN62150811Chuyen tien6304BBB8"
        ),
    ),
    (
        NGHIA,
        {"bin": "970416", "account": "257678859", "amount": 999999, "purpose": "Cam on nhe"},
        (
            "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA53037045406999999"
            "5802VN62140810Cam on nhe6304E786"
        ),
    ),
    (
        NGHIA,
        {"bin": "970454", "account": "99ZP24009M07248267"},
        "00020101021138620010A00000072701320006970454011899ZP24009M072482670208QRIBFTTA53037045802VN6304073C",
    ),
]

PUBLISHED_IDS = [f"{source.split()[0].rsplit('/', 1)[-1]}-{payload[-4:]}" for source, _inputs, payload in PUBLISHED]

# NGHIA's MoMo code: a reference label (62-05) and an unreserved template 80 this module does not build.
MOMO = (
    "00020101021138620010A00000072701320006970454011899MM24011M348750800208QRIBFTTA53037045802VN"
    "62190515MOMOW2W3487508080030466304EBC8"
)
# NGHIA's VNPay code: a merchant QR under template 26 with VNPay's GUID, not a VietQR transfer.
VNPAY = (
    "00020101021126280010A0000007750110010531314453037045408210900005802VN5910CELLPHONES"
    "62600312CPSHN ONLINE0517021908061613127850705ONLHN0810CellphoneS63047685"
)
# finan.readme.io "create payment request" example: a merchant name (59) and a purpose with brackets.
FINAN = (
    "00020101021238590010A0000007270129000697042401151AM0025000002390208QRIBFTTA5303704540512345"
    "5802VN5908MBCHILDB62290825[Open API] test payment M6304F205"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
QUIET_ZONE = 4


def crc_bitwise(text: str) -> str:
    """CRC-16/CCITT-FALSE bit by bit, as the EMVCo specification describes it: an independent check."""
    crc = 0xFFFF
    for byte in text.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def with_crc(body: str) -> str:
    """``body`` closed with a correct CRC object, to test what the parser does after the CRC passes."""
    return body + "6304" + crc_bitwise(body + "6304")


def refusal(payload: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_payload(payload)
    assert caught.value.rule == "Y3"
    return caught.value


# --- published payloads and the CRC ---------------------------------------------------------------------


@pytest.mark.parametrize(("source", "inputs", "published"), PUBLISHED, ids=PUBLISHED_IDS)
def test_y3_published_payloads_are_built_byte_for_byte(source: str, inputs: dict[str, Any], published: str) -> None:
    assert source
    assert VietQR(**inputs).payload() == published


@pytest.mark.parametrize(("source", "inputs", "published"), PUBLISHED, ids=PUBLISHED_IDS)
def test_y3_published_payloads_read_back_into_their_inputs(source: str, inputs: dict[str, Any], published: str) -> None:
    assert source
    assert parse_payload(published) == VietQR(**inputs)


@pytest.mark.parametrize("module", [vietqr, banks], ids=lambda module: module.__name__)
def test_the_modules_examples_run_as_written(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module)
    assert (failures, tried > 0) == (0, True)


def test_crc_vectors() -> None:
    assert crc16_ccitt_false("123456789") == "29B1"  # the catalogued check value of CRC-16/CCITT-FALSE
    assert crc16_ccitt_false("") == "FFFF"  # the initial value, no final XOR
    for _source, _inputs, published in PUBLISHED:
        assert crc16_ccitt_false(published[:-4]) == crc_bitwise(published[:-4]) == published[-4:]
    for other in (MOMO, VNPAY, FINAN):
        assert crc16_ccitt_false(other[:-4]) == other[-4:]


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=300))
def test_crc_agrees_with_the_bitwise_definition(text: str) -> None:
    assert crc16_ccitt_false(text) == crc_bitwise(text)


def test_crc_refuses_what_is_not_ascii_text() -> None:
    for bad in ("chuyển khoản", b"123456789", None):
        with pytest.raises(ValidationError):
            crc16_ccitt_false(bad)  # type: ignore[arg-type]


def test_y3_a_reference_label_and_unknown_templates_are_read_past() -> None:
    read = parse_payload(MOMO)
    assert read == VietQR(bin="970454", account="99MM24011M34875080", reference_label="MOMOW2W34875080")
    assert read.payload() != MOMO  # template 80 is not kept


def test_y3_a_vnpay_merchant_code_is_not_a_vietqr_transfer() -> None:
    assert "38" in refusal(VNPAY).message


def test_y3_a_foreign_purpose_with_punctuation_is_read_as_the_specification_allows() -> None:
    # finan.readme.io's published code: a purpose with brackets, which EMVCo's "ans" format allows.
    read = parse_payload(FINAN)
    assert (read.purpose, read.amount, read.read_leniently) == ("[Open API] test payment M", Decimal(12345), True)
    with pytest.raises(ValidationError) as caught:  # the builder stays strict
        VietQR(bin="970424", account="1AM002500000239", purpose="[Open API] test payment M")
    assert caught.value.field == "purpose"


def test_y3_the_amount_of_a_dynamic_code_for_an_order_is_its_total() -> None:
    qr = VietQR(bin="970436", account="0011004000000", amount=Decimal("1100000.00"), purpose="SCCFY3QVT9Y97T7")
    assert "540711000005802VN" in qr.payload()
    assert qr.dynamic is True
    assert qr.payload().startswith("000201010212")


def test_y3_a_card_transfer_uses_the_card_service_code() -> None:
    qr = VietQR(bin="970436", service=ServiceCode.CARD, account="9704366800000000")
    assert "0208QRIBFTTC" in qr.payload()
    assert parse_payload(qr.payload()).service is ServiceCode.CARD


# --- properties -----------------------------------------------------------------------------------------

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORDS = (
    st.lists(st.text(alphabet=ALNUM, min_size=1, max_size=8), min_size=1, max_size=4)
    .map(" ".join)
    .filter(lambda text: len(text) <= 25)
)


@st.composite
def vietqrs(draw: st.DrawFn) -> VietQR:
    service = draw(st.sampled_from(ServiceCode))
    alphabet = "0123456789" if service is ServiceCode.CARD else ALNUM
    amount = draw(st.none() | st.integers(min_value=1, max_value=10**13 - 1).map(Decimal))
    fields: dict[str, Any] = {
        "bin": draw(st.from_regex(r"[0-9]{6}", fullmatch=True)),
        "service": service,
        "account": draw(st.text(alphabet=alphabet, min_size=1, max_size=19)),
        "amount": amount,
        "purpose": draw(st.none() | WORDS),
        "reference_label": draw(st.none() | WORDS),
    }
    if draw(st.booleans()):
        fields["dynamic"] = draw(st.booleans())
    return VietQR(**fields)


@given(vietqrs())
def test_y3_a_built_payload_reads_back_into_its_fields(qr: VietQR) -> None:
    payload = qr.payload()
    assert payload.isascii()
    assert payload.isprintable()
    assert parse_payload(payload) == qr


@given(vietqrs())
def test_y3_the_crc_of_a_built_payload_always_verifies(qr: VietQR) -> None:
    payload = qr.payload()
    assert payload[-8:-4] == "6304"
    assert re.fullmatch(r"[0-9A-F]{4}", payload[-4:])
    assert crc_bitwise(payload[:-4]) == payload[-4:]


@given(vietqrs(), st.data())
def test_y3_any_changed_character_is_refused(qr: VietQR, data: st.DataObject) -> None:
    payload = qr.payload()
    at = data.draw(st.integers(min_value=0, max_value=len(payload) - 1))
    # The CRC's hex digits may be read in either case, so a change of case there is no change.
    same = payload[at].upper() if at >= len(payload) - 4 else payload[at]
    other = data.draw(
        st.characters(codec="utf-8").filter(lambda char: (char.upper() if at >= len(payload) - 4 else char) != same)
    )
    changed = payload[:at] + other + payload[at + 1 :]
    refusal(changed)


# --- bad input --------------------------------------------------------------------------------------------

GOOD: dict[str, Any] = {"bin": "970436", "account": "0011004000000", "amount": 1_100_000, "purpose": "SC123"}
BAD_INPUTS: list[tuple[str, object]] = [
    ("amount", Decimal("1000.5")),
    ("amount", 1000.0),
    ("amount", Decimal(10**13)),  # 14 digits
    ("amount", 10**13),
    ("amount", 0),
    ("amount", -5000),
    ("amount", True),
    ("amount", Decimal("NaN")),
    ("amount", Decimal("Infinity")),
    ("amount", "100000"),
    ("account", ""),
    ("account", "1" * 20),
    ("account", "0011-004"),
    ("account", "tài khoản"),
    ("account", 11004000000),
    ("bin", "97043"),
    ("bin", "9704361"),
    ("bin", "97043A"),
    ("bin", "９７０４３６"),  # full-width digits pass str.isdigit, not the format
    ("bin", "٩٧٠٤٣٦"),  # so do Arabic-Indic ones
    ("bin", 970436),
    ("purpose", "X" * 26),
    ("purpose", "Chuyển tiền"),
    ("purpose", "SC-123"),
    ("purpose", "SC123."),
    ("purpose", " SC123"),
    ("purpose", "SC123 "),
    ("purpose", "SC  123"),
    ("purpose", "SC\t123"),
    ("purpose", ""),
    ("purpose", 123),
    ("reference_label", "R" * 26),
    ("reference_label", "mã#1"),
    ("service", "QRIBFTTA"),
    ("dynamic", 1),
]


@pytest.mark.parametrize(("field", "value"), BAD_INPUTS, ids=lambda v: repr(v)[:20])
def test_y3_an_input_out_of_range_is_refused_with_its_field_and_value(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        VietQR(**{**GOOD, field: value})
    assert (caught.value.rule, caught.value.field) == ("Y3", field)
    assert caught.value.value is value if field != "account" else caught.value.value == masked(value, "account")


def test_y3_a_card_number_is_digits_only() -> None:
    with pytest.raises(ValidationError) as caught:
        VietQR(bin="970436", service=ServiceCode.CARD, account="9704ABC")
    assert (caught.value.field, caught.value.value) == ("account", masked("9704ABC", "account"))
    assert account_number("9704366800000000", service=ServiceCode.CARD) == "9704366800000000"


def test_y3_the_longest_accepted_inputs_still_fit() -> None:
    qr = VietQR(bin="970436", account="A" * 19, amount=10**13 - 1, purpose="P" * 25, reference_label="R" * 25)
    assert parse_payload(qr.payload()) == qr


def test_y3_a_payload_that_is_not_printable_ascii_text_is_refused() -> None:
    good = VietQR(**GOOD).payload()
    for bad in (good.encode(), None, 42, good.replace("SC123", "SC12ẵ"), good + "\n", "x" * 600):
        assert refusal(bad).field == "payload"


def test_y3_a_missing_or_wrong_crc_is_refused() -> None:
    good = VietQR(**GOOD).payload()
    wrong = good[:-4] + ("0000" if good[-4:] != "0000" else "0001")
    not_hex = good[:-4] + "G" + good[-3:]
    for bad in ("", good[:-4], good[:-8], wrong, not_hex, good[:-8] + "6305" + good[-4:]):
        assert refusal(bad).field == "crc", bad


def tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


BENEFICIARY = tlv("00", "970436") + tlv("01", "0011004000000")
MERCHANT = tlv("00", "A000000727") + tlv("01", BENEFICIARY) + tlv("02", "QRIBFTTA")


def body_with(tag: str, value: str | None) -> str:
    """GOOD's payload body (no CRC) with data object ``tag`` given ``value``, or removed for ``None``."""
    objects = {"00": "01", "01": "12", "38": MERCHANT, "53": "704", "54": "1100000", "58": "VN"}
    if value is None:
        del objects[tag]
    else:
        objects[tag] = value
    return "".join(tlv(name, own) for name, own in objects.items())


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (body_with("00", None), "00 is missing"),
        (body_with("00", "02"), "'01'"),
        (body_with("01", "13"), "point of initiation"),
        (body_with("38", None), "38 is missing"),
        (body_with("38", tlv("00", "A000000775") + tlv("01", BENEFICIARY) + tlv("02", "QRIBFTTA")), "A000000727"),
        (body_with("38", tlv("00", "A000000727") + tlv("02", "QRIBFTTA")), "38: data object 01 is missing"),
        (body_with("38", tlv("00", "A000000727") + tlv("01", tlv("00", "970436")) + tlv("02", "QRIBFTTA")), "38.01"),
        (body_with("38", tlv("00", "A000000727") + tlv("01", BENEFICIARY) + tlv("02", "QRPUSHXX")), "service"),
        (body_with("38", tlv("00", "A000000727") + tlv("01", BENEFICIARY)), "38: data object 02 is missing"),
        (body_with("53", "840"), "'704'"),
        (body_with("58", "US"), "'VN'"),
        (body_with("58", None) + "0002VN", "appears twice"),
        (body_with("58", None) + "5899VN", "runs past the end"),
        (body_with("58", None) + "58", "2-digit id"),
        (body_with("58", None) + "5X02VN", "2-digit id"),
        (body_with("58", None) + "6304ABCD5802VN", "CRC object must come last"),
        (body_with("54", "1000.50"), "whole number"),
        (body_with("54", "12,000"), "decimal number"),
        (body_with("58", None) + "5802VN" + tlv("62", tlv("08", "SC1") + tlv("08", "SC2")), "62: data object 08"),
    ],
    ids=lambda v: v[-30:] if isinstance(v, str) else "",
)
def test_y3_a_malformed_payload_with_a_good_crc_is_refused(body: str, says: str) -> None:
    assert says in str(refusal(with_crc(body)))


def test_y3_an_amount_with_zero_cents_reads_as_whole_dong() -> None:
    read = parse_payload(with_crc(body_with("54", "1100000.00")))
    assert read.amount == Decimal(1_100_000)


# --- images -----------------------------------------------------------------------------------------------

PAYLOAD = VietQR(bin="970436", account="0011004000000", amount=1_100_000, purpose="SCCFY3QVT9Y97T7").payload()


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + size]
        (crc,) = struct.unpack(">I", data[at + 8 + size : at + 12 + size])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        at += 12 + size
    return chunks


def png_pixels(data: bytes) -> list[list[int]]:
    """The 1-bit greyscale pixels of a PNG (0 black, 1 white), every scanline filter undone."""
    chunks = png_chunks(data)
    assert chunks[0][0] == b"IHDR"
    assert chunks[-1][0] == b"IEND"
    width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (1, 0, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = (width + 7) // 8
    assert len(raw) == height * (stride + 1)
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left, up, corner = (line[x - 1] if x else 0), previous[x], (previous[x - 1] if x else 0)
            guess = (0, left, up, (left + up) // 2, paeth(left, up, corner))[kind]
            line[x] = (line[x] + guess) & 0xFF
        rows.append([(line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
        previous = bytes(line)
    return rows


def paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def modules(payload: str) -> list[list[int]]:
    """The dark (1) and light (0) modules of the symbol segno makes for ``payload``, quiet zone included."""
    matrix = segno.make_qr(payload, error="m").matrix
    size = len(matrix) + 2 * QUIET_ZONE
    grid = [[0] * size for _ in range(size)]
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            grid[y + QUIET_ZONE][x + QUIET_ZONE] = int(bool(dark))
    return grid


def test_y3_the_png_draws_the_symbol_of_the_payload() -> None:
    data = qr_png(PAYLOAD, scale=3)
    assert data.startswith(PNG_SIGNATURE)
    pixels = png_pixels(data)
    grid = modules(PAYLOAD)
    side = len(grid)
    assert (side - 2 * QUIET_ZONE - 17) % 4 == 0  # 17 + 4 x version modules, plus the quiet zone
    assert len(pixels) == len(pixels[0]) == side * 3
    drawn = [[1 - pixels[y * 3 + 1][x * 3 + 1] for x in range(side)] for y in range(side)]
    assert drawn == grid


def svg_modules(document: str) -> tuple[ET.Element, set[tuple[int, int]]]:
    """The root of the SVG and the dark modules its path draws (segno's M/m moves and h runs)."""
    root = ET.fromstring(document)  # noqa: S314 - our own output, not untrusted XML
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    dark: set[tuple[int, int]] = set()
    x = y = 0.0
    for command, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.attrib["d"]):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            run = int(first)
            dark |= {(int(y), int(x) + i) for i in range(run)}
            x += run
    return root, dark


def test_y3_the_svg_parses_and_draws_the_symbol_of_the_payload() -> None:
    document = qr_svg(PAYLOAD, scale=5)
    assert document.startswith("<?xml")
    root, dark = svg_modules(document)
    grid = modules(PAYLOAD)
    side = len(grid)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert (root.attrib["width"], root.attrib["height"]) == (str(side * 5), str(side * 5))
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "VietQR"
    assert dark == {(y, x) for y in range(side) for x in range(side) if grid[y][x]}


def test_y3_a_payload_whose_crc_fails_is_never_drawn() -> None:
    broken = PAYLOAD[:-1] + ("0" if PAYLOAD[-1] != "0" else "1")
    for draw in (qr_png, qr_svg):
        with pytest.raises(ValidationError) as caught:
            draw(broken)
        assert caught.value.field == "crc"


@pytest.mark.parametrize("scale", [0, 101, 2.5, True, "4"])
def test_y3_an_image_scale_out_of_range_is_refused(scale: object) -> None:
    for draw in (qr_png, qr_svg):
        with pytest.raises(ValidationError) as caught:
            draw(PAYLOAD, scale=scale)  # type: ignore[arg-type]
        assert (caught.value.field, caught.value.value) == ("scale", scale)


def test_images_without_segno_name_the_qr_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "segno", None)  # what an environment without the extra shows an import
    for draw in (qr_png, qr_svg):
        with pytest.raises(MissingExtraError) as caught:
            draw(PAYLOAD)
        assert "'qr' extra" in str(caught.value)
        assert isinstance(caught.value, ImportError)
        assert isinstance(caught.value, SubscriptionError)


def test_the_same_payload_draws_the_same_images() -> None:
    assert qr_png(PAYLOAD) == qr_png(PAYLOAD)
    assert qr_svg(PAYLOAD) == qr_svg(PAYLOAD)


@pytest.mark.parametrize(
    "amount", [Decimal("1e999999"), Decimal(10**13), 10**5000], ids=["1e999999", "10**13", "10**5000"]
)
def test_y3_an_amount_too_long_for_the_code_is_refused_without_printing_it(amount: Decimal | int) -> None:
    # Issue 14: 1e999999 was turned into a million-digit int to count its digits (a ValueError, not ours).
    with pytest.raises(ValidationError, match="at most 13 digits"):
        VietQR(bin="970436", account="0011004000000", amount=amount, purpose="SCCFY3QVT9Y97T7")
