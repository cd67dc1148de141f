"""The one-folder bundle's recipe, and ``artstudio --smoke-test``, without building (issue 15).

Building the bundle takes minutes and a gigabyte, so the build itself and a
start of the built executable from a clean folder are packaging/test_bundle.sh
(figures in docs/BENCHMARKS.md). These tests check, fast, everything that
script relies on: what the spec puts in, where the app looks for it, the
desktop entry, and the smoke test the script runs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bundle_layout", ROOT / "packaging" / "bundle_layout.py")
layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout)

SMOKE_LINE = "opened the demo astronaut_scratched.png: 512 x 512 px"


def test_the_spec_builds_from_the_layout_and_compiles():
    spec = (ROOT / "packaging" / "artstudio.spec").read_text()
    compile(spec, "artstudio.spec", "exec")
    for used in ("layout.RESOURCES", "layout.BESIDE", "layout.is_unneeded", "layout.EXCLUDED_MODULES",
                 "layout.ENTRY_SCRIPT", "collect_submodules(\"artstudio\")"):
        assert used in spec
    assert (ROOT / layout.ENTRY_SCRIPT).is_file()
    for script in ("build_bundle.sh", "test_bundle.sh"):
        assert subprocess.run(["bash", "-n", str(ROOT / "packaging" / script)]).returncode == 0


def test_every_resource_goes_in_and_survives_the_filter():
    files = {p.relative_to(ROOT / "resources").as_posix() for p in layout.resource_files()}
    assert {"demo/astronaut_scratched.png", "demo/astronaut_scratched_mask.png", "icons/artstudio.png"} <= files
    models = {f for f in files if f.startswith("models/") and f.endswith(".safetensors")}
    assert {"models/restore-inpaint.safetensors", "models/dcgan-faces.safetensors"} <= models
    assert not [f for f in files if layout.is_unneeded(f"{layout.RESOURCES[1]}/{f}")]


@pytest.mark.parametrize("dest, dropped", [
    ("torch/lib/libtorch_cpu.so", False), ("torch/lib/libc10.so", False), ("torch/lib/libtorch_python.so", False),
    ("torch/lib/libgomp.so.1", False), ("torch/bin/torch_shm_manager", False), ("torch/_C.cpython-311.so", False),
    ("torch/_inductor/codegen/cpp_prefix.h", False), ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
    ("torch/test/Dict_test", True), ("torch/include/ATen/ATen.h", True), ("torch/bin/test_jit", True),
    ("torch/bin/protoc-3.13.0.0", True), ("torch/lib/libtorchbind_test.so", True),
    ("torch/lib/libjitbackend_test.so", True), ("torch/share/cmake/Torch/TorchConfig.cmake", True),
])
def test_only_torchs_own_test_and_build_files_are_left_out(dest, dropped):
    assert layout.is_unneeded(dest) is dropped


def test_the_frozen_package_finds_resources_where_the_spec_puts_them(tmp_path, monkeypatch):
    """A bundle holds ``artstudio/core/paths.py`` and ``artstudio/resources`` side by side."""
    package = tmp_path / "_internal" / layout.RESOURCES[1].split("/")[0]
    (package / "core").mkdir(parents=True)
    shutil.copy(ROOT / "artstudio" / "core" / "paths.py", package / "core" / "paths.py")
    (tmp_path / "_internal" / layout.RESOURCES[1] / "demo").mkdir(parents=True)
    spec = importlib.util.spec_from_file_location("frozen_paths", package / "core" / "paths.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)      # dataclasses look their module up
    spec.loader.exec_module(module)
    assert module.resources_dir() == tmp_path / "_internal" / layout.RESOURCES[1]


def test_the_desktop_entry_and_icon_sit_beside_the_executable():
    for name, source in layout.BESIDE.items():
        assert (ROOT / source).is_file(), source
    entry = dict(line.split("=", 1) for line in (ROOT / "packaging" / "artstudio.desktop").read_text().splitlines()
                 if "=" in line)
    assert entry["Exec"].split()[0] == layout.EXECUTABLE and entry["Icon"] == "artstudio"
    assert Path(layout.BESIDE["artstudio.png"]).stem == entry["Icon"]


def _desktop_exec_program(value: str) -> str:
    """The program of an Exec value, unescaped as the Desktop Entry spec says (string, then quoting)."""
    unescaped = value.replace("\\\\", "\x00").replace("\\s", " ").replace("\x00", "\\")
    assert unescaped.startswith('"')
    out, i = [], 1
    while unescaped[i] != '"':
        if unescaped[i] == "\\":
            i += 1
        out.append(unescaped[i])
        i += 1
    return "".join(out).replace("%%", "%")


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("sh"), reason="a Linux desktop script")
def test_install_desktop_entry_points_the_menu_at_the_bundle(tmp_path):
    bundle = tmp_path / 'My Apps $HOME "x" 100%' / layout.APP_FOLDER
    bundle.mkdir(parents=True)
    for name, source in layout.BESIDE.items():
        shutil.copy(ROOT / source, bundle / name)
    (bundle / layout.EXECUTABLE).write_text("#!/bin/sh\n")
    (bundle / layout.EXECUTABLE).chmod(0o755)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")}
    done = subprocess.run(["sh", str(bundle / "install-desktop-entry.sh")], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    data = tmp_path / "home" / ".local" / "share"
    written = data / "applications" / "artstudio.desktop"
    assert (data / "icons" / "hicolor" / "256x256" / "apps" / "artstudio.png").read_bytes() == \
        (ROOT / "resources" / "icons" / "artstudio.png").read_bytes()
    exec_line = next(line for line in written.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" %f")
    assert _desktop_exec_program(exec_line[len("Exec="):-len(" %f")]) == str(bundle / layout.EXECUTABLE)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(written)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_install_desktop_entry_refuses_a_folder_without_the_app(tmp_path):
    shutil.copy(ROOT / "packaging" / "install-desktop-entry.sh", tmp_path)
    done = subprocess.run(["sh", str(tmp_path / "install-desktop-entry.sh")], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)}, timeout=30)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "bundle folder" in done.stderr


def _clean_user_env(tmp_path: Path) -> dict[str, str]:
    """A user with an empty HOME and no ArtStudio or XDG overrides, offscreen."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARTSTUDIO_", "XDG_"))}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return env


