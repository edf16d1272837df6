""".env.example documents every setting, so it stays complete as settings are added."""

import re

from app.core.config import PROJECT_ROOT, Settings


def test_every_setting_has_a_line_in_env_example() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))

    missing = sorted(set(Settings.model_fields) - documented)

    assert missing == [], f"add these settings to .env.example: {missing}"
