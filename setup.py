"""Build of the compiled modules, ``sklloss._kernels`` and ``sklloss._ipm_kernels``
(Cython, no OpenMP).

Everything else about the package is declared in pyproject.toml.
"""

import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

# No debug information (gcc / clang): it triples the size of the module and
# adds a fifth to its compile time, which every source install pays.
flags = [] if sys.platform == "win32" else ["-g0"]

setup(
    ext_modules=cythonize(
        [
            Extension(
                "sklloss._kernels", ["sklloss/_kernels.pyx"], extra_compile_args=flags
            ),
            Extension(
                "sklloss._ipm_kernels",
                ["sklloss/_ipm_kernels.pyx"],
                extra_compile_args=flags,
            ),
        ],
        compiler_directives={"language_level": "3"},
    )
)
