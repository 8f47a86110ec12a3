"""The deployment files name commands that exist and run as a non-root user."""

from __future__ import annotations

import configparser
from pathlib import Path

import yaml

from bootstrap.cli import build_parser

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_compose_runs_postgres_two_apis_and_both_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "api-1", "api-2", "projections", "deadlines", "notices"} <= set(services)
    for name, service in services.items():
        if name != "postgres":
            build_parser().parse_args(service["command"])


def test_dockerfile_is_slim_non_root_with_the_entry_point() -> None:
    lines = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("FROM python:") and "slim" in line for line in lines)
    users = [line for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1] != "USER root"
    assert 'ENTRYPOINT ["oversight"]' in lines


def test_systemd_units_start_real_subcommands() -> None:
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read(unit)
        command = parser["Service"]["ExecStart"].split()[1:]
        build_parser().parse_args(command)
        assert parser["Service"]["User"] == "oversight"
