"""The OPAWG patterns kept in analytics/data/: apps named, bots left out, and the refresh command that
replaces them from a downloaded copy only when the whole copy is sound."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from analytics.useragents import BOT, DATA_DIR, FILES, check_folder, identify

APPS = {
    "Podcasts/1650.20 CFNetwork/1494.0.7 Darwin/23.4.0": "Apple Podcasts",
    "Spotify/8.9.36 iOS/17.4.1 (iPhone15,3)": "Spotify",
    "Pocket Casts": "Pocket Casts",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)": "Overcast",
    "AntennaPod/3.3.2": "AntennaPod",
    "Podcast Addict - v2024.5 - Android": "Podcast Addict",
    "Castro 2021.2/1301": "Castro",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
    "Safari/537.36": "Chrome",
}


@pytest.mark.parametrize(("user_agent", "name"), APPS.items())
def test_apps_are_recognised(user_agent, name):
    agent = identify(user_agent)
    assert (agent.name, agent.is_bot) == (name, False)


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "atc/1.0 watchOS/7.1 model/Watch5,4 hwp/t8006 build/18R590 (6; dt:202)",  # Apple Podcasts' watch sync
        "(null)/(null) watchOS/5.0.1 model/Watch3,3 hwp/t8004 build/16R381 (6; dt:155)",
    ],
)
def test_bots_and_apple_watch_syncs_are_bots(user_agent):
    assert identify(user_agent).kind == BOT


def test_overcast_on_the_watch_is_an_app_on_a_watch():
    agent = identify("Overcast (+http://overcast.fm/; Apple Watch podcast app)")
    assert (agent.name, agent.kind, agent.device_category) == ("Overcast", "app", "watch")


def test_a_newline_cannot_split_a_user_agent_into_another():
    assert identify("Mozilla/5.0 (compatible; Google\nbot/2.1; +http://www.google.com/bot.html)").is_bot
    assert identify("Overcast/3.0\r\n").name == "Overcast"


def test_the_kept_files_pass_their_own_checks():
    counts = check_folder(DATA_DIR)
    assert counts["bots"] > 200 and counts["apps"] > 500
    assert (DATA_DIR / "LICENSE").read_text().startswith("MIT License")


@pytest.fixture
def copies(tmp_path, settings):
    """The kept files copied twice: ``installed`` (where the site reads them, through the setting) and
    ``download`` (what an operator fetched)."""
    installed, download = tmp_path / "installed", tmp_path / "download" / "src"
    for folder in (installed, download):
        folder.mkdir(parents=True)
        for name in FILES:
            shutil.copy(DATA_DIR / f"{name}.json", folder / f"{name}.json")
    shutil.copy(DATA_DIR / "README.md", installed / "README.md")
    settings.ANALYTICS_USER_AGENTS_DIR = str(installed)
    return installed, download


def edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_refresh_replaces_the_files_with_a_sound_download(copies, capsys):
    installed, download = copies
    edit(
        download / "apps.json",
        lambda data: data["entries"].insert(
            0, {"name": "Coproduction Player", "pattern": "^CoproPlayer/", "examples": ["CoproPlayer/1.0"]}
        ),
    )
    assert identify("CoproPlayer/1.0").name == ""

    call_command("refresh_user_agents", str(download.parent), "--commit", "0123abcd")

    assert identify("CoproPlayer/1.0").name == "Coproduction Player"
    assert "at commit `0123abcd`" in (installed / "README.md").read_text()
    assert "User-agent patterns replaced" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("bots.json", lambda d: d["entries"][0].update(pattern="(unclosed"), "is not valid"),
        ("apps.json", lambda d: d["entries"].append(dict(d["entries"][0])), "is used twice"),
        ("apps.json", lambda d: d.pop("entries"), "no 'entries' list"),
        ("apps.json", lambda d: d["entries"][5].update(pattern="^NothingLikeIt/"), "is matched by"),
        ("browsers.json", lambda d: d["entries"][0].pop("name"), "has no name"),
    ],
    ids=["bad-regex", "duplicate", "shape", "example", "no-name"],
)
def test_refresh_refuses_a_broken_download_and_replaces_nothing(copies, file, change, message):
    installed, download = copies
    edit(download / file, change)
    before = {name: (installed / f"{name}.json").read_bytes() for name in FILES}

    with pytest.raises(CommandError, match=message) as raised:
        call_command("refresh_user_agents", str(download))

    assert str(raised.value).startswith("Nothing was replaced: ")
    assert before == {name: (installed / f"{name}.json").read_bytes() for name in FILES}


def test_refresh_refuses_a_folder_without_the_files(tmp_path, copies):
    with pytest.raises(CommandError, match="bots.json, apps.json, .* missing"):
        call_command("refresh_user_agents", str(tmp_path / "installed" / ".."))


def test_refresh_refuses_a_file_that_is_not_json(copies):
    installed, download = copies
    (download / "devices.json").write_text("<html>Rate limited</html>")

    with pytest.raises(CommandError, match="devices.json: not a readable JSON file"):
        call_command("refresh_user_agents", str(download))
