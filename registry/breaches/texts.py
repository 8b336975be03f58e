"""The texts of a breach's documents, per language (fi, sv, en)."""

from __future__ import annotations

from registry.vocabulary import DataCategory

# --- the texts, per language ------------------------------------------------------------

_COMMON: dict[str, dict[str, str]] = {
    "en": {
        "date": "Date",
        "our_reference": "Our reference",
        "times_note": "All times are Helsinki time.",
        "at": "at",
    },
    "fi": {
        "date": "Päivämäärä",
        "our_reference": "Viitteemme",
        "times_note": "Kellonajat ovat Suomen aikaa.",
        "at": "klo",
    },
    "sv": {
        "date": "Datum",
        "our_reference": "Vår referens",
        "times_note": "Tiderna anges i finsk tid.",
        "at": "kl.",
    },
}

NOTIFICATION_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "doc_type": "NOTIFICATION OF A PERSONAL DATA BREACH",
        "article": "GDPR Art. 33",
        "to": "To",
        "title": "Notification of a personal data breach",
        "intro": "{controller} notifies a personal data breach under Article 33 of the "
        "General Data Protection Regulation.",
        "h_controller": "1. Controller and contact point (Art. 33(3)(b))",
        "controller": "Controller",
        "contact_point": "Contact point",
        "h_nature": "2. Nature of the breach (Art. 33(3)(a))",
        "summary": "What happened",
        "description": "Description",
        "source": "Where it happened",
        "occurred": "Happened",
        "ended": "Ended",
        "not_ended": "Not ended, or its end is not known",
        "aware": "The controller became aware",
        "deadline": "72-hour deadline",
        "notified_at": "Notified",
        "delay": "Reasons for the delay (Art. 33(1))",
        "h_persons": "3. Persons and records concerned (Art. 33(3)(a))",
        "persons_total": "Persons concerned (approximately)",
        "records_total": "Personal data records concerned (approximately)",
        "counted": "Counted on {when} from the registry's own disclosure records and audit "
        "trail, for the breach window {start} – {end}.",
        "window_open": "The end of the breach is not recorded: the window runs to the time "
        "of counting.",
        "records_note": "A record is one person's data in one category.",
        "not_counted": "The persons concerned have not been counted yet; the numbers will "
        "follow in phases (Art. 33(4)).",
        "category": "Data category",
        "relationship": "Relationship to the controller",
        "country": "Country",
        "persons": "Persons",
        "h_consequences": "4. Likely consequences (Art. 33(3)(c))",
        "h_measures": "5. Measures taken or proposed (Art. 33(3)(d))",
        "in_phases": "Not known yet; this will follow in phases (Art. 33(4)).",
        "h_risk": "6. Assessment of the risk to persons",
        "not_assessed": "The risk has not been assessed yet.",
        "h_persons_told": "7. Communication to the persons concerned (Art. 34)",
        "told": "The persons were told on {when}: {how}.",
        "not_told": "The persons are not told one by one: {reason}",
        "undecided": "Not decided yet.",
        "signature": "On behalf of the controller",
    },
    "fi": {
        "doc_type": "ILMOITUS HENKILÖTIETOJEN TIETOTURVALOUKKAUKSESTA",
        "article": "Tietosuoja-asetuksen 33 artikla",
        "to": "Vastaanottaja",
        "title": "Ilmoitus henkilötietojen tietoturvaloukkauksesta",
        "intro": "{controller} ilmoittaa henkilötietojen tietoturvaloukkauksesta EU:n "
        "yleisen tietosuoja-asetuksen 33 artiklan mukaisesti.",
        "h_controller": "1. Rekisterinpitäjä ja yhteyspiste (33 artiklan 3 kohdan b alakohta)",
        "controller": "Rekisterinpitäjä",
        "contact_point": "Yhteyspiste",
        "h_nature": "2. Loukkauksen luonne (33 artiklan 3 kohdan a alakohta)",
        "summary": "Mitä tapahtui",
        "description": "Kuvaus",
        "source": "Missä loukkaus tapahtui",
        "occurred": "Tapahtui",
        "ended": "Päättyi",
        "not_ended": "Ei ole päättynyt, tai päättymisaika ei ole tiedossa",
        "aware": "Rekisterinpitäjä sai tiedon",
        "deadline": "72 tunnin määräaika",
        "notified_at": "Ilmoitettu",
        "delay": "Viivästyksen syyt (33 artiklan 1 kohta)",
        "h_persons": "3. Rekisteröidyt ja tietueet, joita loukkaus koskee "
        "(33 artiklan 3 kohdan a alakohta)",
        "persons_total": "Rekisteröityjä (arviolta)",
        "records_total": "Henkilötietotietueita (arviolta)",
        "counted": "Laskettu {when} rekisterin omista luovutus- ja lokitiedoista "
        "loukkauksen ajalta {start} – {end}.",
        "window_open": "Loukkauksen päättymistä ei ole kirjattu: aika on laskettu "
        "laskentahetkeen asti.",
        "records_note": "Tietue on yhden henkilön tiedot yhdessä henkilötietoryhmässä.",
        "not_counted": "Rekisteröityjä ei ole vielä laskettu; luvut toimitetaan "
        "vaiheittain (33 artiklan 4 kohta).",
        "category": "Henkilötietoryhmä",
        "relationship": "Suhde rekisterinpitäjään",
        "country": "Maa",
        "persons": "Henkilöitä",
        "h_consequences": "4. Todennäköiset seuraukset (33 artiklan 3 kohdan c alakohta)",
        "h_measures": "5. Toteutetut tai ehdotetut toimenpiteet (33 artiklan 3 kohdan d alakohta)",
        "in_phases": "Ei vielä tiedossa; tiedot toimitetaan vaiheittain (33 artiklan 4 kohta).",
        "h_risk": "6. Arvio rekisteröityihin kohdistuvasta riskistä",
        "not_assessed": "Riskiä ei ole vielä arvioitu.",
        "h_persons_told": "7. Ilmoittaminen rekisteröidyille (34 artikla)",
        "told": "Rekisteröidyille ilmoitettiin {when}: {how}.",
        "not_told": "Rekisteröidyille ei ilmoiteta henkilökohtaisesti: {reason}",
        "undecided": "Ei vielä päätetty.",
        "signature": "Rekisterinpitäjän puolesta",
    },
    "sv": {
        "doc_type": "ANMÄLAN OM PERSONUPPGIFTSINCIDENT",
        "article": "Artikel 33 i dataskyddsförordningen",
        "to": "Till",
        "title": "Anmälan om personuppgiftsincident",
        "intro": "{controller} anmäler en personuppgiftsincident enligt artikel 33 i EU:s "
        "allmänna dataskyddsförordning.",
        "h_controller": "1. Personuppgiftsansvarig och kontaktpunkt (artikel 33.3 b)",
        "controller": "Personuppgiftsansvarig",
        "contact_point": "Kontaktpunkt",
        "h_nature": "2. Incidentens art (artikel 33.3 a)",
        "summary": "Vad som hände",
        "description": "Beskrivning",
        "source": "Var incidenten inträffade",
        "occurred": "Inträffade",
        "ended": "Upphörde",
        "not_ended": "Har inte upphört, eller tidpunkten är okänd",
        "aware": "Den personuppgiftsansvarige fick kännedom",
        "deadline": "Tidsfrist på 72 timmar",
        "notified_at": "Anmäld",
        "delay": "Skälen till förseningen (artikel 33.1)",
        "h_persons": "3. Berörda registrerade och registerposter (artikel 33.3 a)",
        "persons_total": "Registrerade (ungefär)",
        "records_total": "Personuppgiftsposter (ungefär)",
        "counted": "Beräknat {when} utifrån registrets egna uppgifter om utlämnanden och "
        "loggar, för incidentperioden {start} – {end}.",
        "window_open": "Incidentens slut har inte registrerats: perioden har räknats fram "
        "till beräkningstillfället.",
        "records_note": "En registerpost är en persons uppgifter i en kategori.",
        "not_counted": "De registrerade har ännu inte räknats; uppgifterna lämnas i "
        "omgångar (artikel 33.4).",
        "category": "Kategori av personuppgifter",
        "relationship": "Relation till den personuppgiftsansvarige",
        "country": "Land",
        "persons": "Personer",
        "h_consequences": "4. Sannolika konsekvenser (artikel 33.3 c)",
        "h_measures": "5. Vidtagna eller föreslagna åtgärder (artikel 33.3 d)",
        "in_phases": "Ännu inte känt; uppgifterna lämnas i omgångar (artikel 33.4).",
        "h_risk": "6. Bedömning av risken för de registrerade",
        "not_assessed": "Risken har ännu inte bedömts.",
        "h_persons_told": "7. Information till de registrerade (artikel 34)",
        "told": "De registrerade informerades {when}: {how}.",
        "not_told": "De registrerade informeras inte var för sig: {reason}",
        "undecided": "Ännu inte beslutat.",
        "signature": "För den personuppgiftsansvarige",
    },
}

