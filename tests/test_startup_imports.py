"""The window opens before torch loads: nothing it imports at start-up may import torch."""

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from artstudio.ui import app as app_module
window = app_module.create_window()
window.show()
app.processEvents()
loaded = 'torch' in sys.modules
window._close_confirmed = True
window.close()
print('TORCH' if loaded else 'NOTORCH')
"""


def test_building_the_main_window_does_not_import_torch(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARTSTUDIO_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "NOTORCH"
