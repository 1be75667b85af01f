import subprocess
import sys


def test_python_m_help():
    out = subprocess.run([sys.executable, "-m", "csc_metrics", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "csc-metrics" in out.stdout or "Usage" in out.stdout
