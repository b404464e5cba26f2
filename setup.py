"""Build of the one compiled module, ``sklloss._kernels`` (Cython, no OpenMP).

Everything else about the package is declared in pyproject.toml.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [Extension("sklloss._kernels", ["sklloss/_kernels.pyx"])],
        compiler_directives={"language_level": "3"},
    )
)
