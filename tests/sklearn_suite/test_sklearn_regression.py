"""scikit-learn's ``metrics/tests/test_regression.py``, sklloss's metrics patched in.

See ``conftest.py`` of this folder.
"""

import sys

globals().update(
    (name, value)
    for name, value in vars(sys.modules["sklearn_suite_test_regression"]).items()
    if not name.startswith("__")
)
