"""Paths come from the installed package, not from the current directory."""

import os
import subprocess
import sys

from smlib import config


def test_paths_point_into_the_project() -> None:
    assert (config.PROJECT_ROOT / "pyproject.toml").is_file()
    assert config.NOTEBOOKS_DIR == config.PROJECT_ROOT / "notebooks"
    assert config.DEFAULT_DATASET_DIR.parent == config.DATA_DIR


def test_paths_do_not_depend_on_cwd(tmp_path) -> None:
    code = "from smlib import config; print(config.PROJECT_ROOT)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARKETING_")}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(config.PROJECT_ROOT)


def test_environment_overrides_data_dir(tmp_path) -> None:
    code = "from smlib import config; print(config.DEFAULT_DATASET_DIR)"
    env = dict(os.environ, SMARKETING_DATA=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(tmp_path / "default")


def test_channels_are_disjoint_and_named_without_separator() -> None:
    assert not set(config.MARKETING_CHANNELS) & set(config.SALES_CHANNELS)
    assert all(">" not in c for c in config.MARKETING_CHANNELS + config.SALES_CHANNELS)
