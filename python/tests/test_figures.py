"""The matplotlib backend (classroomd_figures) with the real matplotlib, as the REPL's sandbox runs it."""
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent.parent  # python/, where the module lives
PNG = b"\x89PNG\r\n\x1a\n"


def run(home, code, *args):
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(HERE),
        "MPLBACKEND": "module://classroomd_figures",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    p = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def test_show_saves_a_png_and_announces_it(tmp_path):
    out = run(tmp_path, "import matplotlib.pyplot as plt; print('before'); plt.plot([1, 2, 3]); plt.show(); print('after')")
    png = tmp_path / "figures" / "python-1.png"
    assert png.read_bytes().startswith(PNG)
    # In the output's order: what came before, the marker, the line with the path, what came after.
    assert out == "before\n\x1b]7708;figure=figures/python-1.png\x07[figure saved: ~/figures/python-1.png]\nafter\n"
    # Nothing but the figure is left in the folder: no temporary file.
    assert sorted(os.listdir(tmp_path / "figures")) == ["python-1.png"]


def test_numbers_count_up_and_show_closes_the_figures(tmp_path):
    code = (
        "import matplotlib.pyplot as plt\n"
        "for i in range(3):\n"
        "    plt.plot([i, i + 1]); plt.show()\n"
        "assert plt.get_fignums() == []\n"
    )
    run(tmp_path, code)
    run(tmp_path, code)  # a second Python goes on counting
    assert sorted(os.listdir(tmp_path / "figures")) == [f"python-{n}.png" for n in range(1, 7)]


def test_two_figures_in_one_show_and_fig_show(tmp_path):
    out = run(tmp_path, "import matplotlib.pyplot as plt\n"
              "a = plt.figure(); a.gca().plot([1]); b = plt.figure(); b.gca().plot([2]); plt.show()\n"
              "c = plt.figure(); c.gca().plot([3]); c.show()\n")
    assert out.count("\x1b]7708;figure=") == 3
    assert sorted(os.listdir(tmp_path / "figures")) == ["python-1.png", "python-2.png", "python-3.png"]


def test_named_after_the_program(tmp_path):
    prog = tmp_path / "my plot.py"
    prog.write_text("import matplotlib.pyplot as plt\nplt.plot([1]); plt.show()\n")
    env_code = "import runpy, sys; sys.modules['__main__'].__file__ = sys.argv[1]; runpy.run_path(sys.argv[1], run_name='__main__')"
    out = run(tmp_path, env_code, str(prog))
    assert "figure=figures/my_plot-1.png\x07" in out
    assert (tmp_path / "figures" / "my_plot-1.png").read_bytes().startswith(PNG)


def test_a_failed_save_leaves_no_temporary_file(tmp_path):
    code = ("import matplotlib.pyplot as plt\n"
            "plt.plot([1]); plt.gca().set_title('$\\\\frac{$')\n"  # mathtext that cannot be parsed
            "try:\n    plt.show()\nexcept Exception:\n    pass\nelse:\n    raise SystemExit('show did not fail')\n")
    run(tmp_path, code)
    assert os.listdir(tmp_path / "figures") == []
