"""Ready-to-install schedules for the nightly job and the frequent rules job (cron, systemd, k8s).

Each renderer returns text an operator pastes or saves as it is, after replacing the
placeholders explained in its header: the working directory (it holds `.crmops/`,
the state store and reports, unless CRMOPS_STATE_URL points elsewhere), the env file
with the CRMOPS_* settings and secrets, and where the `crmops` executable lives.
crmops does not schedule itself: cron, systemd timers and Kubernetes already do.
"""

from __future__ import annotations

from dataclasses import dataclass

NIGHTLY_JOB = "nightly"
RULES_JOB = "rules run --crm both"
WATCH_JOB = "watch --every {every}m"


@dataclass(frozen=True)
class ScheduleOptions:
    """What the definitions fill in; the defaults are placeholders to replace.

    Attributes:
        workdir: working directory of every run (holds `.crmops/` and `.env`).
        env_file: file of CRMOPS_* variables (secrets: keep it owner-only).
        crmops: the crmops executable (e.g. the project's `.venv/bin/crmops`).
        nightly_at: local time of the nightly job, HH:MM.
        every_minutes: period of the frequent rules job (the SOP's 5/15-minute SLAs).
        image: container image with crmops installed (Kubernetes only).
        time_zone: the zone `nightly_at` is read in by Kubernetes (cron and systemd use
            the machine's zone).
    """

    workdir: str = "/opt/crmops"
    env_file: str = "/etc/crmops/crmops.env"
    crmops: str = "/opt/crmops/.venv/bin/crmops"
    nightly_at: str = "02:30"
    every_minutes: int = 2
    image: str = "registry.example.com/crmops:latest"
    time_zone: str = "Etc/UTC"

    def hour_minute(self) -> tuple[int, int]:
        """The nightly time as (hour, minute).

        Raises:
            ValueError: not a HH:MM time of day.
        """
        hour, sep, minute = self.nightly_at.partition(":")
        if not sep or not hour.isdigit() or not minute.isdigit():
            raise ValueError(f"--at {self.nightly_at!r}: expected HH:MM, e.g. 02:30")
        if not (0 <= int(hour) < 24 and 0 <= int(minute) < 60):
            raise ValueError(f"--at {self.nightly_at!r}: not a time of day")
        return int(hour), int(minute)

    def check(self) -> None:
        """Refuse values no scheduler accepts.

        Raises:
            ValueError: a bad time of day or period.
        """
        self.hour_minute()
        if not 1 <= self.every_minutes <= 59:
            raise ValueError("--every must be 1 to 59 minutes")


def _placeholders(o: ScheduleOptions, comment: str = "#") -> str:
    lines = [
        f"crmops schedules: the nightly job at {o.nightly_at} and the rules job every "
        f"{o.every_minutes} min.",
        "Replace before installing:",
        f"  {o.workdir}  working directory: holds .crmops/ (state store, reports) and .env",
        f"  {o.env_file}  CRMOPS_* settings and secrets (chmod 600, owned by the job's user)",
        f"  {o.crmops}  the crmops executable (python3 dev.py setup makes .venv/bin/crmops)",
        "Exit codes: 0 ok, 1 some records rejected (see the report), 2 configuration,",
        "3 a CRM unreachable or out of API budget. A second nightly run exits at once",
        "while the first holds its lease.",
    ]
    return "\n".join(f"{comment} {line}".rstrip() for line in lines) + "\n"


def cron(o: ScheduleOptions) -> str:
    """A crontab fragment: the nightly job, and `rules run` every few minutes under flock."""
    hour, minute = o.hour_minute()
    env = f"cd {o.workdir} && set -a && . {o.env_file} && set +a"
    logs = f"{o.workdir}/.crmops/logs"
    rules = f"flock -n {o.workdir}/.crmops/rules.lock {o.crmops} {RULES_JOB}"
    return (
        _placeholders(o)
        + "# Install with `crontab -e` as the user that owns the working directory.\n"
        + f"{minute} {hour} * * * {env} && {o.crmops} {NIGHTLY_JOB} >> {logs}/nightly.log 2>&1\n"
        + f"*/{o.every_minutes} * * * * {env} && {rules} >> {logs}/rules.log 2>&1\n"
    )


def _unit(path: str, body: str) -> str:
    return f"# --- {path} ---\n{body.strip()}\n"