LETTER_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "doc_type": "NOTICE OF A PERSONAL DATA BREACH",
        "article": "GDPR Art. 34",
        "title": "A data breach has affected your personal data",
        "greeting": "Dear {name},",
        "greeting_any": "Dear recipient,",
        "intro": "We are writing to tell you that a data breach at {controller} has affected "
        "your personal data. We are sorry that this happened.",
        "h_what": "What happened",
        "when": "It happened on {occurred}, and we found out about it on {aware}.",
        "h_data": "Which of your data it concerns",
        "h_consequences": "What it may mean for you",
        "h_measures": "What we have done",
        "not_yet_known": "We do not know this yet. We will tell you when we do.",
        "h_you": "What you can do",
        "advice": "Be careful with unexpected messages, calls and letters that mention us or "
        "ask for your personal details, passwords or payments.",
        "advice_password": "If you use the Click2Contract service, change your password.",
        "h_contact": "Whom to contact",
        "contact": "If you have questions, contact {contact_name}, {contact_email}, "
        "{controller}, {address}. Please quote the reference {reference}.",
        "complaint": "You also have the right to complain to the supervisory authority: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Yours sincerely,",
    },
    "fi": {
        "doc_type": "ILMOITUS TIETOTURVALOUKKAUKSESTA",
        "article": "Tietosuoja-asetuksen 34 artikla",
        "title": "Tietoturvaloukkaus on koskenut henkilötietojasi",
        "greeting": "Hyvä {name}",
        "greeting_any": "Hyvä vastaanottaja",
        "intro": "Kerromme tällä kirjeellä, että {controller} on joutunut "
        "tietoturvaloukkauksen kohteeksi ja että loukkaus koskee myös sinun "
        "henkilötietojasi. Pahoittelemme tapahtunutta.",
        "h_what": "Mitä tapahtui",
        "when": "Loukkaus tapahtui {occurred}, ja saimme siitä tiedon {aware}.",
        "h_data": "Mitä tietojasi se koskee",
        "h_consequences": "Mitä se voi merkitä sinulle",
        "h_measures": "Mitä olemme tehneet",
        "not_yet_known": "Emme tiedä sitä vielä. Kerromme, kun tiedämme.",
        "h_you": "Mitä voit tehdä",
        "advice": "Suhtaudu varauksella odottamattomiin viesteihin, puheluihin ja kirjeisiin, "
        "joissa viitataan meihin tai pyydetään henkilötietojasi, salasanojasi tai maksuja.",
        "advice_password": "Jos käytät Click2Contract-palvelua, vaihda salasanasi.",
        "h_contact": "Keneen voit ottaa yhteyttä",
        "contact": "Jos sinulla on kysyttävää, ota yhteyttä: {contact_name}, "
        "{contact_email}, {controller}, {address}. Mainitse viite {reference}.",
        "complaint": "Sinulla on myös oikeus tehdä valitus valvontaviranomaiselle: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Ystävällisin terveisin",
    },
    "sv": {
        "doc_type": "MEDDELANDE OM PERSONUPPGIFTSINCIDENT",
        "article": "Artikel 34 i dataskyddsförordningen",
        "title": "En personuppgiftsincident har berört dina personuppgifter",
        "greeting": "Bästa {name}",
        "greeting_any": "Bästa mottagare",
        "intro": "Vi vill meddela att en personuppgiftsincident hos {controller} har berört "
        "dina personuppgifter. Vi beklagar det som har hänt.",
        "h_what": "Vad som hände",
        "when": "Incidenten inträffade {occurred}, och vi fick kännedom om den {aware}.",
        "h_data": "Vilka uppgifter om dig den gäller",
        "h_consequences": "Vad den kan innebära för dig",
        "h_measures": "Vad vi har gjort",
        "not_yet_known": "Det vet vi ännu inte. Vi meddelar dig när vi vet.",
        "h_you": "Vad du kan göra",
        "advice": "Var försiktig med oväntade meddelanden, samtal och brev som hänvisar till "
        "oss eller ber om dina personuppgifter, lösenord eller betalningar.",
        "advice_password": "Om du använder tjänsten Click2Contract, byt ditt lösenord.",
        "h_contact": "Vem du kan kontakta",
        "contact": "Om du har frågor, kontakta {contact_name}, {contact_email}, "
        "{controller}, {address}. Ange referensen {reference}.",
        "complaint": "Du har också rätt att lämna in klagomål till tillsynsmyndigheten: "
        "{authority}, {authority_address}, {website}.",
        "closing": "Med vänliga hälsningar",
    },
}

