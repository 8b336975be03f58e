"""Where a person is: Finnish regions (maakunnat) from the city or postal code, and wider areas.

The notice's location data is used for targeting; marketing thinks in regions, the registry
stores a city, a postal code and a country. The city decides (municipalities as of 2021, when
Iitti, Kuhmoinen, Heinävesi and Joroinen changed region); a postal code decides only when
the city is missing or unknown, and only by the two-digit prefixes that lie wholly in one
region. Country areas follow registry.transfers.EEA.
"""

from __future__ import annotations

from registry.transfers import EEA

# Region key -> (Finnish name, English name). Keys are stored in segment definitions.
REGIONS: dict[str, tuple[str, str]] = {
    "uusimaa": ("Uusimaa", "Uusimaa"),
    "varsinais_suomi": ("Varsinais-Suomi", "Southwest Finland"),
    "satakunta": ("Satakunta", "Satakunta"),
    "kanta_hame": ("Kanta-Häme", "Tavastia Proper"),
    "pirkanmaa": ("Pirkanmaa", "Pirkanmaa"),
    "paijat_hame": ("Päijät-Häme", "Päijänne Tavastia"),
    "kymenlaakso": ("Kymenlaakso", "Kymenlaakso"),
    "etela_karjala": ("Etelä-Karjala", "South Karelia"),
    "etela_savo": ("Etelä-Savo", "South Savo"),
    "pohjois_savo": ("Pohjois-Savo", "North Savo"),
    "pohjois_karjala": ("Pohjois-Karjala", "North Karelia"),
    "keski_suomi": ("Keski-Suomi", "Central Finland"),
    "etela_pohjanmaa": ("Etelä-Pohjanmaa", "South Ostrobothnia"),
    "pohjanmaa": ("Pohjanmaa", "Ostrobothnia"),
    "keski_pohjanmaa": ("Keski-Pohjanmaa", "Central Ostrobothnia"),
    "pohjois_pohjanmaa": ("Pohjois-Pohjanmaa", "North Ostrobothnia"),
    "kainuu": ("Kainuu", "Kainuu"),
    "lappi": ("Lappi", "Lapland"),
    "ahvenanmaa": ("Ahvenanmaa", "Åland"),
}

_MUNICIPALITIES: dict[str, str] = {
    "uusimaa": "Askola Espoo Hanko Helsinki Hyvinkää Inkoo Järvenpää Karkkila Kauniainen "
    "Kerava Kirkkonummi Lapinjärvi Lohja Loviisa Myrskylä Mäntsälä Nurmijärvi Pornainen "
    "Porvoo Pukkila Raasepori Sipoo Siuntio Tuusula Vantaa Vihti "
    "Helsingfors Esbo Vanda Borgå Grankulla Kyrkslätt Hangö Lovisa Raseborg Sibbo Kervo",
    "varsinais_suomi": "Aura Kaarina Kemiönsaari Koski_Tl Kustavi Laitila Lieto Loimaa "
    "Marttila Masku Mynämäki Naantali Nousiainen Oripää Paimio Parainen Pyhäranta Pöytyä "
    "Raisio Rusko Salo Sauvo Somero Taivassalo Turku Uusikaupunki Vehmaa Åbo Pargas Kimitoön",
    "satakunta": "Eura Eurajoki Harjavalta Huittinen Jämijärvi Kankaanpää Karvia Kokemäki "
    "Merikarvia Nakkila Pomarkku Pori Rauma Siikainen Säkylä Ulvila Björneborg Raumo Honkajoki",
    "kanta_hame": "Forssa Hattula Hausjärvi Humppila Hämeenlinna Janakkala Jokioinen Loppi "
    "Riihimäki Tammela Ypäjä Tavastehus",
    "pirkanmaa": "Akaa Hämeenkyrö Ikaalinen Juupajoki Kangasala Kihniö Kuhmoinen Lempäälä "
    "Mänttä-Vilppula Nokia Orivesi Parkano Pirkkala Punkalaidun Pälkäne Ruovesi Sastamala "
    "Tampere Urjala Valkeakoski Vesilahti Virrat Ylöjärvi Tammerfors",
    "paijat_hame": "Asikkala Hartola Heinola Hollola Iitti Kärkölä Lahti Orimattila Padasjoki "
    "Sysmä Lahtis",
    "kymenlaakso": "Hamina Kotka Kouvola Miehikkälä Pyhtää Virolahti Fredrikshamn",
    "etela_karjala": "Imatra Lappeenranta Lemi Luumäki Parikkala Rautjärvi Ruokolahti "
    "Savitaipale Taipalsaari Villmanstrand",
    "etela_savo": "Enonkoski Hirvensalmi Juva Kangasniemi Mikkeli Mäntyharju Pertunmaa "
    "Pieksämäki Puumala Rantasalmi Savonlinna Sulkava S:t_Michel Nyslott",
    "pohjois_savo": "Iisalmi Joroinen Kaavi Keitele Kiuruvesi Kuopio Lapinlahti Leppävirta "
    "Pielavesi Rautalampi Rautavaara Siilinjärvi Sonkajärvi Suonenjoki Tervo Tuusniemi "
    "Varkaus Vesanto Vieremä",
    "pohjois_karjala": "Heinävesi Ilomantsi Joensuu Juuka Kitee Kontiolahti Lieksa Liperi "
    "Nurmes Outokumpu Polvijärvi Rääkkylä Tohmajärvi Valtimo",
    "keski_suomi": "Hankasalmi Joutsa Jyväskylä Jämsä Kannonkoski Karstula Keuruu Kinnula "
    "Kivijärvi Konnevesi Kyyjärvi Laukaa Luhanka Multia Muurame Petäjävesi Pihtipudas "
    "Saarijärvi Toivakka Uurainen Viitasaari Äänekoski",
    "etela_pohjanmaa": "Alajärvi Alavus Evijärvi Ilmajoki Isojoki Karijoki Kauhajoki Kauhava "
    "Kuortane Kurikka Lappajärvi Lapua Seinäjoki Soini Teuva Vimpeli Ähtäri",
    "pohjanmaa": "Isokyrö Kaskinen Korsnäs Kristiinankaupunki Kruunupyy Laihia Luoto Maalahti "
    "Mustasaari Närpiö Pedersören_kunta Pedersöre Pietarsaari Uusikaarlepyy Vaasa Vöyri "
    "Vasa Jakobstad Nykarleby Kristinestad Korsholm Kronoby Närpes Malax Vörå Larsmo",
    "keski_pohjanmaa": "Halsua Kannus Kaustinen Kokkola Lestijärvi Perho Toholampi Veteli Karleby",
    "pohjois_pohjanmaa": "Alavieska Haapajärvi Haapavesi Hailuoto Ii Kalajoki Kempele "
    "Kuusamo Kärsämäki Liminka Lumijoki Merijärvi Muhos Nivala Oulainen Oulu Pudasjärvi "
    "Pyhäjoki Pyhäjärvi Pyhäntä Raahe Reisjärvi Sievi Siikajoki Siikalatva Taivalkoski "
    "Tyrnävä Utajärvi Vaala Ylivieska Uleåborg",
    "kainuu": "Hyrynsalmi Kajaani Kuhmo Paltamo Puolanka Ristijärvi Sotkamo Suomussalmi",
    "lappi": "Enontekiö Inari Kemi Kemijärvi Keminmaa Kittilä Kolari Muonio Pelkosenniemi "
    "Pello Posio Ranua Rovaniemi Salla Savukoski Simo Sodankylä Tervola Tornio Utsjoki "
    "Ylitornio Torneå",
    "ahvenanmaa": "Brändö Eckerö Finström Föglö Geta Hammarland Jomala Kumlinge Kökar Lemland "
    "Lumparland Maarianhamina Mariehamn Saltvik Sottunga Sund Vårdö Värdö",
}

