"""Latent-explorer benchmark: slider value change -> new image in the Generate view.

Run from the repository root:

    python benchmarks/latent_fps.py          # ~2 minutes

Every configuration runs in its own fresh Python process (``--child``) with
QT_QPA_PLATFORM=offscreen and ARTSTUDIO_HOME set to an empty temporary
directory. The child builds the real window (``create_window()``, dark theme,
``show()``), switches to the Generate workspace
(``MainWindow.show_workspace(1)``, which loads the default model,
dcgan-faces, and its directions on the job thread), for CPPN picks ``cppn``
in the Explore tab's model box (``activated``), and waits until the model's
first image is shown and the job thread is idle (device probe included).

Scripted drag, through the real widget path: the first direction slider's
``QLabeledDoubleSlider`` gets ``setSliderDown(True)``, then a QTimer
(Qt.PreciseTimer, 8 ms) calls ``setValue`` with a new value on every tick
(a triangle wave of 0.02 sigma steps between -2.5 and +2.5, so every tick is
a real change), inside a running Qt event loop, for 3 s; then
``setSliderDown(False)`` releases it. The slider row turns each value into
``GenerateWorkspace.set_edit(0, v, dragging=True)``, which submits a
latest-wins render job to the JobRunner; results arrive on the GUI thread in
``_on_render_done`` -> ``ImageView.set_image`` -> ``ImageView.image_shown``.

Per request the child records, with wrappers installed in its own process
(app code unchanged): the value change (just before ``setValue``), the
submit (``GenerateWorkspace.submit``), the job's start and end of rendering
on the job thread (a wrapped job factory), the GUI handler
(``_on_render_done``), ``image_shown``, and the end of the view's next
``paintEvent``. A wrapper around ``GenerateWorkspace._on_runner_finished``
(put on the class before the window connects it) notes which job id a
result belongs to, which maps every displayed frame back to the value change
that submitted it.
Latency = value change -> ``image_shown`` of a displayed frame (frames that
latest-wins dropped or discarded are counted, not timed); fps = displayed
frames / drag duration (first value change -> release).

Per configuration: one unmeasured 1 s warm-up drag, then 3 measured drags of
3 s, pooled. Modes: dcgan-faces (native 64 px); CPPN in drag-preview mode
(128 px while dragging, as the UI does; 512 px after release); CPPN forced
to 512 px while dragging (``generate_workspace.CPPN_DRAG`` set to
``CPPN_FULL`` in the child). Torch threads: first as shipped (whatever the
app sets; nothing is called), then, side by side, each of 2 (torch's default
on 2 cores) and 1 that differs from it, set with ``torch.set_num_threads(n)``
in a job on the job thread after the app's device probe and before the
drags. The job thread's ``torch.get_num_threads()`` is read back by that job
and printed.

Also printed: the CPU that the child and all other processes used during
each row (from /proc/stat and the child's rusage), because a busy machine
changes these figures a lot, and a warning when others used over 0.2 cores.

Targets (issue 4): dcgan-faces at least 60 fps with p95 under 30 ms; CPPN at
least 20 fps in drag-preview mode. Verdicts (and the exit status) are for the
app as shipped; the other thread settings are printed beside them.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, median, percentile, print_header, table  # noqa: E402

TICK_MS = 8
DRAG_S = 3.0
WARMUP_S = 1.0
REPEATS = 3
STEP = 0.02
AMPLITUDE = 2.5
MODES = {   # label -> (model, force full size while dragging)
    "dcgan-faces": ("dcgan-faces", False),
    "cppn drag-preview": ("cppn", False),
    "cppn forced 512": ("cppn", True),
}
FORCED_THREADS = (2, 1)  # besides the app's own setting; a value equal to it is not run twice
DCGAN_FPS, DCGAN_P95_MS, CPPN_FPS = 60.0, 30.0, 20.0


# ---------------------------------------------------------------------------------------------
# child: one (mode, threads) configuration in a fresh process
# ---------------------------------------------------------------------------------------------

def triangle(k: int) -> float:
    """0, +STEP, ... +AMPLITUDE, ... -AMPLITUDE, ... : a new value on every tick."""
    period = int(round(4 * AMPLITUDE / STEP))
    phase = (k + period // 4) % period                 # start at 0 going up
    half = period // 2
    x = phase if phase <= half else period - phase     # 0..half..0
    return round(-AMPLITUDE + x * STEP, 2)


def child(mode: str, threads: int) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import random

    import torch

    random.seed(20261121)                              # the first state's seed
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import artstudio.ui.generate_workspace as gw
    from artstudio.ui.app import create_window
    from artstudio.ui.image_view import ImageView
    from artstudio.ui.theme import apply_dark_theme

    model, force_full = MODES[mode]
    if force_full:
        gw.CPPN_DRAG = gw.CPPN_FULL
    pc = time.perf_counter
    state = {"ctx": None, "shown": None, "paint_wait": [], "recs": {}, "all": [], "cancelled": 0,
             "recording": False, "finishing": None}

    original_paint = ImageView.paintEvent

    def timed_paint(self, event):
        original_paint(self, event)
        now = pc()
        for rec in state["paint_wait"]:
            rec["painted"] = now
        state["paint_wait"] = []

    ImageView.paintEvent = timed_paint                 # the class, before any view exists
    from artstudio.ui.job_routes import JobRoutes

    original_finished = JobRoutes._on_runner_finished

    def on_runner_finished(self, job_id, result):      # which job a result belongs to
        state["finishing"] = job_id
        try:
            original_finished(self, job_id, result)
        finally:
            state["finishing"] = None

    JobRoutes._on_runner_finished = on_runner_finished   # before the window connects it

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_dark_theme(app)
    window = create_window()
    ws, runner = window.generate, window.runner

    def wait_until(predicate, timeout_s: float, poll_ms: int = 5) -> bool:
        loop = QEventLoop()
        deadline = pc() + timeout_s
        timer = QTimer(interval=poll_ms)
        timer.timeout.connect(lambda: loop.quit() if predicate() or pc() > deadline else None)
        timer.start()
        loop.exec()
        timer.stop()
        return predicate()

    # -- instrumentation (instance attributes / module globals of the benchmark process only) --
    original_submit = ws.submit

    def submit(kind, factory, *, latest_wins=True):
        if kind != gw.RENDER_KIND:
            return original_submit(kind, factory, latest_wins=latest_wins)
        ctx = state["ctx"] or {"kind": "settle", "change": None}
        rec = {"kind": ctx["kind"], "change": ctx["change"] if ctx["change"] is not None else pc(),
               "submit": pc()}

        def timed_factory(token, inner_factory=factory, rec=rec):
            rec["start"] = pc()
            inner = inner_factory(token)
            try:
                while True:
                    try:
                        event = next(inner)
                    except StopIteration as stop:
                        rec["end"] = pc()
                        return stop.value
                    rec["rendered"] = pc()
                    yield event
            finally:
                inner.close()

        job_id = original_submit(kind, timed_factory, latest_wins=latest_wins)
        if state["recording"]:
            state["recs"][job_id] = rec
            state["all"].append(rec)
        return job_id

    ws.submit = submit
    original_done = ws.jobs._handlers[gw.RENDER_KIND]

    def on_render_done(images):
        rec = state["recs"].get(state["finishing"])
        if rec is not None:
            rec["handler"] = pc()
            rec["size"] = int(images.shape[1])
        state["shown"] = rec
        try:
            original_done(images)
        finally:
            state["shown"] = None

    ws.jobs._handlers[gw.RENDER_KIND] = on_render_done   # the route the workspace built for renders

    def on_shown():
        rec = state["shown"]
        if rec is not None:
            rec["shown"] = pc()
            state["paint_wait"].append(rec)

    ws.view.image_shown.connect(on_shown)
    runner.job_cancelled.connect(lambda _id: state.__setitem__("cancelled", state["cancelled"] + 1)
                                 if state["recording"] else None)

    # -- window, model ---------------------------------------------------------------------------
    def ready(name):
        return lambda: (ws.info is not None and ws.info.model == name and ws.view.has_image()
                        and not runner.busy and window._device_job not in (None, 0))

    t0 = pc()
    window.show()
    window.show_workspace(1)                           # loads the default model (dcgan-faces)
    if not wait_until(ready(gw.DEFAULT_MODEL), 120):
        raise RuntimeError(f"{gw.DEFAULT_MODEL} did not load")
    if model != gw.DEFAULT_MODEL:                      # pick it in the Explore tab's model box
        t0 = pc()
        combo = ws.latent_panel.model_combo
        index = combo.findData(model)
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
        if not wait_until(ready(model), 120):
            raise RuntimeError(f"{model} did not load")
    load_s = pc() - t0
    probe = {}
    runner.job_finished.connect(lambda jid, result: probe.__setitem__(jid, result))
    # After the app's device probe (which may choose torch's thread count), on the job thread.
    probe_id = runner.submit("bench.threads", lambda token: _thread_probe(threads))
    wait_until(lambda: probe_id in probe, 30)
    job_threads = probe[probe_id]
    wait_until(lambda: False, 0.3)

    slider = ws.latent_panel.direction_rows[0].slider

    def drag(duration_s: float, record: bool) -> dict:
        ticks: list[float] = []
        loop = QEventLoop()
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(TICK_MS)
        info = {}
        slider.setValue(0.0)
        wait_until(lambda: not runner.busy and not ws._settle.isActive(), 10)
        wait_until(lambda: False, 0.1)
        state.update(recs={}, all=[], cancelled=0, recording=record)
        slider.setSliderDown(True)
        k = [1]

        def tick():
            now = pc()
            if ticks and now - ticks[0] >= duration_s:
                timer.stop()
                info["message"] = window.status.currentMessage()
                info["release"] = pc()
                state["ctx"] = {"kind": "release", "change": info["release"]}
                slider.setSliderDown(False)            # sliderReleased -> set_edit(dragging=False)
                state["ctx"] = None
                loop.quit()
                return
            state["ctx"] = {"kind": "drag", "change": now}
            ticks.append(now)
            slider.setValue(triangle(k[0]))
            k[0] += 1
            state["ctx"] = None

        timer.timeout.connect(tick)
        timer.start()
        loop.exec()
        wait_until(lambda: not runner.busy and not ws._settle.isActive(), 10)
        wait_until(lambda: False, 0.25)
        state["recording"] = False
        origin = ticks[0]
        release = info["release"] - origin
        recs = [{k2: (v - origin if isinstance(v, float) else v) for k2, v in r.items()} for r in state["all"]]
        return {"ticks": [t - origin for t in ticks], "release": release, "recs": recs,
                "cancelled": state["cancelled"], "message": info["message"],
                "final_value": slider.value(), "edits": list(map(list, ws.state.edits))}

    drag(WARMUP_S, record=False)
    drags = [drag(DRAG_S, record=True) for _ in range(REPEATS)]
    view = ws.view
    out = {"mode": mode, "threads": threads, "job_threads": job_threads, "gui_threads": torch.get_num_threads(),
           "load_s": load_s, "view": [view.width(), view.height()], "drags": drags}
    window._close_confirmed = True
    window.close()
    print(json.dumps(out))


def _thread_probe(threads: int):
    import torch

    if threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
    yield  # noqa: unreachable - makes this a generator job


# ---------------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------------

def _busy_cpu_s() -> float:
    """Seconds of non-idle CPU time of the whole machine so far (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_child(mode: str, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="artstudio-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ARTSTUDIO_HOME=home)
        env.pop("ARTSTUDIO_DEVICE", None)
        usage0, busy0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), _busy_cpu_s(), time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", mode, str(threads)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        wall, busy1, usage1 = time.perf_counter() - t0, _busy_cpu_s(), resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {mode}/{threads} failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(lines[-1])
    own = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    data["own_cores"] = own / wall
    data["other_cores"] = max(0.0, (busy1 - busy0 - own) / wall)     # everything else on the machine
    return data


def summarize(data: dict) -> dict:
    lat, painted = [], []
    parts = {k: [] for k in ("input", "queue", "render", "deliver", "show", "paint")}
    duration = submitted = displayed = discarded = never_started = 0
    cancelled, messages = 0, []
    intervals, release_lat, release_renders, sizes, all_render = [], [], [], set(), []
    for d in data["drags"]:
        duration += d["release"]
        intervals += [b - a for a, b in zip(d["ticks"], d["ticks"][1:])]
        cancelled += d["cancelled"]
        messages.append(d["message"])
        recs = [r for r in d["recs"] if r["kind"] == "drag"]
        submitted += len(recs)
        all_render += [(r["rendered"] - r["start"]) * 1000 for r in recs if "rendered" in r]
        for r in recs:
            if "shown" in r:
                displayed += 1
                sizes.add(r["size"])
                lat.append((r["shown"] - r["change"]) * 1000)
                if "painted" in r:
                    painted.append((r["painted"] - r["change"]) * 1000)
                parts["input"].append((r["submit"] - r["change"]) * 1000)
                parts["queue"].append((r["start"] - r["submit"]) * 1000)
                parts["render"].append((r["rendered"] - r["start"]) * 1000)
                parts["deliver"].append((r["handler"] - r["rendered"]) * 1000)
                parts["show"].append((r["shown"] - r["handler"]) * 1000)
                if "painted" in r:
                    parts["paint"].append((r["painted"] - r["shown"]) * 1000)
            elif "rendered" in r:
                discarded += 1
            elif "start" not in r:
                never_started += 1
        after = [r for r in d["recs"] if r["kind"] != "drag"]
        release_renders.append(sum(1 for r in after if "rendered" in r))
        shown_after = [r for r in after if "shown" in r]
        if shown_after:
            release_lat.append((shown_after[0]["shown"] - d["release"]) * 1000)
    return {"duration": duration, "submitted": submitted, "displayed": displayed,
            "dropped": submitted - displayed, "discarded": discarded, "never_started": never_started,
            "fps": displayed / duration, "lat": lat, "painted": painted, "parts": parts,
            "changes_per_s": (submitted / duration), "intervals": intervals, "cancelled": cancelled,
            "messages": messages, "release_lat": release_lat,
            "release_renders": release_renders, "sizes": sorted(sizes), "all_render": all_render}


def thread_label(data: dict) -> str:
    if data["threads"] == 0:
        return f"{data['job_threads']} (as shipped)"
    return f"{data['job_threads']} (forced {data['threads']})"


def ms(values, fn) -> str:
    return f"{fn(values):.1f}" if values else "-"


def mean(values) -> float:
    return sum(values) / len(values)


def p95(values) -> float:
    return percentile(values, 95)


def main() -> int:
    import torch

    print_header("ArtStudio latent explorer: slider value change -> image shown, scripted drag")
    print(f"torch     : {torch.__version__}; default threads {torch.get_num_threads()}; "
          f"GPU: {'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none (CPU only)'}")
    print(f"drag      : QLabeledDoubleSlider setSliderDown(True) + setValue every {TICK_MS} ms "
          f"(PreciseTimer, steps of {STEP} sigma between +-{AMPLITUDE}), {DRAG_S:.0f} s x {REPEATS} "
          f"after a {WARMUP_S:.0f} s warm-up, one fresh process per row\n")
    results = {}
    t_all = time.perf_counter()
    for mode in MODES:
        data = run_child(mode, 0)                      # as shipped: the app's own thread setting
        results[(mode, 0)] = (data, summarize(data))
        for threads in FORCED_THREADS:
            if threads != data["job_threads"]:
                forced = run_child(mode, threads)
                results[(mode, threads)] = (forced, summarize(forced))
    first = next(iter(results.values()))[0]
    print(f"children took {time.perf_counter() - t_all:.0f} s in all; view widget "
          f"{first['view'][0]}x{first['view'][1]} px (1400x900 window)")
    print(table(["mode", "torch threads (job thread)", "load -> first image s", "child CPU (cores)",
                 "other processes' CPU (cores)"],
                [[m, thread_label(d), f"{d['load_s']:.1f}", f"{d['own_cores']:.2f}", f"{d['other_cores']:.2f}"]
                 for (m, _), (d, _) in results.items()], "llrrr"))
    print()

    rows = []
    for (mode, threads), (data, s) in results.items():
        lat = s["lat"]
        rows.append([mode, thread_label(data), "/".join(map(str, s["sizes"])) or "-", f"{s['duration']:.1f}",
                     str(s["submitted"]), str(s["displayed"]), f"{s['fps']:.1f}", ms(lat, mean), ms(lat, median),
                     ms(lat, p95), ms(lat, max), ms(s["painted"], p95),
                     f"{s['dropped']} ({s['never_started']} never ran, {s['discarded']} rendered then discarded)"])
    print("Per displayed frame: value change -> ImageView.image_shown (ms); fps = displayed frames / drag time")
    print(table(["mode", "torch threads", "px", "drag s", "value changes", "frames shown", "fps",
                 "mean ms", "median ms", "p95 ms", "max ms", "p95 to painted ms", "dropped requests"],
                rows, "llrrrrrrrrrrl"))
    print()

    rows = []
    for (mode, threads), (data, s) in results.items():
        p = s["parts"]
        cells = [f"{median(p[k]):.1f} / {p95(p[k]):.1f}" if p[k] else "-" for k in
                 ("input", "queue", "render", "deliver", "show", "paint")]
        iv = [x * 1000 for x in s["intervals"]]
        every = ms(s["all_render"], median) + " / " + ms(s["all_render"], p95)
        rows.append([mode, thread_label(data)] + cells + [every, f"{median(iv):.1f} / {p95(iv):.1f} / {max(iv):.0f}"])
    print("Breakdown of displayed frames, median / p95 ms: input = setValue -> job submitted (slider, label, "
          "set_edit); queue = submitted -> job starts (waiting for the running render); render = on the job "
          "thread; deliver = render done -> GUI handler runs; show = to_qimage + update -> image_shown; "
          "paint = image_shown -> end of the view's paintEvent. 'every render' includes discarded ones; "
          "tick interval = time between value changes (GUI thread responsiveness)")
    print(table(["mode", "torch threads", "input", "queue", "render", "deliver", "show", "paint",
                 "every drag render", "tick interval median / p95 / max"], rows, "llrrrrrrrr"))
    print()

    rows = []
    for (mode, threads), (data, s) in results.items():
        rl = s["release_lat"]
        rows.append([mode, thread_label(data), ms(rl, median), ms(rl, max),
                     "/".join(map(str, s["release_renders"])), str(s["cancelled"]),
                     " / ".join(repr(m) for m in sorted(set(s["messages"])))])
    print("After release (sliderReleased -> commit, which renders at full size): release -> that frame shown; "
          "renders run after release, per drag (the commit's, plus any from the settle timer); job_cancelled "
          "signals during the drags; status-bar message just before release")
    print(table(["mode", "torch threads", "release -> commit frame median ms", "max ms", "renders after release",
                 "job_cancelled", "status bar while dragging"], rows, "llrrrrl"))
    print()

    ok = True

    def others(mode: str, what) -> str:
        return "; ".join(f"{thread_label(d)} thread(s): {what(sm)}" for (m, t), (d, sm) in results.items()
                         if m == mode and t != 0)

    def verdict(name: str, mode: str, check, what) -> None:
        nonlocal ok
        data, s = results[(mode, 0)]
        met = check(s)
        ok &= met
        print(f"target {name}: {'MET' if met else 'NOT MET'} (as shipped, {data['job_threads']} torch "
              f"thread(s): {what(s)}; side by side, {others(mode, what) or 'none'})")

    verdict(f"dcgan-faces >= {DCGAN_FPS:.0f} fps", "dcgan-faces", lambda s: s["fps"] >= DCGAN_FPS,
            lambda s: f"{s['fps']:.1f} fps")
    verdict(f"dcgan-faces p95 < {DCGAN_P95_MS:.0f} ms", "dcgan-faces",
            lambda s: bool(s["lat"]) and p95(s["lat"]) < DCGAN_P95_MS, lambda s: f"p95 {ms(s['lat'], p95)} ms")
    verdict(f"CPPN drag-preview >= {CPPN_FPS:.0f} fps", "cppn drag-preview", lambda s: s["fps"] >= CPPN_FPS,
            lambda s: f"{s['fps']:.1f} fps")
    for (mode, threads), (data, s) in results.items():
        if mode.startswith("cppn forced"):
            print(f"(no target) {mode}, {thread_label(data)}: {s['fps']:.1f} fps, p95 {ms(s['lat'], p95)} ms")
    busy = max(d["other_cores"] for d, _ in results.values())
    if busy > 0.2:
        print(f"WARNING: other processes used up to {busy:.2f} cores during a row; "
              "figures are not from a quiet machine")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