# The authority by its name in each language; its address and website are declared.
AUTHORITY_NAMES = {
    "fi": "Tietosuojavaltuutetun toimisto",
    "sv": "Dataombudsmannens byrå",
}

CATEGORY_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        DataCategory.BASIC: "Basic information (name and contact details)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Customer relationship (orders, marketing "
        "permissions and prohibitions, communications)",
        DataCategory.SERVICE_USER: "Click2Contract service user data (username, password "
        "stored as a one-way hash, location, what you gave in the app)",
        DataCategory.TRANSACTIONS: "Transactions and behaviour (website visits, newsletter "
        "opens, events, customer service contacts)",
    },
    "fi": {
        DataCategory.BASIC: "Perustiedot (nimi ja yhteystiedot)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Asiakassuhteen tiedot (tilaukset, "
        "suoramarkkinointiluvat ja -kiellot, yhteydenpito)",
        DataCategory.SERVICE_USER: "Click2Contract-palvelun käyttäjätiedot (käyttäjätunnus, "
        "salasana tiivisteenä, sijainti, sovellukseen antamasi tiedot)",
        DataCategory.TRANSACTIONS: "Asiointi- ja käyttäytymistiedot (verkkosivukäynnit, "
        "uutiskirjeiden avaukset, tapahtumat, asiakaspalveluyhteydet)",
    },
    "sv": {
        DataCategory.BASIC: "Grunduppgifter (namn och kontaktuppgifter)",
        DataCategory.CUSTOMER_RELATIONSHIP: "Uppgifter om kundrelationen (beställningar, "
        "tillstånd och förbud för direktmarknadsföring, kommunikation)",
        DataCategory.SERVICE_USER: "Användaruppgifter i tjänsten Click2Contract "
        "(användarnamn, lösenord som hashvärde, plats, uppgifter du lämnat i appen)",
        DataCategory.TRANSACTIONS: "Transaktions- och beteendeuppgifter (webbplatsbesök, "
        "öppnade nyhetsbrev, evenemang, kontakter med kundtjänsten)",
    },
}
RELATIONSHIP_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "customer_contact": "Contact persons of customers",
        "service_user": "Click2Contract service users",
        "other_connection": "Other persons connected to the controller",
        "marketing_opt_in": "Persons who approved marketing",
    },
    "fi": {
        "customer_contact": "Asiakkaiden yhteyshenkilöt",
        "service_user": "Click2Contract-palvelun käyttäjät",
        "other_connection": "Muut rekisterinpitäjään yhteydessä olevat henkilöt",
        "marketing_opt_in": "Markkinointiin suostuneet henkilöt",
    },
    "sv": {
        "customer_contact": "Kunders kontaktpersoner",
        "service_user": "Användare av tjänsten Click2Contract",
        "other_connection": "Andra personer med anknytning till den personuppgiftsansvarige",
        "marketing_opt_in": "Personer som godkänt marknadsföring",
    },
}
RISK_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "no_risk": "Unlikely to result in a risk to the persons",
        "risk": "A risk to the persons",
        "high_risk": "A high risk to the persons",
    },
    "fi": {
        "no_risk": "Ei todennäköisesti aiheuta riskiä rekisteröidyille",
        "risk": "Riski rekisteröidyille",
        "high_risk": "Korkea riski rekisteröidyille",
    },
    "sv": {
        "no_risk": "Medför sannolikt ingen risk för de registrerade",
        "risk": "En risk för de registrerade",
        "high_risk": "En hög risk för de registrerade",
    },
}
SOURCE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "recipient": "At a recipient of the data: {name}",
        "internal_system": "In an internal system: {name}",
        "lost_device": "A lost or stolen device: {name}",
        "dashboard_account": "A misused user account of the registry's dashboard",
    },
    "fi": {
        "recipient": "Tietojen vastaanottajalla: {name}",
        "internal_system": "Sisäisessä järjestelmässä: {name}",
        "lost_device": "Kadonnut tai varastettu laite: {name}",
        "dashboard_account": "Rekisterin hallintasovelluksen väärinkäytetty käyttäjätili",
    },
    "sv": {
        "recipient": "Hos en mottagare av uppgifterna: {name}",
        "internal_system": "I ett internt system: {name}",
        "lost_device": "En förlorad eller stulen enhet: {name}",
        "dashboard_account": "Ett missbrukat användarkonto i registrets förvaltningsverktyg",
    },
}
EXEMPTION_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "encrypted": "the data was unintelligible to others (Art. 34(3)(a))",
        "risk_removed": "later measures ensure that the high risk is no longer likely "
        "(Art. 34(3)(b))",
        "public_notice": "a public communication is made instead (Art. 34(3)(c))",
    },
    "fi": {
        "encrypted": "tiedot olivat muille käsittämättömässä muodossa "
        "(34 artiklan 3 kohdan a alakohta)",
        "risk_removed": "myöhemmillä toimenpiteillä on varmistettu, ettei korkea riski enää "
        "todennäköisesti toteudu (34 artiklan 3 kohdan b alakohta)",
        "public_notice": "asiasta tiedotetaan julkisesti (34 artiklan 3 kohdan c alakohta)",
    },
    "sv": {
        "encrypted": "uppgifterna var obegripliga för andra (artikel 34.3 a)",
        "risk_removed": "senare åtgärder säkerställer att den höga risken sannolikt inte "
        "längre föreligger (artikel 34.3 b)",
        "public_notice": "ett offentligt meddelande lämnas i stället (artikel 34.3 c)",
    },
}
