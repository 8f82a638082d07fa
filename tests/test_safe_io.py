"""Nothing lost: outputs never replace devices, links or inputs; reads never hang on special
files; temporary files go away on SIGTERM (engine/safe_io.py, used by the CLI and the window)."""
import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from conftest import ROOT
from engine.cli import main
from engine.safe_io import UnsafePathError, atomic_files, check_distinct

CSV_TEXT = "x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(40))
FAST = ("--hidden", "", "--epochs", "1", "--quiet")


@pytest.fixture
def data(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text(CSV_TEXT)
    return p


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err


# -- 1: special files and symlinks as outputs ---------------------------------------------------------
@pytest.fixture
def null_device(tmp_path):
    """A character device like /dev/null, made in tmp_path (root only) so that a bug destroys a copy."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError):
        pytest.skip("making a device node needs root")
    return node


def test_metrics_to_a_device_writes_into_it_and_keeps_the_device(capsys, data, null_device):
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", null_device)
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(null_device).st_mode)          # still the device, not a JSON file
    assert [p.name for p in null_device.parent.iterdir() if p.name.startswith(".")] == []


def test_metrics_to_dev_null(capsys, data):
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", "/dev/null")
    assert code == 0, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_outputs_into_a_fifo_are_written_in_place(capsys, data, tmp_path):
    fifo = tmp_path / "metrics.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)      # a reader is there (the JSON fits the pipe)
    try:
        code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", fifo)
        got = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert "train_loss" in json.loads(got)


def test_a_symlinked_output_updates_its_target_and_stays_a_link(capsys, data, tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", link)
    assert code == 0, err
    assert link.is_symlink()
    assert "train_loss" in json.loads(real.read_text())


def test_a_project_saved_through_a_symlink_updates_the_target(tmp_path):
    from engine.graph import sequential
    from engine.project import Project, load_project, save_project
    real = tmp_path / "real.ncproj"
    link = tmp_path / "link.ncproj"
    link.symlink_to(real)
    save_project(Project(graph=sequential(1, [], task="regression")), link)
    assert link.is_symlink() and load_project(real).graph is not None


def test_a_socket_output_is_refused(capsys, data, tmp_path):
    import socket
    path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", path)
    finally:
        sock.close()
    assert code == 2 and "--metrics" in err and "socket" in err
    assert stat.S_ISSOCK(os.stat(path).st_mode)


# -- 2: outputs colliding with the input or each other -------------------------------------------------
@pytest.mark.parametrize("flag", ["--metrics", "--save-project"])
def test_an_output_onto_the_csv_is_refused(capsys, data, flag):
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, flag, data)
    assert code == 2 and flag in err and "--csv" in err
    assert data.read_text() == CSV_TEXT


def test_an_output_onto_the_csv_through_a_link_is_refused(capsys, data, tmp_path):
    link = tmp_path / "alias.csv"
    link.symlink_to(data)
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--metrics", link)
    assert code == 2 and "--metrics" in err and "--csv" in err
    assert data.read_text() == CSV_TEXT


def test_npz_export_would_overwrite_its_json_twin_the_input(capsys, tmp_path):
    data = tmp_path / "m.json"           # a CSV named .json: the npz's description would replace it
    data.write_text(CSV_TEXT)
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--export", tmp_path / "m.npz")
    assert code == 2 and "--export" in err and "--csv" in err
    assert data.read_text() == CSV_TEXT and not (tmp_path / "m.npz").exists()


def test_npz_export_and_metrics_share_the_json(capsys, data, tmp_path):
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, "--export", tmp_path / "m.npz",
                    "--metrics", tmp_path / "m.json")
    assert code == 2 and "--export" in err and "--metrics" in err


@pytest.mark.parametrize("a,b", [("--metrics", "--save-project"), ("--export", "--save-project")])
def test_two_outputs_on_one_file_are_refused(capsys, data, tmp_path, a, b):
    same = tmp_path / "P.onnx"
    code, err = run(capsys, "--csv", data, "--target", "y", *FAST, a, same, b, same)
    assert code == 2 and a in err and b in err
    assert not same.exists()


def test_save_project_may_update_its_own_project(capsys, data, tmp_path):
    proj = tmp_path / "p.ncproj"
    assert run(capsys, "--csv", data, "--target", "y", *FAST, "--save-project", proj)[0] == 0
    code, err = run(capsys, "--project", proj, "--epochs", "1", "--quiet", "--save-project", proj)
    assert code == 0, err
    code, err = run(capsys, "--project", proj, "--epochs", "1", "--quiet", "--metrics", proj)
    assert code == 2 and "--metrics" in err and "--project" in err


def test_devices_may_be_shared_by_outputs():
    check_distinct([("--metrics", "/dev/null"), ("--save-project", "/dev/null")], [("--csv", "/dev/null")])
    with pytest.raises(UnsafePathError, match="--b.*--a"):
        check_distinct([("--a", "/x/y"), ("--b", "/x/./y")])


# -- 4: SIGTERM during a save ----------------------------------------------------------------------------
def test_sigterm_while_saving_removes_the_temporary_file(tmp_path):
    """The process is killed by SIGTERM in the middle of writing (it sends it to itself, so the
    moment is exact): it still dies of SIGTERM, and no temporary file stays behind."""
    code = (f"import os, signal, sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from engine.safe_io import atomic_files\n"
            f"with atomic_files([{str(tmp_path / 'big.ncproj')!r}]) as (f,):\n"
            "    f.write('x' * (1 << 20)); f.flush()\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    f.write('never')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_sigterm_handler_is_restored_after_a_save(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with atomic_files([tmp_path / "a.txt"]) as (f,):
        f.write("a")
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
    assert (tmp_path / "a.txt").read_text() == "a"


# -- 5: special files as inputs never hang -------------------------------------------------------------
@pytest.fixture
def fifo(tmp_path):
    p = tmp_path / "data.csv"
    os.mkfifo(p)
    return p


def test_csv_from_a_fifo_is_refused_at_once(capsys, fifo):
    code, err = run(capsys, "--csv", fifo, "--target", "y", *FAST)
    assert code == 2 and "is a pipe" in err and "regular" in err


def test_project_from_a_fifo_or_a_device_is_refused(capsys, fifo):
    code, err = run(capsys, "--project", fifo)
    assert code == 2 and "is a pipe" in err
    code, err = run(capsys, "--project", "/dev/zero")
    assert code == 2 and "character device" in err


def test_a_projects_data_path_that_is_a_fifo_is_refused(capsys, data, fifo, tmp_path):
    proj = tmp_path / "p.ncproj"
    assert run(capsys, "--csv", data, "--target", "y", *FAST, "--save-project", proj)[0] == 0
    doc = json.loads(proj.read_text())
    doc["data_path"], doc["data_path_absolute"] = fifo.name, None
    proj.write_text(json.dumps(doc))
    code, err = run(capsys, "--project", proj, "--epochs", "1", "--quiet")
    assert code == 2 and "is a pipe" in err


def test_a_process_substitution_names_the_true_reason(tmp_path, data):
    proc = subprocess.run(["bash", "-c", f"{sys.executable} main.py train --csv <(cat {data}) --target y "
                           "--hidden '' --epochs 1 --quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "is a pipe" in proc.stderr and "Illegal seek" not in proc.stderr


def test_a_project_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    from engine import project as project_module
    from engine.project import ProjectError, load_project
    big = tmp_path / "big.ncproj"
    big.write_text('{"format": "netcanvas-project", "notes": "' + "x" * 5000 + '"}')
    monkeypatch.setattr(project_module, "PROJECT_SIZE_LIMIT", 4096)
    with pytest.raises(ProjectError, match="larger than any project file"):
        load_project(big)
