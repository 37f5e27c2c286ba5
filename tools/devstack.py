"""The whole collector on one machine: DynamoDB Local, tables, demo petition, stream runners, local mail, API.

    python -m tools.devstack run          # what `make run` does
    python -m tools.devstack clean-data   # what `make clean-data` does

``DevStack`` is also the way tests get a running system:

    with DevStack(state_dir=tmp_path) as stack:
        requests.get(stack.base_url + "/petitions/demo/totals")

Every child gets its settings in its process environment (Chalice would
inject a configured stage's variables over ours, so the API runs under a
stage that .chalice/config.json does not define). Children ignore Ctrl-C
and die with their parent; the parent stops them in order: API, runners,
mail server, then the database, so the runners' last batches can finish.

Two stream runners read the signatures stream, as two functions do in AWS:
the tally and the verification mailer. The mailer sends over SMTP to the
local mail server (tools.local_mail), which keeps every message in
``mail/`` and lists them on a page (``.mail_url``).

Only the standard library is imported at module level, so ``clean-data``
runs before the virtualenv exists.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tools import fake_aws, siteverify_stub
from tools.ddblocal import DynamoDBLocal, child_setup, end_process, free_port, port_in_use
from tools.dev_state import clean_data, hold_lock, signature_secret, verify_token_secret

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
DEFAULT_TABLES = {
    "SIGNATURES_TABLE": "countersign-local-signatures",
    "PETITIONS_TABLE": "countersign-local-petitions",
    "TOTALS_TABLE": "countersign-local-totals-sharded",
    "ADMIN_TABLE": "countersign-local-admin",
    "AUDIT_TABLE": "countersign-local-audit",
}
# Where totals were kept before they were sharded per stream shard; copied over once if present.
LEGACY_TOTALS_TABLE = "countersign-local-totals"
# Not in .chalice/config.json, so `chalice local` adds only the global variables.
CHALICE_STAGE = "local"
MAIL_FROM = "Countersign <no-reply@countersign.localhost>"
# Who may sign in to /admin locally (ADMIN_ALLOWLIST overrides); `make run` prints it.
DEFAULT_ADMIN = "admin@countersign.localhost"
READY_TIMEOUT_SECONDS = 60


class DevStack:
    """DynamoDB Local (unless ``endpoint`` names one), tables, demo data, stream runner and API.

    ``state_dir`` holds the data (``dynamodb/``), the runner's checkpoints,
    the dev secret and, with ``quiet``, the children's logs. With
    ``persist=False`` DynamoDB Local keeps its data in memory.
    """

    def __init__(self, state_dir: Path, *, port: int | None = None, endpoint: str | None = None,
                 persist: bool = True, tables: dict[str, str] | None = None, seed_demo: bool = True,
                 quiet: bool = True, extra_env: dict[str, str] | None = None,
                 mail_port: int | None = None, smtp_port: int | None = None,
                 runner_args: list[str] | None = None):
        self.state_dir = Path(state_dir)
        self.port = port or free_port()
        self.mail_port = mail_port or free_port()
        self.smtp_port = smtp_port or free_port()
        self.siteverify_port = free_port()
        self.persist = persist
        self.tables = {**DEFAULT_TABLES, **(tables or {})}
        self.seed_demo = seed_demo
        self.quiet = quiet
        self.extra_env = extra_env or {}
        self.runner_args = runner_args or []  # e.g. ["--verbose", "--set", "MaximumBatchingWindowInSeconds=1"]
        self.database = None if endpoint else DynamoDBLocal(
            db_path=self.state_dir / "dynamodb" if persist else None,
            log_path=self.state_dir / "dynamodb.log")
        self._endpoint = endpoint
        self.runner: subprocess.Popen | None = None
        self.mail_runner: subprocess.Popen | None = None
        self.mail: subprocess.Popen | None = None
        self.siteverify: subprocess.Popen | None = None
        self.api: subprocess.Popen | None = None

    # -- addresses and environment --

    @property
    def endpoint(self) -> str:
        if self._endpoint:
            return self._endpoint
        assert self.database is not None, "no endpoint given and no DynamoDB Local started"
        return self.database.endpoint

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_url(self) -> str:
        """The local mail page."""
        return f"http://127.0.0.1:{self.mail_port}"

    @property
    def mail_dir(self) -> Path:
        """Where the local mail server writes each message as an .eml file."""
        return self.state_dir / "mail"

    @property
    def blocklist_file(self) -> Path:
        """The local blocklists (JSON; see chalicelib/fraud/blocklists.py); absent means none."""
        return self.state_dir / "blocklists.json"

    @property
    def env(self) -> dict[str, str]:
        env = fake_aws.environment(os.environ)
        env.update({
            "DYNAMODB_ENDPOINT": self.endpoint,
            "SIGNATURE_KEY_SECRET": signature_secret(self.state_dir),
            # Links that leave the site (share links, mail) point here, whatever Host a request names.
            "PUBLIC_BASE_URL": self.base_url,
            "VERIFY_TOKEN_SECRET": verify_token_secret(self.state_dir),
            # The mailer sends to the local mail server, as it would hand the same bytes to SES.
            "MAIL_TRANSPORT": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "MAIL_FROM": MAIL_FROM,
            "ADMIN_ALLOWLIST": os.environ.get("ADMIN_ALLOWLIST") or DEFAULT_ADMIN,
            # The blocklists (chalicelib/fraud/blocklists.py), re-read every few seconds so an edit shows at once.
            "BLOCKLIST_FILE": str(self.blocklist_file),
            # No S3 here: the admin area's export buttons write their files into this directory.
            "EXPORT_DIR": str(self.state_dir / "exports"),
            "BLOCKLIST_CACHE_SECONDS": "2",
            # Only here may a request name its client with X-Forwarded-For (tests play many clients
            # from one machine); no deployed stage sets it.
            "TRUST_FORWARDED_FOR": "1",
            # The optional challenge (chalicelib/fraud/challenge.py): Turnstile's test keys, checked by the
            # local siteverify stub (tools/siteverify_stub.py), which passes the test widget's dummy token.
            "CHALLENGE_SITE_KEY": siteverify_stub.PASSING_SITE_KEY,
            "CHALLENGE_SECRET": siteverify_stub.PASSING_SECRET,
            "CHALLENGE_VERIFY_URL": f"http://127.0.0.1:{self.siteverify_port}{siteverify_stub.PATH}",
            "PYTHONUNBUFFERED": "1",
            **self.tables,
            **self.extra_env,
        })
        return env

    def client(self, service: str = "dynamodb"):
        """A boto3 client on this stack's engine (for tests and tools)."""
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, **fake_aws.CLIENT_ARGUMENTS)

    # -- the parts --

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        if self.quiet:
            logs = self.state_dir / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            with open(logs / f"{name}.log", "ab") as out:
                return subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                        preexec_fn=child_setup)
        return subprocess.Popen(args, cwd=ROOT, env=self.env, preexec_fn=child_setup)

    def start_database(self) -> None:
        if self.database is not None and self.database.process is None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.database.start()

    def prepare(self) -> None:
        """Create missing tables from the template and seed the demo petition (in a child, with its env)."""
        args = [sys.executable, "-m", "tools.devstack", "prepare"] + ([] if self.seed_demo else ["--no-demo"])
        result = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"creating tables failed:\n{result.stderr[-2000:]}")
        if not self.quiet and result.stdout.strip():
            print(result.stdout.strip(), flush=True)

    def start_runner(self) -> None:
        """The tally's stream runner."""
        if self.runner is None or self.runner.poll() is not None:
            self.runner = self._spawn("stream-runner", [sys.executable, "-m", "tools.stream_runner",
                                                        "--state-dir", str(self.state_dir), *self.runner_args])

    def start_mail_runner(self) -> None:
        """The verification mailer's stream runner: a second reader of the same stream."""
        if self.mail_runner is None or self.mail_runner.poll() is not None:
            self.mail_runner = self._spawn("mail-runner", [sys.executable, "-m", "tools.stream_runner",
                                                           "--consumer", "mailer", "--state-dir", str(self.state_dir)])

    def start_mail(self) -> None:
        """The local SMTP server and mail page."""
        if self.mail is not None and self.mail.poll() is None:
            return
        for port in (self.smtp_port, self.mail_port):
            if port_in_use(port):
                raise RuntimeError(f"port {port} is already in use")
        self.mail = self._spawn("mail", [sys.executable, "-m", "tools.local_mail", "--dir", str(self.mail_dir),
                                         "--smtp-port", str(self.smtp_port), "--http-port", str(self.mail_port)])
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not (port_in_use(self.smtp_port) and port_in_use(self.mail_port)):
            if self.mail.poll() is not None:
                raise RuntimeError(f"the local mail server exited with code {self.mail.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the local mail server did not start")
            time.sleep(0.1)

    def start_siteverify(self) -> None:
        """The local stand-in for Turnstile's siteverify endpoint."""
        if self.siteverify is not None and self.siteverify.poll() is None:
            return
        self.siteverify = self._spawn("siteverify", [sys.executable, "-m", "tools.siteverify_stub",
                                                     "--port", str(self.siteverify_port)])
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not port_in_use(self.siteverify_port):
            if self.siteverify.poll() is not None:
                raise RuntimeError(f"the siteverify stub exited with code {self.siteverify.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the siteverify stub did not start")
            time.sleep(0.1)

    def start_api(self) -> None:
        if self.api is not None and self.api.poll() is None:
            return
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        chalice = "import sys; from chalice.cli import main; sys.exit(main())"
        self.api = self._spawn("api", [sys.executable, "-c", chalice,
                                       "local", "--host", "127.0.0.1", "--port", str(self.port),
                                       "--stage", CHALICE_STAGE, "--no-autoreload"])
        self._wait_for_api()

    def _wait_for_api(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        api = self.api
        assert api is not None, "the API server was not started"
        while True:
            if api.poll() is not None:
                raise RuntimeError(f"the API server exited with code {api.returncode}")
            try:
                urllib.request.urlopen(self.base_url + "/petitions/demo", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answered
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the API server did not answer on port {self.port}") from exc
                time.sleep(0.1)

    def start(self) -> DevStack:
        try:
            self.start_database()
            self.prepare()
            self.start_mail()
            self.start_siteverify()
            self.start_runner()
            self.start_mail_runner()
            self.start_api()
        except BaseException:
            self.stop()
            raise
        return self

    # -- stopping --

    def stop_api(self, kill: bool = False) -> None:
        end_process(self.api, kill=kill)

    def stop_runner(self, kill: bool = False) -> None:
        end_process(self.runner, kill=kill)

    def stop_mail_runner(self, kill: bool = False) -> None:
        end_process(self.mail_runner, kill=kill)

    def stop_mail(self, kill: bool = False) -> None:
        end_process(self.mail, kill=kill)

    def stop_database(self, kill: bool = False) -> None:
        if self.database is not None:
            self.database.stop(kill=kill)

    def stop(self) -> None:
        self.stop_api()
        self.stop_runner()
        self.stop_mail_runner()
        self.stop_mail()
        end_process(self.siteverify)
        self.stop_database()

    def kill(self) -> None:
        """SIGKILL every part at once, as a crash or `kill -9` of the process group would."""
        processes = (self.api, self.runner, self.mail_runner, self.mail, self.siteverify,
                     self.database.process if self.database else None)
        for process in processes:
            if process is not None and process.poll() is None:
                process.kill()
        for process in processes:
            if process is not None:
                process.wait()
        if self.database is not None:
            self.database.process = None

    def died(self) -> str | None:
        """The name of a part that exited on its own, if any."""
        parts = {"API server": self.api, "stream runner": self.runner, "mail stream runner": self.mail_runner,
                 "local mail server": self.mail, "siteverify stub": self.siteverify,
                 "DynamoDB Local": self.database.process if self.database else None}
        for name, process in parts.items():
            if process is not None and process.poll() is not None:
                return name
        return None

    def __enter__(self) -> DevStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- commands --------------------------------------------------------------------

def prepare(seed_demo: bool) -> None:
    from chalicelib.aws import config
    from tools import petition_admin, schema

    config.reset()
    created = schema.create_tables()
    if created:
        print("created tables: " + ", ".join(created))
    from tools import migrate_totals

    if migrate_totals.is_single_item_table(LEGACY_TOTALS_TABLE):
        copied, _ = migrate_totals.migrate(LEGACY_TOTALS_TABLE)
        if copied:
            print(f"copied the totals of {copied} petitions from {LEGACY_TOTALS_TABLE}")
    if seed_demo and petition_admin.create(**petition_admin.DEMO, if_absent=True):
        print("created the demo petition")


STACK_ENV = "stack.env"
# The dev secret too: make invalidate --ip hashes an address with it.
SHARED_VARIABLES = (*fake_aws.SETTINGS, "DYNAMODB_ENDPOINT", "SIGNATURE_KEY_SECRET", *DEFAULT_TABLES)


def write_stack_env(stack: DevStack, state_dir: Path) -> None:
    """Where the running stack's data is, so `make petition` and `make reconcile` can reach it."""
    env = stack.env
    lines = [f"{name}={env[name]}" for name in SHARED_VARIABLES if env.get(name)]
    lines.append(f"STREAM_CHECKPOINTS={state_dir / 'stream-checkpoints.json'}")
    (state_dir / STACK_ENV).write_text("\n".join(lines) + "\n")


def run(port: int, state_dir: Path) -> int:
    endpoint = os.environ.get("DYNAMODB_ENDPOINT") or None
    lock = hold_lock(state_dir, port)
    if port_in_use(port):
        print(f"Port {port} is in use by another program. Choose another: PORT={port + 1} make run",
              file=sys.stderr)
        return 1
    tables = {name: os.environ.get(name) or default for name, default in DEFAULT_TABLES.items()}
    mail_port, smtp_port = (_port_or_free(int(os.environ.get(name) or default))
                            for name, default in (("MAIL_PAGE_PORT", 8025), ("SMTP_PORT", 1025)))
    stack = DevStack(state_dir, port=port, endpoint=endpoint, tables=tables, quiet=False,
                     mail_port=mail_port, smtp_port=smtp_port)

    def terminate(signum, _frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell that starts us in the background hands us SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, terminate)
    try:
        print("Starting DynamoDB Local ..." if endpoint is None else f"Using DynamoDB at {endpoint}", flush=True)
        stack.start()
        write_stack_env(stack, state_dir)
        base = f"http://localhost:{port}"
        shown_dir = state_dir.relative_to(ROOT) if state_dir.is_relative_to(ROOT) else state_dir
        print(f"""
Countersign is running.
  Sign the demo petition:  {base}/petitions/demo/sign
  Live dashboard:          {base}/petitions/demo/dashboard
  Home:                    {base}/
  API, petition:           {base}/petitions/demo
  API, totals:             {base}/petitions/demo/totals
  Local mail:              http://localhost:{stack.mail_port}/   (SMTP on port {stack.smtp_port}, \
messages in {shown_dir}/mail/)
  Admin area:              {base}/admin   (sign in as {stack.env["ADMIN_ALLOWLIST"]}; the link arrives
                           as an .eml file in {shown_dir}/mail/)
  DynamoDB endpoint:       {stack.endpoint}   (data in {shown_dir}/)
  CAPTCHA check (stub):    {stack.env["CHALLENGE_VERIFY_URL"]}   (Turnstile's test keys; see README)
Press Ctrl-C to stop.
""", flush=True)
        while True:
            time.sleep(0.5)
            if (part := stack.died()) is not None:
                print(f"The {part} stopped unexpectedly; stopping everything.", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean stop short
        (state_dir / STACK_ENV).unlink(missing_ok=True)
        stack.stop()
        lock.close()


def _port_or_free(port: int) -> int:
    """The usual port when it is free (stable addresses from run to run), else any free one."""
    return free_port() if port_in_use(port) else port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.devstack")
    parser.add_argument("command", choices=["run", "prepare", "clean-data"])
    parser.add_argument("--no-demo", action="store_true", help="prepare: do not seed the demo petition")
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(seed_demo=not args.no_demo)
        return 0
    if args.command == "clean-data":
        return clean_data(args.state_dir)
    return run(int(os.environ.get("PORT") or 8000), args.state_dir.resolve())


if __name__ == "__main__":
    sys.exit(main())
