"""Build and install tcpsim.

The fast primitives (Toeplitz hash, random streams) and the fast engine's runtime are Cython sources in
``cython_core/`` compiled into the private extensions ``tcpsim._core`` and ``tcpsim._fast``, the way uvloop and
coverage.py keep their native parts inside the package.
"""
import re
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "tcpsim" / "__init__.py").read_text()).group(1)

extensions = [
    Extension("tcpsim._core", ["cython_core/_core.pyx"], extra_compile_args=["-O2"]),
    # the fast engine's runtime (tcpsim/engines/fast_engine.py drives it): _fast.pyx includes its parts,
    # cython_core/fast/*.pxi (cythonize finds them next to it and rebuilds when one changes)
    Extension("tcpsim._fast", ["cython_core/_fast.pyx"], extra_compile_args=["-O2"]),
]

# The optional parts, each named once; [all] is every one of them, so that one install (one build of the
# extensions) gets everything.
PLOT = ["matplotlib>=3.7"]
RESULTS = ["pandas>=2.0", "pyarrow>=14"]
RUN_NOTEBOOKS = ["nbclient>=0.8", "nbformat>=5", "ipykernel>=6"]  # execute notebooks/ on a fresh kernel
EXTRAS = {
    "plot": PLOT,
    "calibrate": ["scipy>=1.10"],
    # sweep/compare -o results.parquet|.csv
    "results": RESULTS,
    # sweep/compare --scheduler: runs on a dask.distributed cluster (install it on the workers too)
    "dask": ["dask[distributed]>=2023.1"],
    "notebook": PLOT + RESULTS[:1] + RUN_NOTEBOOKS + ["jupyter"],
}
# the tests use every optional part and run every notebook in notebooks/; hypothesis: tests/test_fuzz.py,
# pillow: the report's images
EXTRAS["test"] = ["pytest>=7", "pillow>=9", "hypothesis>=6"] + [
    r for extra in ("plot", "calibrate", "results", "dask") for r in EXTRAS[extra]] + RUN_NOTEBOOKS
EXTRAS["all"] = sorted({r for reqs in EXTRAS.values() for r in reqs})

setup(
    name="tcpsim",
    version=VERSION,
    description="Discrete-event model of a multi-core FreeBSD 10 TCP stack under short-lived connections",
    long_description=(HERE / "README.md").read_text() if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["tcpsim", "tcpsim.*"]),
    package_data={"tcpsim": ["data/*.toml", "data/machines/*.toml"]},
    ext_modules=cythonize(extensions, include_path=["cython_core"], language_level=3, compiler_directives={"boundscheck": False, "wraparound": False}),
    install_requires=["simpy>=4.1", "networkx>=3.0", "tqdm>=4.60"],  # tqdm: the progress bar of long commands
    extras_require=EXTRAS,
    entry_points={"console_scripts": ["tcpsim = tcpsim.cli:console_main"]},
    setup_requires=["Cython>=3.0"],
)
