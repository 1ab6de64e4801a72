"""``numpy.linalg`` with derivatives: chainrule's rules where it has them, NumPy's
functions otherwise; lists of traced values are taken as array-likes."""

import numpy as _np

from ._namespace import populate as _populate

_populate(globals(), _np.linalg)
