"""scikit-learn's ``test_classification.py``, sklloss's metrics patched in.

See ``conftest.py`` of this folder.
"""

import sys

globals().update(
    (name, value)
    for name, value in vars(sys.modules["sklearn_suite_test_classification"]).items()
    if not name.startswith("__")
)