# City as stored -> region key; "_" in the lists above stands for a space in the name.
# Swedish names and a few merged municipalities (Honkajoki, Valtimo) are listed too.
CITY_REGION: dict[str, str] = {
    city.replace("_", " "): region
    for region, cities in _MUNICIPALITIES.items()
    for city in cities.split()
}

# Two-digit postal code prefixes that lie wholly within one region (Posti's numbering).
POSTAL_PREFIX_REGION: dict[str, str] = {
    prefix: region
    for region, prefixes in {
        "uusimaa": "00 01 02 04 06 08 10",
        "kanta_hame": "11 13",
        "paijat_hame": "15 18",
        "varsinais_suomi": "20 21 24 25",
        "ahvenanmaa": "22",
        "satakunta": "26 28",
        "pirkanmaa": "33 36 37",
        "keski_suomi": "40 41 43 44",
        "kymenlaakso": "45 46 48 49",
        "etela_savo": "50 57",
        "etela_karjala": "53 54 55",
        "etela_pohjanmaa": "60",
        "pohjanmaa": "65",
        "keski_pohjanmaa": "67",
        "pohjois_savo": "70",
        "pohjois_karjala": "80",
        "kainuu": "87 88 89",
        "pohjois_pohjanmaa": "90",
        "lappi": "94 95 96 97 98 99",
    }.items()
    for prefix in prefixes.split()
}

FINLAND = "FI"
NORDIC_COUNTRIES: frozenset[str] = frozenset({"SE", "NO", "DK", "IS"})

# Area key -> label, in the order the page lists them.
AREAS: dict[str, str] = {
    "finland": "Finland",
    "nordics": "Other Nordic countries",
    "eu_eea": "Rest of the EU/EEA",
    "outside_eea": "Outside the EU/EEA",
}

COUNTRY_NAMES: dict[str, str] = {
    "FI": "Finland",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "IS": "Iceland",
    "EE": "Estonia",
    "LV": "Latvia",
    "LT": "Lithuania",
    "DE": "Germany",
    "NL": "Netherlands",
    "BE": "Belgium",
    "FR": "France",
    "IE": "Ireland",
    "PL": "Poland",
    "AT": "Austria",
    "ES": "Spain",
    "IT": "Italy",
    "PT": "Portugal",
    "CH": "Switzerland",
    "GB": "United Kingdom",
    "US": "United States",
    "CA": "Canada",
    "JP": "Japan",
    "IN": "India",
}


def region_of(country: str | None, city: str | None, postal_code: str | None) -> str | None:
    """The region key of a Finnish address; None outside Finland or when nothing tells."""
    if country != FINLAND:
        return None
    if city and (region := CITY_REGION.get(city.strip())):
        return region
    return POSTAL_PREFIX_REGION.get((postal_code or "").strip()[:2])


def area_of(country: str) -> str:
    """Finland, the other Nordic countries, the rest of the EU/EEA, or outside it."""
    if country == FINLAND:
        return "finland"
    if country in NORDIC_COUNTRIES:
        return "nordics"
    return "eu_eea" if country in EEA else "outside_eea"


def countries_of_area(area: str) -> frozenset[str] | None:
    """The countries of an area; None for "outside the EU/EEA" (everything not listed)."""
    match area:
        case "finland":
            return frozenset({FINLAND})
        case "nordics":
            return NORDIC_COUNTRIES
        case "eu_eea":
            return EEA - NORDIC_COUNTRIES - {FINLAND}
        case _:
            return None


def region_label(region: str) -> str:
    return REGIONS[region][0]


def country_label(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)
