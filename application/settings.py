"""Settings, read from the environment (``LEDGER_*``) or a ``.env`` file.

Only what the operator of a deployment chooses lives here; the composition root turns these
settings into the objects the service runs on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///ledger.db",
        description=(
            "Where the ledger lives: sqlite:///relative/path.db, sqlite:////absolute/path.db, "
            "postgresql://user:password@host:port/dbname[?schema=name], or memory:// "
            "(nothing kept after the process ends)."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
