"""Every limit and threshold of the registry, in one place (Datasette's habit).

Pages and domain modules import these names; none of them hard-codes a number.
"""

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

# The controller is Finnish: receipt dates and "today" are read in Helsinki time.
REGISTRY_TZ = ZoneInfo("Europe/Helsinki")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEMO_DATABASE_PATH = DATA_DIR / "registry.db"
DECLARATION_PATH = DATA_DIR / "registry.toml"
# Where the declaration is read from instead (a deployment's own copy, or a test's).
DECLARATION_ENV_VAR = "REGISTRY_DECLARATION"


def declaration_path() -> Path:
    return Path(os.environ.get(DECLARATION_ENV_VAR) or DECLARATION_PATH)


# The embedded demo: how big it is and how it is seeded.
DEMO_PERSONS = 2_000
DEMO_RANDOM_SEED = 2026

# Sign-in throttling (issue 18), not a lock-out that anyone could trigger against a real user:
# failures are counted per typed username (whether or not an account has it) and per client
# address. After a key's free failures, each further one makes that key's next attempt wait,
# doubling from SIGN_IN_FIRST_WAIT up to SIGN_IN_MAX_WAIT; an attempt inside the wait is
# refused unchecked with the same answer as a wrong password. A count is forgotten after
# SIGN_IN_FORGET_AFTER without failures; a successful sign-in clears its username's count.
# Here and not in data/registry.toml: that file declares the registry as the law asks (purposes,
# periods); these are operating limits like the idle timeout, set by whoever runs the server.
SIGN_IN_USERNAME_FREE_FAILURES = 5
SIGN_IN_CLIENT_FREE_FAILURES = 20
SIGN_IN_FIRST_WAIT = timedelta(seconds=5)
SIGN_IN_MAX_WAIT = timedelta(minutes=5)
SIGN_IN_FORGET_AFTER = timedelta(hours=1)
# Reverse proxies whose X-Forwarded-For header names the real client (README: deployment);
# a comma-separated list in REGISTRY_TRUSTED_PROXIES replaces the loopback default.
TRUSTED_PROXIES = tuple(
    a.strip()
    for a in (os.environ.get("REGISTRY_TRUSTED_PROXIES") or "127.0.0.1,::1").split(",")
    if a.strip()
)
# 30 minutes idle ends a session.
IDLE_TIMEOUT = timedelta(minutes=30)
# How often an open page checks for idle expiry, so an unattended screen stops showing data.
IDLE_CHECK_INTERVAL = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200

# Tables and exports.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SEARCH_RESULTS = 20
EXPORT_BATCH_ROWS = 5_000
AUDIT_EXPORT_MAX_ROWS = 100_000
# The audit page's user, action and record-type drop-downs list at most this many values.
AUDIT_FILTER_CHOICES = 500
# The audit page opens on this many recent days.
AUDIT_DEFAULT_DAYS = 30
# Its chart of actions per day draws this many users; the rest are summed as one series.
AUDIT_CHART_USERS = 12

# Caches: bounded in number and age, to bound memory; a write anywhere is seen at the next
# run through the data version (registry/data_version.py), whatever the age.
CACHE_TTL_SECONDS = 300
# How long a SQLite write waits for another writer before it gives up as busy.
SQLITE_BUSY_TIMEOUT_MS = 10_000
CACHE_MAX_ENTRIES = 64

# Free text: nothing unbounded is stored.
MAX_NAME_LENGTH = 100
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2_000

# Person fields (issue 7): the widths of their columns, and how a phone number is read.
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit
MAX_POSTAL_CODE_LENGTH = 12
MAX_GENDER_LENGTH = 20
PHONE_DEFAULT_REGION = "FI"  # a number without +country code is read as Finnish
PERSON_RECENT_ROWS = 20  # orders and activities shown on the person page
EMPLOYER_CHOICES = 200  # organisations offered at once by the employer picker

# Consent page (issue 5): how many months the opt-in/opt-out chart covers.
CONSENT_TREND_MONTHS = 24

