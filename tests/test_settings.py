import json

from artstudio.core.paths import AppPaths, resources_dir
from artstudio.core.settings import Settings


def test_artstudio_home_puts_everything_under_one_folder(tmp_path):
    paths = AppPaths.from_environment({"ARTSTUDIO_HOME": str(tmp_path / "h")}).ensure()
    for p in (paths.config, paths.models, paths.cache, paths.autosave):
        assert p.is_dir() and (tmp_path / "h") in p.parents
    assert paths.settings_file.parent == paths.config


def test_without_home_platformdirs_decides(tmp_path):
    paths = AppPaths.from_environment({})
    assert "artstudio" in str(paths.config).lower()


def test_settings_round_trip(tmp_path):
    s = Settings(device="cpu", brush_size=55.0, mask_color=(1, 2, 3))
    s.add_recent("/a.png")
    s.add_recent("/b.png")
    s.add_recent("/a.png")
    s.save(tmp_path / "s.json")
    loaded = Settings.load(tmp_path / "s.json")
    assert loaded == s
    assert loaded.recent_files == ["/a.png", "/b.png"]


def test_broken_or_foreign_settings_fall_back_to_defaults(tmp_path):
    f = tmp_path / "s.json"
    f.write_text("{not json")
    assert Settings.load(f) == Settings()
    f.write_text(json.dumps({"device": "quantum", "brush_size": "huge", "unknown": 1, "mask_opacity": 1}))
    s = Settings.load(f)
    assert s.device == "auto" and s.brush_size == Settings().brush_size and s.mask_opacity == 1


def test_bundled_demo_is_found():
    demo = resources_dir() / "demo"
    assert (demo / "astronaut_scratched.png").is_file()
    assert (demo / "astronaut_scratched_mask.png").is_file()
