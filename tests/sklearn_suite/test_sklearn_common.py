"""scikit-learn's ``metrics/tests/test_common.py``, sklloss's metrics patched in.

See ``conftest.py`` of this folder.
"""

import sys

globals().update(
    (name, value)
    for name, value in vars(sys.modules["sklearn_suite_test_common"]).items()
    if not name.startswith("__")
)