# Segments (issue 4). Order value bands (recency, frequency, monetary), decided in this order:
# new = first order within VALUE_NEW_DAYS; champions = last order within VALUE_CHAMPION_DAYS,
# at least VALUE_CHAMPION_ORDERS orders and VALUE_CHAMPION_EUR in total; loyal = last order
# within VALUE_ACTIVE_DAYS and at least VALUE_LOYAL_ORDERS orders; occasional = any other order
# within VALUE_ACTIVE_DAYS; at risk = a loyal customer's last order within VALUE_AT_RISK_DAYS;
# lapsed = the rest of those who ever ordered.
VALUE_NEW_DAYS = 90
VALUE_CHAMPION_DAYS = 180
VALUE_CHAMPION_ORDERS = 4
VALUE_CHAMPION_EUR = 15_000
VALUE_ACTIVE_DAYS = 365
VALUE_LOYAL_ORDERS = 3
VALUE_AT_RISK_DAYS = 730
# Engagement: opened a newsletter, attended an event, used the app within so many days.
NEWSLETTER_READER_DAYS = 180
EVENT_ATTENDEE_DAYS = 365
ACTIVE_APP_USER_DAYS = 90
SEGMENT_TOP_POSITIONS = 12  # built-in segments for the most common positions
SEGMENT_MAX_FILTERS = 30
SEGMENT_MAX_NUMBER = 1_000_000_000  # no order total or day count is larger
SEGMENT_MAX_SEARCH_WORDS = 5
# Per-transaction PostgreSQL memory for the segment scans' hash joins and aggregates.
SEGMENT_WORK_MEM = "128MB"
# ...and the cap for the statements that group them by several sets of values at once
# (GROUPING SETS): the planner guesses millions of groups and would sort a million rows to
# disk; the real hash tables hold a few thousand groups, a few megabytes.
SEGMENT_GROUPING_MEM = "1GB"
# Parallel workers per segment statement. Each worker of a parallel plan builds its own copy
# of the per-person consent masks (registry.marketing_basis: 1.8 million consent_state rows
# grouped) and of the own-customer set, so a plan with two workers does that work three
# times over to split only the cheap scan of the persons; on the 2-core server it costs
# more than it saves (benchmarks/RESULTS.md, issue 17). 0: one process per statement.
SEGMENT_PARALLEL_WORKERS = 0
SEGMENT_RECENT_EXPORTS = 5  # the exporter's own latest exports listed under the download

# Disclosures (issue 8): a disclosure recorded by hand names at most this many person ids.
MANUAL_DISCLOSURE_MAX_PERSONS = 10_000

# Requests queue colouring (issue 6).
DUE_SOON_DAYS = 7
# Requests queue (issue 6): age bands of the open-requests chart (upper bounds in days since
# receipt), the window of the median-days-to-close figure, and the CSV export's cap.
REQUEST_AGE_BANDS_DAYS = (7, 14, 21, 31)
REQUEST_CLOSE_WINDOW_DAYS = 90
REQUEST_EXPORT_MAX_ROWS = 100_000

# Backups (issue 10).
BACKUP_MAX_AGE = timedelta(hours=24)
# The retention schedule runs nightly (README): the Retention page warns when the newest
# completed run is older than this.
RETENTION_MAX_AGE = timedelta(hours=36)
# Where backups go: always from the page, from the command line unless --out says otherwise.
BACKUP_DIR = Path(os.environ.get("REGISTRY_BACKUP_DIR") or DATA_DIR / "backups")
# pg_dump gives up instead of queueing behind a lock (a migration) and hanging a nightly job.
BACKUP_LOCK_WAIT_TIMEOUT = timedelta(minutes=1)
# A browser download passes through the app's memory; bigger files are fetched from the server.
BACKUP_DOWNLOAD_MAX_BYTES = 256 * 1024 * 1024
# The Backups page counts and charts the backups of this many recent days.
BACKUP_HISTORY_DAYS = 30

# Breaches (issue 22). The register and the Overview colour an open breach's clock amber
# when fewer than this many of the 72 hours (Art. 33(1)) are left, red when none are.
BREACH_CLOCK_AMBER_HOURS = 24
# Planner settings (SET LOCAL) for the statements that read every person once, joined in
# person id order to the distinct person ids of each table that marks a data category.
BREACH_PLANNER = {"jit": "off", "max_parallel_workers_per_gather": "0"}
# Planner settings (SET LOCAL) for the retention listing's statements. Their cost estimates
# pass PostgreSQL's JIT thresholds, and compiling them took longer (1.4-1.8 s a statement at
# 1,000,000 persons) than running them; parallel workers are left on, as they pay off here.
RETENTION_PLANNER = {"jit": "off"}

# Imports (issue 19). Files are read in blocks and rows validated and staged in chunks, so
# memory stays flat whatever the file's size.
IMPORT_READ_BYTES = 1 << 20
IMPORT_CHUNK_ROWS = 10_000
IMPORT_DELIMITER_SAMPLE_ROWS = 50  # rows read to tell a comma from a semicolon
IMPORT_MEMO_SIZE = 50_000  # answers kept per check, for columns whose values repeat
IMPORT_PREVIEW_ROWS = 10
IMPORT_REJECTS_SHOWN = 200  # rejects listed on the page; the download has every one
IMPORT_RECENT_RUNS = 20
# An import's audit event names the persons it added or changed, by id, up to this many.
IMPORT_AUDIT_MAX_IDS = 50
# PostgreSQL memory for an import's staging table (temp_buffers; used only as it fills).
IMPORT_TEMP_BUFFERS = "256MB"
# An upload on the server, and its rejects report, are removed after this long at the latest.
IMPORT_UPLOAD_KEPT = timedelta(hours=2)
# Art. 14(3)(a): a person whose data came from a third party is told within one month.
INFORM_WITHIN_MONTHS = 1
