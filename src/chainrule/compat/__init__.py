"""Other autodiff libraries' APIs on chainrule's engine, for code coming from them.

``chainrule.compat.autograd`` presents HIPS autograd's public API: change
``import autograd`` to ``import chainrule.compat.autograd as autograd`` (and
``import autograd.numpy as np`` to ``import chainrule.compat.autograd.numpy as np``).
These are translation layers only: every derivative is computed by chainrule's
own transforms and primitives. ``docs/migrating.md`` lists what differs.
"""
