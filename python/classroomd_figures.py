"""classroomd's matplotlib backend: plt.show() puts the figure in the Python pane.

The REPL's sandbox sets MPLBACKEND=module://classroomd_figures. There is no
window to open on a server, so showing a figure means:

1. saving it as a PNG in the student's home, ~/figures/NAME-N.png (NAME is
   the program's name, or "python" at the prompt; N counts up). It is
   written to a temporary file in the same folder and renamed, so the
   server never reads half a figure;
2. telling the server, in the output's own order, with a private OSC
   sequence naming the file relative to the home:

       ESC ] 7708 ; figure=figures/NAME-N.png BEL

   The server's terminal emulator consumes it (no student's terminal sees
   it), reads the PNG from ~/figures only, and reserves rows of the pane
   for the picture at this point of the output. Student code can print the
   marker itself: the server trusts nothing in it but a name in ~/figures;
3. printing a line saying where the file is, so that it can be found in
   the file list (and downloaded) whatever the terminal can draw.

plt.show() closes the figures it showed (as Jupyter's inline backend does),
so a loop that plots and shows draws a new figure each time.
"""

import os
import re
import sys

import matplotlib
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

MARKER = "\033]7708;figure={}\007"
FOLDER = "figures"
DPI = 100  # matplotlib's default figure (6.4 x 4.8 in) is then 640 x 480 pixels


def _name():
    """The program's name (from python -i FILE), or "python" at the prompt."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or ""
    stem = os.path.splitext(os.path.basename(path))[0]
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip(".")
    return stem[:40] or "python"


def _next_number(folder, name):
    pat = re.compile(re.escape(name) + r"-(\d+)\.png$")
    n = 0
    try:
        for entry in os.listdir(folder):
            m = pat.match(entry)
            if m:
                n = max(n, int(m.group(1)))
    except OSError:
        pass
    return n + 1


def save(figure):
    """Save figure under ~/figures and announce it; return the path relative to the home."""
    home = os.path.expanduser("~")
    folder = os.path.join(home, FOLDER)
    os.makedirs(folder, exist_ok=True)
    name = _name()
    n = _next_number(folder, name)
    final = os.path.join(folder, f"{name}-{n}.png")
    tmp = os.path.join(folder, f".{name}-{n}.png.{os.getpid()}.tmp")
    try:
        figure.savefig(tmp, format="png", dpi=DPI)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    rel = f"{FOLDER}/{name}-{n}.png"
    # What was printed before the figure comes before it on the screen.
    sys.stdout.flush()
    out = sys.__stdout__
    out.write(MARKER.format(rel))
    out.write(f"[figure saved: ~/{rel}]\n")
    out.flush()
    return rel


class FigureManager(FigureManagerBase):
    def show(self):
        save(self.canvas.figure)


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager


def show(*args, **kwargs):
    """plt.show(): every open figure, in order, then close them."""
    managers = Gcf.get_all_fig_managers()
    try:
        for manager in managers:
            manager.show()
    finally:
        for manager in managers:
            Gcf.destroy(manager)


def draw_if_interactive():
    pass


# Known to matplotlib >= 3.6 as the backend's own interactive framework: none.
FigureCanvas.required_interactive_framework = None
matplotlib.rcParams["figure.dpi"] = DPI
