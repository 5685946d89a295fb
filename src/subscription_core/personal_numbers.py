"""The parts of a 12-digit personal identification number that a tax code check can verify (U3).

Since 2025-07-01 an individual's or household business's tax code is its personal identification number
(số định danh cá nhân). Its layout is set by Decree 137/2015/NĐ-CP, Art. 13, and detailed by Circular
07/2016/TT-BCA, Art. 7 (its successor 59/2021/TT-BCA keeps the layout; the Law on Identity 2023, Art. 12,
keeps the 12 digits): 3 digits for the province (or country) where the birth was registered, 1 digit for the
century of birth and the sex, 2 digits for the year of birth within the century, and 6 random digits.
There is no check digit, so only the first four digits can be checked:

- the province code must be one of the 63 of the published list (Appendix I of Circular 07/2016/TT-BCA:
  001 Hà Nội ... 096 Cà Mau, the odd gaps included). The merger of provinces in 2025 changed no existing
  number; we found no newer list, nor the list of country codes for a birth registered abroad, so such
  numbers are refused until one is published;
- the century-and-sex digit means: 0/1 a man/woman born 1900-1999, 2/3 born 2000-2099, 4/5 the 22nd
  century, 6/7 the 23rd, 8/9 the 24th (Art. 7 of Circular 07/2016/TT-BCA). Only 0 to 3 fit someone alive
  before 2100; 4 to 9 are refused. The two year digits are any 00-99 in either century (no clock is
  consulted, so a 21st-century year still to come is not refused).

The reasons returned never quote the number's digits: it is personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["CENTURIES", "PROVINCE_CODES", "personal_number_problem"]

PROVINCE_CODES: Final[Mapping[str, str]] = MappingProxyType(
    # Circular 07/2016/TT-BCA, Appendix I ("Danh mục mã tỉnh, thành phố trực thuộc trung ương nơi công dân
    # đăng ký khai sinh"), as republished by thuvienphapluat.vn, lawnet.vn and thanhphohaiphong.gov.vn. We
    # could not read the appendix of 59/2021/TT-BCA itself; an article on the Law on Identity 2023
    # (thuvienphapluat.vn) gives the same 63 codes.
    {
        "001": "Hà Nội",
        "002": "Hà Giang",
        "004": "Cao Bằng",
        "006": "Bắc Kạn",
        "008": "Tuyên Quang",
        "010": "Lào Cai",
        "011": "Điện Biên",
        "012": "Lai Châu",
        "014": "Sơn La",
        "015": "Yên Bái",
        "017": "Hòa Bình",
        "019": "Thái Nguyên",
        "020": "Lạng Sơn",
        "022": "Quảng Ninh",
        "024": "Bắc Giang",
        "025": "Phú Thọ",
        "026": "Vĩnh Phúc",
        "027": "Bắc Ninh",
        "030": "Hải Dương",
        "031": "Hải Phòng",
        "033": "Hưng Yên",
        "034": "Thái Bình",
        "035": "Hà Nam",
        "036": "Nam Định",
        "037": "Ninh Bình",
        "038": "Thanh Hóa",
        "040": "Nghệ An",
        "042": "Hà Tĩnh",
        "044": "Quảng Bình",
        "045": "Quảng Trị",
        "046": "Thừa Thiên Huế",
        "048": "Đà Nẵng",
        "049": "Quảng Nam",
        "051": "Quảng Ngãi",
        "052": "Bình Định",
        "054": "Phú Yên",
        "056": "Khánh Hòa",
        "058": "Ninh Thuận",
        "060": "Bình Thuận",
        "062": "Kon Tum",
        "064": "Gia Lai",
        "066": "Đắk Lắk",
        "067": "Đắk Nông",
        "068": "Lâm Đồng",
        "070": "Bình Phước",
        "072": "Tây Ninh",
        "074": "Bình Dương",
        "075": "Đồng Nai",
        "077": "Bà Rịa - Vũng Tàu",
        "079": "Hồ Chí Minh",
        "080": "Long An",
        "082": "Tiền Giang",
        "083": "Bến Tre",
        "084": "Trà Vinh",
        "086": "Vĩnh Long",
        "087": "Đồng Tháp",
        "089": "An Giang",
        "091": "Kiên Giang",
        "092": "Cần Thơ",
        "093": "Hậu Giang",
        "094": "Sóc Trăng",
        "095": "Bạc Liêu",
        "096": "Cà Mau",
    }
)
"""The 3-digit codes of the province where a birth was registered, and the province's name (U3)."""

CENTURIES: Final[Mapping[str, int]] = MappingProxyType({"0": 1900, "1": 1900, "2": 2000, "3": 2000})
"""The century-and-sex digits accepted, and the first year of the century each means (even: man, odd: woman)."""

_LENGTH: Final = 12


def personal_number_problem(digits: str) -> str | None:
    """Return why ``digits`` cannot be a personal identification number, or ``None`` if it can be (U3).

    ``digits`` is expected to be 12 ASCII digits (the caller has checked the form); anything else is
    reported as a wrong length. The reason never quotes the digits. Never raises.
    """
    if not isinstance(digits, str) or len(digits) != _LENGTH or not (digits.isascii() and digits.isdigit()):
        return "wrong length: a personal identification number has 12 digits"
    if digits[:3] not in PROVINCE_CODES:
        return "unknown province code: the first 3 digits of a personal number are a published province code"
    if digits[3] not in CENTURIES:
        return "bad century-and-sex digit: the 4th digit of a personal number is 0 to 3 for births before 2100"
    return None
