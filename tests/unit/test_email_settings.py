"""The email settings, and the SMTP URL they carry."""

from __future__ import annotations

import pytest

from infrastructure.mail.smtp import SmtpServer
from infrastructure.settings import Settings, SettingsError


def test_the_default_writes_mail_to_files() -> None:
    settings = Settings.from_env({})
    assert (settings.email, settings.email_dir, settings.smtp_url) == ("file", "var/mail", None)
    assert "@" in settings.email_from


def test_smtp_needs_a_url_and_keeps_its_password_out_of_messages() -> None:
    with pytest.raises(SettingsError, match="HOLDFAST_SMTP_URL"):
        Settings.from_env({"HOLDFAST_EMAIL": "smtp"})
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"HOLDFAST_SMTP_URL": "http://user:hunter2@mail.example.com"})
    assert "hunter2" not in str(caught.value)
    settings = Settings.from_env(
        {"HOLDFAST_EMAIL": "SMTP", "HOLDFAST_SMTP_URL": "smtp://u:p@mail.example.com:587?starttls=true"}
    )
    assert settings.email == "smtp"


@pytest.mark.parametrize(
    ("name", "value"),
    [("HOLDFAST_EMAIL", "carrier-pigeon"), ("HOLDFAST_EMAIL_FROM", "nobody"), ("HOLDFAST_SMTP_URL", "smtp://h:x")],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_smtp_urls() -> None:
    plain = SmtpServer.from_url("smtp://mail.internal:25?starttls=false")
    assert (plain.host, plain.port, plain.username, plain.implicit_tls, plain.starttls) == (
        "mail.internal",
        25,
        None,
        False,
        False,
    )
    submission = SmtpServer.from_url("smtp://me%40example.com:p%3Ass@mail.example.com?starttls=1")
    assert (submission.port, submission.username, submission.password, submission.starttls) == (
        587,
        "me@example.com",
        "p:ss",
        True,
    )
    tls = SmtpServer.from_url("smtps://mail.example.com")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, None)
