"""Every command against a matrix of bad input: a clear message, a documented exit code, never a
traceback; with --json exactly one JSON document on stdout. In process (drctl.cli.main.run)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drctl.cli.main import COMMANDS as LAZY_COMMANDS
from drctl.cli.main import run

DOCUMENTED = {0, 1, 2, 3, 4, 130}
# Commands that start long-lived processes: checked only for option parsing here.
LONG_LIVED = ("sandbox", "controller")


def leaf_commands() -> list[tuple[list[str], set[str]]]:
    """(argv prefix, option names) of every command drctl has."""
    found: list[tuple[list[str], set[str]]] = []

    def walk(command: object, path: list[str]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, [*path, name])
            return
        params = getattr(command, "params", [])
        found.append((path, {o for p in params for o in getattr(p, "opts", [])}))

    for lazy in LAZY_COMMANDS:
        walk(lazy.load(), [lazy.name])
    return found


COMMANDS = leaf_commands()
IDS = [" ".join(path) for path, _ in COMMANDS]


def call(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out, (argv, err)
    assert code in DOCUMENTED, (argv, code, err)
    return code, out, err


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_STATE_DIR", str(tmp_path / "state"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "DRCTL_STATE"):
        monkeypatch.delenv(name, raising=False)


def test_there_are_commands_to_check() -> None:
    assert {"failover", "plan", "validate", "reprotect"} <= {p[0] for p, _ in COMMANDS if p}


@pytest.mark.parametrize(("path", "opts"), COMMANDS, ids=IDS)
def test_an_unknown_option_is_a_usage_error(capsys, path, opts) -> None:
    code, out, err = call(capsys, *path, "--no-such-option")
    assert code == 2 and "No such option: --no-such-option" in err
    if "--json" in opts:
        code, out, err = call(capsys, *path, "--no-such-option", "--json")
        assert json.loads(out) == {"error": "No such option: --no-such-option",
                                   "hint": f"see `drctl {' '.join(path[:2])} --help`",
                                   "exit_code": 2}


@pytest.mark.parametrize("argv", [["report", "--regression-factor", "0.5"],
                                  ["validate", "--playbok", "big.yaml"],
                                  ["report", "--kind", "drill", "--no-such-option"],
                                  ["runs", "show", "--format", "md", "--no-such-option"]])
def test_the_usage_hint_names_the_command_not_option_values(capsys, argv) -> None:
    code, _, err = call(capsys, *argv)
    words = [a for a in argv if not a.startswith("-")]
    command = " ".join(words[:2] if argv[0] == "runs" else words[:1])
    assert code == 2 and f"hint: see `drctl {command} --help`" in err, err
    code, out, _ = call(capsys, *command.split(), "--help")
    assert code == 0 and "Usage:" in out  # the hint works


def test_a_bad_estate_size_is_refused_before_starting(capsys) -> None:
    code, out, err = call(capsys, "sandbox", "up", "--estate-size", "huge")
    assert code == 2 and "'huge' is not a size" in err
    assert "starting sandbox" not in out + err  # nothing claimed to start


@pytest.mark.parametrize(("path", "opts"), COMMANDS, ids=IDS)
def test_help_teaches_and_exits_0(capsys, path, opts) -> None:
    code, out, _ = call(capsys, *path, "--help")
    assert code == 0 and "Usage:" in out


PLAYBOOK_COMMANDS = [(p, o) for p, o in COMMANDS
                     if ("--playbook" in o) and p[0] not in LONG_LIVED]


@pytest.mark.parametrize(("path", "opts"), PLAYBOOK_COMMANDS,
                         ids=[" ".join(p) for p, _ in PLAYBOOK_COMMANDS])
@pytest.mark.parametrize("content", [b"name: caf\xe9\n", b"a: &a [*a]\n", b"- a list\n",
                                     b"name: x\nname: y\n"])
def test_a_bad_playbook_is_one_clear_error(capsys, tmp_path, path, opts, content) -> None:
    bad = tmp_path / "exp[prod].yaml"
    bad.write_bytes(content)
    args = [*path, "--playbook", str(bad)] + (["--json"] if "--json" in opts else [])
    args += ["--region", "us-west-2"] if "--region" in opts else []
    code, out, err = call(capsys, *args)
    assert "unexpected" not in err, err  # the catch-all for bugs
    assert "exp.yaml" not in err  # a file name is printed verbatim, never as rich markup
    if code == 0 or "exp[" not in err:
        return  # the playbook was not needed, or another argument is required first
    assert code == 2, err
    if "--json" in opts:
        document = json.loads(out)
        assert document["exit_code"] == code and "exp[prod].yaml" in document["error"]


@pytest.mark.parametrize("args", [["runs", "list"], ["runs", "show", "x"],
                                  ["failover", "--resume", "x"], ["approve", "x"]])
def test_an_unusable_state_dir_is_invalid_input(capsys, tmp_path, args) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    code, _, err = call(capsys, "--state-dir", str(not_a_dir / "state"), *args)
    assert code == 2 and "state directory" in err and "--state-dir" in err


class _NotAws(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>captive portal</body></html>")

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An endpoint on loopback that answers like a captive portal, not like AWS."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAws)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.parametrize("args", [["plan", "--region", "us-west-2"], ["validate"],
                                  ["reprotect", "--region", "us-east-1"]])
def test_an_endpoint_that_is_not_aws_is_one_clear_error(capsys, not_aws, args) -> None:
    root = Path(__file__).resolve().parents[2]
    book = str(root / "playbooks/roadtrip.yaml")
    code, out, err = call(capsys, *args, *([book] if args == ["validate"] else ["--playbook",
                                                                               book]))
    assert code in (1, 2, 4), err
    # validate lists each problem once (stdout), and its error line counts them.
    assert "not an AWS response" in out + err or "failed" in err, out + err


def test_version_is_printed(capsys) -> None:
    code, out, _ = call(capsys, "--version")
    assert code == 0 and out.startswith("drctl ")


@pytest.mark.parametrize(("args", "message"), [
    (["runs", "list", "--kind", "bogus"], "--kind 'bogus' is not a kind of run"),
    (["iam-policy", "--account-id", "abc"], "--account-id 'abc' is not an AWS account id"),
])
def test_polish_bad_values_are_refused(capsys, args, message) -> None:
    code, _, err = call(capsys, *args)
    assert code == 2 and message in err
