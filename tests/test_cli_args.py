"""Command-line arguments: `python main.py --help` and unknown options never open
the window, and `train` flags that do not apply are refused, not ignored."""
import os
import subprocess
import sys

import pytest

from conftest import DATASETS, ROOT
from engine.cli import main as train_main

SEATTLE = str(DATASETS / "seattle_weather.csv")
IRIS = str(DATASETS / "iris.csv")

# Was: `python main.py --help` opened the window (and never returned without a
# display). If that comes back, the timeout turns a hang into a failure.
PROBE = ("import sys, main; code = main.main(sys.argv[1:]); "
         "print('qt loaded' if 'PySide6.QtWidgets' in sys.modules else 'no qt', file=sys.stderr); "
         "sys.exit(code)")


def run_main(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_without_a_window(flag):
    r = run_main(flag)
    assert r.returncode == 0, r.stderr
    assert "python main.py [PROJECT.ncproj | DATA.csv]" in r.stdout
    assert "python main.py train --help" in r.stdout
    assert r.stderr.strip() == "no qt"              # Qt was never imported, so no QApplication


def test_help_of_the_script_itself():
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], cwd=ROOT,
                       env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "usage: python main.py" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["--bogus"], "unknown option '--bogus'"),
    (["-x", "--help"], "unknown option '-x'"),
    (["a.ncproj", "b.csv"], "one file"),
])
def test_bad_window_arguments_exit_2_with_one_line(args, message):
    r = run_main(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[-1] == "no qt" and len(lines) == 2, r.stderr
    assert lines[0].startswith("netcanvas: error: ") and message in lines[0]
    assert "python main.py --help" in lines[0]
    assert r.stdout == ""


def test_train_help_still_belongs_to_train():
    r = run_main("train", "--help")
    assert r.returncode == 0 and "--epochs" in r.stdout and "usage: netcanvas train" in r.stdout


def test_a_file_name_after_double_dash_is_not_an_option():
    from main import window_args
    assert window_args(["--", "-odd.csv"]) == (["-odd.csv"], False)
    assert window_args(["p.ncproj"]) == (["p.ncproj"], False)
    assert window_args([]) == ([], False)
    assert window_args(["p.ncproj", "-h"]) == ([], True)


# -- train flags that only mean something in series mode -------------------------------
@pytest.mark.parametrize("flags, name", [
    (["--lags", "3"], "--lags"),
    (["--time-column", "date"], "--time-column"),
])
def test_series_only_flags_need_series(capsys, flags, name):
    code = train_main(["--csv", SEATTLE, "--target", "temp_max", "--epochs", "1", *flags])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("netcanvas train: error: ")
    assert f"{name} only applies with --series" in lines[0]
    assert "seattle_weather.csv:" not in err            # refused before the data was read


def test_series_only_flags_are_fine_with_series(capsys):
    code = train_main(["--csv", SEATTLE, "--series", "temp_max", "--lags", "3", "--time-column", "date",
                       "--hidden", "", "--epochs", "1", "--quiet"])
    _, err = capsys.readouterr()
    assert code == 0, err


def test_series_only_flags_are_fine_with_a_series_project(capsys, tmp_path):
    proj = tmp_path / "p.ncproj"
    assert train_main(["--csv", SEATTLE, "--series", "temp_max", "--hidden", "", "--epochs", "1",
                       "--quiet", "--save-project", str(proj)]) == 0
    code = train_main(["--project", str(proj), "--lags", "3", "--hidden", "", "--epochs", "1", "--quiet"])
    _, err = capsys.readouterr()
    assert code == 0, err
    code = train_main(["--project", str(proj), "--time-column", "date", "--epochs", "1", "--quiet"])
    _, err = capsys.readouterr()
    assert code == 0, err
