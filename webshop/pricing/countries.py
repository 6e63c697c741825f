"""The countries the admin may put into a shipping zone or give a VAT rate: ISO 3166-1
alpha-2 codes and English names (the EU's 27, the rest of the EEA, and Europe's other
usual destinations). Add a line here to ship further.

Shoppers read a country's name in their language: CLDR's (Babel's) for any language but
English, which keeps the names below (admin pages are always English)."""
import functools

from babel import Locale

from webshop import i18n

EU_MEMBERS = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)

COUNTRY_NAMES = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "CY": "Cyprus", "CZ": "Czechia",
    "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland",
    "FR": "France", "GR": "Greece", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland",
    "IT": "Italy", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta",
    "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden",
    "SI": "Slovenia", "SK": "Slovakia",
    "IS": "Iceland", "LI": "Liechtenstein", "NO": "Norway", "CH": "Switzerland",
    "GB": "United Kingdom", "MC": "Monaco", "AD": "Andorra", "SM": "San Marino",
}


def country_name(code):
    """A country's name for people in the current language ("Deutschland" in German);
    the code itself for one not listed."""
    language = i18n.current()
    if language != i18n.DEFAULT:
        name = _territories(language).get(code)
        if name:
            return name
    return COUNTRY_NAMES.get(code, code)


@functools.lru_cache(maxsize=8)
def _territories(language):
    return Locale.parse(language).territories