def systemd(o: ScheduleOptions) -> str:
    """Units: the nightly service and its timer, and `crmops watch` as a long-running service."""
    hour, minute = o.hour_minute()
    common = f"WorkingDirectory={o.workdir}\nEnvironmentFile={o.env_file}\n"
    watch = WATCH_JOB.format(every=o.every_minutes)
    nightly = (
        "[Unit]\nDescription=crmops nightly job: rules on both CRMs, sync, reconcile, report\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        f"[Service]\nType=oneshot\n{common}ExecStart={o.crmops} {NIGHTLY_JOB}\n"
        "SuccessExitStatus=1\n"
    )
    timer = (
        "[Unit]\nDescription=Start the crmops nightly job\n\n"
        f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n"
        "RandomizedDelaySec=300\n\n[Install]\nWantedBy=timers.target\n"
    )
    service = (
        "[Unit]\nDescription=crmops rules job in a loop (the SOP's minute-level SLAs)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        f"[Service]\nType=simple\n{common}ExecStart={o.crmops} {watch}\n"
        "Restart=on-failure\nRestartSec=30\nKillSignal=SIGTERM\nTimeoutStopSec=120\n\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )
    return (
        _placeholders(o)
        + "# Save each part under its path, then: systemctl daemon-reload &&\n"
        + "#   systemctl enable --now crmops-nightly.timer crmops-watch.service\n"
        + "# (SIGTERM stops watch between passes, never mid-batch.)\n\n"
        + _unit("/etc/systemd/system/crmops-nightly.service", nightly)
        + "\n"
        + _unit("/etc/systemd/system/crmops-nightly.timer", timer)
        + "\n"
        + _unit("/etc/systemd/system/crmops-watch.service", service)
    )


def _container(o: ScheduleOptions, args: list[str]) -> dict[str, object]:
    return {
        "name": "crmops",
        "image": o.image,
        "args": args,
        "workingDir": o.workdir,
        "envFrom": [{"secretRef": {"name": "crmops-env"}}],
        "volumeMounts": [{"name": "state", "mountPath": f"{o.workdir}/.crmops"}],
    }


def _pod(o: ScheduleOptions, args: list[str], restart: str) -> dict[str, object]:
    return {
        "restartPolicy": restart,
        "containers": [_container(o, args)],
        "volumes": [{"name": "state", "persistentVolumeClaim": {"claimName": "crmops-state"}}],
    }


def k8s_documents(o: ScheduleOptions) -> list[dict[str, object]]:
    """The Kubernetes objects: a CronJob for the nightly job, a Deployment running `watch`."""
    hour, minute = o.hour_minute()
    labels = {"app.kubernetes.io/name": "crmops"}
    cronjob: dict[str, object] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "crmops-nightly", "labels": labels},
        "spec": {
            "schedule": f"{minute} {hour} * * *",
            "timeZone": o.time_zone,
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "template": {"spec": _pod(o, NIGHTLY_JOB.split(), "Never")},
                }
            },
        },
    }
    watch = WATCH_JOB.format(every=o.every_minutes).split()
    deployment: dict[str, object] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "crmops-watch", "labels": labels},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {**labels, "crmops/job": "watch"}},
            "template": {
                "metadata": {"labels": {**labels, "crmops/job": "watch"}},
                "spec": {**_pod(o, watch, "Always"), "terminationGracePeriodSeconds": 120},
            },
        },
    }
    return [cronjob, deployment]


def k8s(o: ScheduleOptions) -> str:
    """The Kubernetes objects as one multi-document YAML file, with its setup notes."""
    import yaml

    notes = (
        "# Before `kubectl apply -f`: create the settings Secret from the env file,\n"
        f"#   kubectl create secret generic crmops-env --from-env-file={o.env_file}\n"
        f"# a PersistentVolumeClaim `crmops-state` for {o.workdir}/.crmops (both pods use\n"
        "# it: prefer CRMOPS_STATE_URL pointing at PostgreSQL in the Secret when the\n"
        "# pods may land on different nodes), and replace the image.\n"
    )
    body = yaml.safe_dump_all(k8s_documents(o), sort_keys=False, default_flow_style=False)
    return _placeholders(o) + notes + "---\n" + body


RENDERERS = {"cron": cron, "systemd": systemd, "k8s": k8s}
