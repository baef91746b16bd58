"""The whole service as one FastStream app, configured from ALPES_* variables.

For `faststream docs gen workers.app:app` (the AsyncAPI document) and
`faststream run workers.app:app`; `alpes worker run NAME` runs one worker instead.
"""

from .bootstrap import WORKERS, build
from .settings import Settings

_settings = Settings()
app = build(_settings, _settings.pulsar_url or "pulsar://localhost:6650", WORKERS).app
