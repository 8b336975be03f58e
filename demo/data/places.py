"""Countries, name locales, streets, cities with their postal code ranges, and phone number
prefixes of the demo registry."""

from __future__ import annotations

import numpy as np

COUNTRIES = ("FI", "SE", "NO", "DK", "EE", "DE", "US", "GB")
COUNTRY_P = np.array([0.82, 0.05, 0.03, 0.02, 0.03, 0.025, 0.015, 0.01])
ORG_COUNTRY_P = np.array([0.90, 0.03, 0.015, 0.01, 0.02, 0.015, 0.005, 0.005])
FI = 0

# Faker locales that fill the pools; each country's persons mostly carry its own names.
LOCALES = {
    "fi": "fi_FI",
    "sv": "sv_SE",
    "no": "no_NO",
    "da": "da_DK",
    "et": "et_EE",
    "de": "de_DE",
    "us": "en_US",
    "gb": "en_GB",
}
LOCALE_KEYS = tuple(LOCALES)
NAME_MIX: dict[str, dict[str, float]] = {
    "FI": {"fi": 0.93, "sv": 0.05, "et": 0.01, "gb": 0.01},
    "SE": {"sv": 0.90, "fi": 0.06, "gb": 0.04},
    "NO": {"no": 0.92, "sv": 0.04, "gb": 0.04},
    "DK": {"da": 0.94, "de": 0.03, "gb": 0.03},
    "EE": {"et": 0.90, "fi": 0.06, "gb": 0.04},
    "DE": {"de": 0.95, "gb": 0.05},
    "US": {"us": 1.0},
    "GB": {"gb": 1.0},
}
STREET_LOCALE = {
    "FI": "fi",
    "SE": "sv",
    "NO": "no",
    "DK": "da",
    "DE": "de",
    "US": "us",
    "GB": "gb",
}
# Faker's et_EE has no street names.
EE_STREETS = (
    "Narva mnt",
    "Pärnu mnt",
    "Tartu mnt",
    "Liivalaia",
    "Kaupmehe",
    "Tatari",
    "Endla",
    "Raua",
    "Kalda",
    "Mustamäe tee",
    "Sõpruse pst",
    "Riia",
    "Vanemuise",
    "Rüütli",
    "Tähe",
)

# City, postal code range (low, high), latitude, longitude, weight. Postal codes are real
# ranges of the city, so that an address reads right; the street and number are invented.
CITIES: dict[str, tuple[tuple[str, int, int, float, float, float], ...]] = {
    "FI": (
        ("Helsinki", 100, 990, 60.1699, 24.9384, 0.30),
        ("Espoo", 2100, 2940, 60.2055, 24.6559, 0.12),
        ("Tampere", 33100, 33960, 61.4978, 23.7610, 0.10),
        ("Vantaa", 1300, 1760, 60.2934, 25.0378, 0.08),
        ("Turku", 20100, 20960, 60.4518, 22.2666, 0.08),
        ("Oulu", 90100, 90940, 65.0121, 25.4651, 0.06),
        ("Jyväskylä", 40100, 40950, 62.2426, 25.7473, 0.045),
        ("Kuopio", 70100, 70950, 62.8924, 27.6770, 0.04),
        ("Lahti", 15100, 15950, 60.9827, 25.6615, 0.04),
        ("Pori", 28100, 28900, 61.4851, 21.7974, 0.025),
        ("Joensuu", 80100, 80260, 62.6010, 29.7636, 0.02),
        ("Lappeenranta", 53100, 53950, 61.0587, 28.1887, 0.02),
        ("Hämeenlinna", 13100, 13900, 60.9959, 24.4643, 0.02),
        ("Vaasa", 65100, 65380, 63.0951, 21.6165, 0.02),
        ("Seinäjoki", 60100, 60800, 62.7903, 22.8403, 0.015),
        ("Rovaniemi", 96100, 96930, 66.5039, 25.7294, 0.015),
        ("Mikkeli", 50100, 50970, 61.6886, 27.2723, 0.01),
        ("Porvoo", 6100, 6750, 60.3932, 25.6651, 0.01),
        ("Salo", 24100, 24920, 60.3831, 23.1331, 0.01),
        ("Kokkola", 67100, 67900, 63.8385, 23.1307, 0.01),
        ("Rauma", 26100, 26950, 61.1272, 21.5113, 0.01),
        ("Kajaani", 87100, 87950, 64.2222, 27.7278, 0.01),
        ("Kotka", 48100, 48930, 60.4664, 26.9458, 0.01),
    ),
    "SE": (
        ("Stockholm", 11120, 11895, 59.3293, 18.0686, 0.50),
        ("Göteborg", 41101, 41878, 57.7089, 11.9746, 0.25),
        ("Malmö", 21110, 21874, 55.6050, 13.0038, 0.15),
        ("Uppsala", 75105, 75655, 59.8586, 17.6389, 0.10),
    ),
    "NO": (
        ("Oslo", 150, 1295, 59.9139, 10.7522, 0.60),
        ("Bergen", 5003, 5098, 60.3913, 5.3221, 0.25),
        ("Trondheim", 7010, 7099, 63.4305, 10.3951, 0.15),
    ),
    "DK": (
        ("København", 1050, 2450, 55.6761, 12.5683, 0.60),
        ("Aarhus", 8000, 8270, 56.1629, 10.2039, 0.25),
        ("Odense", 5000, 5270, 55.4038, 10.4024, 0.15),
    ),
    "EE": (
        ("Tallinn", 10111, 13918, 59.4370, 24.7536, 0.70),
        ("Tartu", 50090, 51014, 58.3776, 26.7290, 0.30),
    ),
    "DE": (
        ("Berlin", 10115, 14199, 52.5200, 13.4050, 0.40),
        ("Hamburg", 20095, 22769, 53.5511, 9.9937, 0.30),
        ("München", 80331, 81929, 48.1351, 11.5820, 0.30),
    ),
    "US": (
        ("New York", 10001, 10282, 40.7128, -74.0060, 0.40),
        ("San Francisco", 94102, 94188, 37.7749, -122.4194, 0.30),
        ("Boston", 2108, 2222, 42.3601, -71.0589, 0.30),
    ),
    "GB": (
        ("London", 0, 6, 51.5074, -0.1278, 0.70),
        ("Manchester", 7, 10, 53.4808, -2.2426, 0.30),
    ),
}
GB_OUTWARD = ("EC1A", "WC2N", "SW1A", "E14", "N1", "SE1", "W1D", "M1", "M2", "M4", "M15")

# Phone number prefixes by country (repeats weigh more); the subscriber part follows.
PHONE_PREFIXES = {
    "FI": ("+35840", "+35840", "+35841", "+35844", "+35845", "+35850", "+35850", "+3589"),
    "SE": ("+4670", "+4672", "+4673", "+4676"),
    "NO": ("+474", "+479"),
    "DK": ("+45",),
    "EE": ("+3725",),
    "DE": ("+49151", "+49152", "+49157"),
    # 555-0100 to 555-0199: the US numbers reserved for fiction.
    "US": ("+121255501", "+141555501", "+161755501", "+164655501", "+162855501"),
    # 07700 900000 to 900999: Ofcom's numbers for drama.
    "GB": ("+447700900",),
}