def test_smoke_test_opens_the_demo_from_a_clean_folder_and_exits(tmp_path):
    (tmp_path / "cwd").mkdir()
    done = subprocess.run([sys.executable, "-m", "artstudio", "--smoke-test"], env=_clean_user_env(tmp_path),
                          cwd=tmp_path / "cwd", capture_output=True, text=True, timeout=55)
    assert done.returncode == 0, done.stderr[-2000:]
    line = done.stdout.strip()
    assert "\n" not in line and SMOKE_LINE in line and "offscreen platform" in line, line
    assert "device CPU" in line or "device CUDA" in line or "device Apple" in line, line
    settings = tmp_path / "home" / ".config" / "ArtStudio" / "settings.json"
    assert json.loads(settings.read_text())      # the real per-user folders, under the clean HOME


FAILING_SMOKE = """
import sys
from PySide6.QtWidgets import QMessageBox
from artstudio.ui import file_ops
from artstudio.__main__ import main
if sys.argv[1] == "no-demo":
    file_ops.open_demo = lambda window, wait=False: False
else:   # the window asks a question: nobody is there to answer it
    file_ops.open_demo = lambda window, wait=False: QMessageBox.warning(window, "ArtStudio", "Demo\\nunreadable")
sys.exit(main(["--smoke-test"]))
"""


@pytest.mark.parametrize("how, says", [("no-demo", "the demo photo did not open"),
                                       ("dialog", "asked something nobody can answer: Demo unreadable")])
def test_smoke_test_fails_in_one_line_when_the_demo_does_not_open(tmp_path, how, says):
    done = subprocess.run([sys.executable, "-c", FAILING_SMOKE, how], env=_clean_user_env(tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=55)
    assert done.returncode == 1
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("artstudio --smoke-test")]
    assert len(errors) == 1 and says in errors[0], done.stderr[-2000:]


def test_smoke_test_takes_no_other_arguments(capsys):
    from artstudio.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--smoke-test", "models"])
    assert exit_.value.code == 2
    assert "--smoke-test takes no other arguments" in capsys.readouterr().err
